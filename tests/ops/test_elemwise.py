"""Every elementwise op: forward against numpy (float32, float64, ints, bools where they
make sense), broadcasting, and gradients against finite differences."""
import numpy as np
import pytest
from opcheck import check_forward, check_grad

import clgraph
import clgraph.tensor as T
from clgraph.tensor import nnet


def _sigmoid(x):
    return (1 / (1 + np.exp(-x))).astype(x.dtype)


def _softplus(x):
    return np.logaddexp(0, x).astype(x.dtype)


def _elu(x, a=1.0):
    return np.where(x > 0, x, a * np.expm1(x)).astype(x.dtype)


# name: (clgraph fn, numpy fn, domain sampler(rng, shape, dtype) per input, differentiable)
def _any(rng, shape, dtype):
    return rng.uniform(-3, 3, shape).astype(dtype)


def _pos(rng, shape, dtype):
    return rng.uniform(0.5, 3, shape).astype(dtype)


def _away0(rng, shape, dtype):
    x = rng.uniform(0.5, 3, shape) * rng.choice([-1, 1], shape)
    return x.astype(dtype)


def _small(rng, shape, dtype):
    return rng.uniform(-1.2, 1.2, shape).astype(dtype)


def _nonint(rng, shape, dtype):
    # keep away from the jumps of floor/ceil/round
    return (rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.4, shape)).astype(dtype)


UNARY = {
    "neg": (T.neg, np.negative, _any, True),
    "abs": (T.abs_, np.abs, _away0, True),
    "exp": (T.exp, np.exp, _any, True),
    "log": (T.log, np.log, _pos, True),
    "log1p": (T.log1p, np.log1p, _pos, True),
    "expm1": (T.expm1, np.expm1, _any, True),
    "sqrt": (T.sqrt, np.sqrt, _pos, True),
    "sqr": (T.sqr, np.square, _any, True),
    "sin": (T.sin, np.sin, _any, True),
    "cos": (T.cos, np.cos, _any, True),
    "tan": (T.tan, np.tan, _small, True),
    "tanh": (T.tanh, np.tanh, _any, True),
    "arctan": (T.arctan, np.arctan, _any, True),
    "sign": (T.sign, np.sign, _away0, True),
    "floor": (T.floor, np.floor, _nonint, True),
    "ceil": (T.ceil, np.ceil, _nonint, True),
    "round": (T.round, np.round, _nonint, True),
    "sigmoid": (nnet.sigmoid, _sigmoid, _any, True),
    "softplus": (nnet.softplus, _softplus, _any, True),
    "softsign": (nnet.softsign, lambda x: x / (1 + np.abs(x)), _any, True),
    "relu": (nnet.relu, lambda x: np.maximum(x, 0), _away0, True),
    "leaky_relu": (lambda x: nnet.relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x).astype(x.dtype),
                   _away0, True),
    "elu": (nnet.elu, _elu, _away0, True),
    "hard_sigmoid": (nnet.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1).astype(x.dtype), _any, True),
}

BINARY = {
    "add": (lambda a, b: a + b, np.add, (_any, _any), True),
    "sub": (lambda a, b: a - b, np.subtract, (_any, _any), True),
    "mul": (lambda a, b: a * b, np.multiply, (_any, _any), True),
    "true_div": (lambda a, b: a / b, np.true_divide, (_any, _away0), True),
    "floor_div": (lambda a, b: a // b, np.floor_divide, (_any, _away0), False),
    "mod": (lambda a, b: a % b, np.remainder, (_any, _away0), False),
    "pow": (lambda a, b: a ** b, np.power, (_pos, _any), True),
    "maximum": (T.maximum, np.maximum, (_any, _any), True),
    "minimum": (T.minimum, np.minimum, (_any, _any), True),
}

COMPARE = {"lt": (lambda a, b: a < b, np.less), "le": (lambda a, b: a <= b, np.less_equal),
           "gt": (lambda a, b: a > b, np.greater), "ge": (lambda a, b: a >= b, np.greater_equal),
           "eq": (T.eq, np.equal), "neq": (T.neq, np.not_equal)}

FLOATS = ["float32", "float64"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward(name, dtype, rng):
    t_fn, np_fn, sample, _ = UNARY[name]
    # 37 elements: exercises the vector body and the scalar tail
    check_forward(t_fn, np_fn, sample(rng, (37,), dtype))
    check_forward(t_fn, np_fn, sample(rng, (3, 5), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(n for n, v in UNARY.items() if v[3]))
def test_unary_grad(name, dtype, rng):
    t_fn, _, sample, _ = UNARY[name]
    check_grad(t_fn, sample(rng, (2, 3), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_forward(name, dtype, rng):
    t_fn, np_fn, (sa, sb), _ = BINARY[name]
    check_forward(t_fn, np_fn, sa(rng, (4, 9), dtype), sb(rng, (4, 9), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(n for n, v in BINARY.items() if v[3]))
def test_binary_grad(name, dtype, rng):
    t_fn, _, (sa, sb), _ = BINARY[name]
    check_grad(t_fn, sa(rng, (2, 3), dtype), sb(rng, (2, 3), dtype))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_grad(name, rng):
    """A (3, 4) matrix with a (4,) vector: the vector's gradient sums over rows."""
    t_fn, np_fn, (sa, sb), diff = BINARY[name]
    a, b = sa(rng, (3, 4), "float64"), sb(rng, (4,), "float64")
    check_forward(t_fn, np_fn, a, b)
    if diff:
        check_grad(t_fn, a, b)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "floor_div", "mod", "maximum", "minimum"])
def test_binary_ints(name, dtype, rng):
    t_fn, np_fn, _, _ = BINARY[name]
    lo = 0 if dtype == "uint8" else -9
    a = rng.integers(lo, 10, (5, 7)).astype(dtype)
    b = rng.integers(1, 5, (5, 7)).astype(dtype)
    if dtype != "uint8":
        b *= rng.choice(np.array([-1, 1], dtype), (5, 7))
    check_forward(t_fn, np_fn, a, b)


def test_int_pow_and_division_by_zero(rng):
    a = rng.integers(-4, 5, 20).astype("int32")
    b = rng.integers(0, 4, 20).astype("int32")
    check_forward(lambda x, y: x ** y, np.power, a, b)
    z = np.zeros(20, "int32")
    # numpy gives 0 for integer division and modulo by zero (with a warning)
    check_forward(lambda x, y: x // y, np.floor_divide, a, z)
    check_forward(lambda x, y: x % y, np.remainder, a, z)


def test_int_true_div_gives_float64(rng):
    a = rng.integers(-9, 9, 10).astype("int32")
    b = rng.integers(1, 9, 10).astype("int32")
    check_forward(lambda x, y: x / y, np.true_divide, a, b)


@pytest.mark.parametrize("dtype", ["int32", "int64", "int8"])
@pytest.mark.parametrize("name", ["neg", "abs", "sqr", "sign"])
def test_unary_ints(name, dtype, rng):
    t_fn, np_fn, _, _ = UNARY[name]
    check_forward(t_fn, np_fn, rng.integers(-50, 50, 30).astype(dtype))


@pytest.mark.parametrize("name", sorted(COMPARE))
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_comparisons(name, dtype, rng):
    t_fn, np_fn = COMPARE[name]
    a = rng.integers(0, 3, (6, 5)).astype(dtype)
    b = rng.integers(0, 3, (6, 5)).astype(dtype)
    check_forward(t_fn, np_fn, a, b)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "int64"])
def test_bitwise_logic(dtype, rng):
    a = rng.integers(0, 100, 40).astype(dtype)
    b = rng.integers(0, 100, 40).astype(dtype)
    check_forward(lambda x, y: x & y, np.bitwise_and, a, b)
    check_forward(lambda x, y: x | y, np.bitwise_or, a, b)
    check_forward(lambda x, y: x ^ y, np.bitwise_xor, a, b)
    check_forward(lambda x: ~x, np.invert, a)


def test_bitwise_on_floats_is_a_dtype_error():
    x = T.vector()
    with pytest.raises(clgraph.DTypeError, match="and.*float32"):
        x & x


@pytest.mark.parametrize("dtype", FLOATS)
def test_switch_where_clip(dtype, rng):
    c = rng.integers(0, 2, (4, 6)).astype("bool")
    a, b = rng.normal(size=(4, 6)).astype(dtype), rng.normal(size=(4, 6)).astype(dtype)
    check_forward(T.switch, np.where, c, a, b)
    check_forward(T.where, np.where, c.astype("int32"), a, b)
    check_forward(lambda x: T.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), a)
    check_forward(lambda x: x.clip(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), a)


@pytest.mark.parametrize("dtype", FLOATS)
def test_switch_and_clip_grad(dtype, rng):
    mask = rng.integers(0, 2, (3, 4)).astype(dtype)
    a, b = rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=(3, 4)).astype(dtype)
    check_grad(lambda x, y: T.switch(T.constant(mask) > 0, x, y), a, b)
    x = _away0(rng, (3, 4), dtype) * 0.5
    check_grad(lambda v: T.clip(v, -0.9, 0.95), x)


@pytest.mark.parametrize("src,dst", [("float32", "int32"), ("float64", "float32"), ("int32", "float32"),
                                     ("int64", "int8"), ("float32", "bool"), ("bool", "float64"),
                                     ("uint8", "int64"), ("int32", "float64")])
def test_cast(src, dst, rng):
    x = (rng.normal(size=23) * 50).astype(src)
    check_forward(lambda v: T.cast(v, dst), lambda v: v.astype(dst), x)
    check_forward(lambda v: v.astype(dst), lambda v: v.astype(dst), x)


def test_cast_grad(rng):
    # float64 input, float32 output: verify_grad uses float32 step and tolerances
    check_grad(lambda v: T.cast(v, "float32") * 2, rng.normal(size=5).astype("float64"))


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
                                    ((5,), ()), ((), ()), ((2, 1, 4), (1, 3, 1))])
def test_broadcasting_matches_numpy(shapes, rng):
    a, b = (rng.normal(size=s).astype("float32") for s in shapes)
    # length-1 axes given as broadcastable types, as Theano requires
    xa = T.tensor("float32", [n == 1 for n in a.shape], name="a")
    xb = T.tensor("float32", [n == 1 for n in b.shape], name="b")
    f = clgraph.function([xa, xb], T.tanh(xa) * xb + xa / (1 + abs(xb)))
    want = np.tanh(a) * b + a / (1 + np.abs(b))
    np.testing.assert_allclose(f(a, b), want, rtol=1e-5, atol=1e-6)


def test_broadcast_grad_row_col(rng):
    a = rng.normal(size=(3, 1))
    b = rng.normal(size=(1, 4))
    xa, xb = T.dcol("a"), T.drow("b")
    cost = T.sum(T.tanh(xa * xb + xb))
    ga, gb = clgraph.grad(cost, [xa, xb])
    got_a, got_b = clgraph.function([xa, xb], [ga, gb])(a, b)
    d = 1 - np.tanh(a * b + b) ** 2
    np.testing.assert_allclose(got_a, (d * b).sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(got_b, (d * (a + 1)).sum(axis=0, keepdims=True), rtol=1e-10)


def test_nan_and_inf_follow_numpy():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.5, 3.0, np.nan], "float32")
    y = np.array([1.0, np.nan, 2.0, np.inf, -np.inf, 0.5, np.nan, -1.0, np.nan], "float32")
    check_forward(T.maximum, np.maximum, x, y)
    check_forward(T.minimum, np.minimum, x, y)
    check_forward(lambda a: T.clip(a, -1, 1), lambda a: np.clip(a, -1, 1), x)
    check_forward(T.sign, np.sign, x)
    check_forward(nnet.softplus, _softplus, np.array([-100, -20, 0, 20, 100, 1e4], "float32"))


def test_float32_tanh_over_its_whole_range():
    """float32 tanh is clgraph's rational approximation (common.mako clg_tanh_*), in
    scalar and vector code: relative error below 4e-7 from tiny to saturated inputs
    against float64 numpy, exactly +-1 where the correctly rounded value is, NaN kept;
    float64 keeps OpenCL's tanh."""
    v = np.concatenate([np.linspace(-12, 12, 40000), np.geomspace(1e-30, 20, 20000), -np.geomspace(1e-30, 20, 20000),
                        [0, -0.0, np.inf, -np.inf, np.nan, 3.999e-4, 4e-4, 7.9053, 9.0, 9.05, 1e30, -1e30, 0.5, -0.5, 9.010914, 9.010913]]).astype("float32")
    want = np.tanh(v.astype(np.float64))
    x, m = T.fvector(), T.fmatrix()
    scalar, vector = clgraph.function([x], T.tanh(x)), clgraph.function([m], T.tanh(m) + 0)
    for got in (scalar(v), vector(v.reshape(-1, 8)).ravel()):
        finite = np.isfinite(want)
        rel = np.abs(got[finite] - want[finite]) / np.maximum(np.abs(want[finite]), 1e-38)
        assert rel.max() < 4e-7, v[finite][rel.argmax()]
        assert np.isnan(got[np.isnan(want)]).all()
        np.testing.assert_array_equal(np.abs(got) == 1, np.abs(want.astype("float32")) == 1)
    d = T.dvector()
    np.testing.assert_allclose(clgraph.function([d], T.tanh(d))(v.astype("float64")), want, rtol=1e-15)


def test_weak_python_scalars_keep_dtype():
    x = T.fvector()
    assert (0.9 * x).dtype == "float32"
    assert (x * 2).dtype == "float32"
    assert (x + np.float64(2)).dtype == "float32"  # numpy 2: a numpy scalar is weak? no: NEP 50 strong
    i = T.ivector()
    assert (i * 2).dtype == "int32"
    assert (i * 0.5).dtype == "float64"
    assert (i / i).dtype == "float64"
    assert (x * T.dvector()).dtype == "float64"
    assert (x < 1).dtype == "bool"
