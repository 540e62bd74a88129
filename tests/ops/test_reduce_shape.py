"""The reductions and views the foundation needs (sum/max/min over axes, dimshuffle,
transpose), forward against numpy and with gradients."""
import numpy as np
import pytest
from opcheck import check_forward, check_grad

import clgraph
import clgraph.tensor as T


@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2), (1, 2), -1])
@pytest.mark.parametrize("kind", ["sum", "max", "min"])
def test_reductions_forward(kind, axis, rng):
    v = rng.normal(size=(3, 4, 5)).astype("float32")
    check_forward(lambda x: getattr(T, kind)(x, axis=axis), lambda x: getattr(np, kind)(x, axis=axis), v,
                  rtol=1e-5, atol=1e-5)
    check_forward(lambda x: getattr(x, kind)(axis=axis, keepdims=True),
                  lambda x: getattr(np, kind)(x, axis=axis, keepdims=True), v, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["int32", "int8", "bool", "uint8", "float64"])
def test_sum_dtypes_follow_numpy(dtype, rng):
    v = rng.integers(0, 3, (6, 7)).astype(dtype)
    check_forward(lambda x: T.sum(x, axis=0), lambda x: np.sum(x, axis=0), v)
    check_forward(lambda x: T.max(x, axis=1), lambda x: np.max(x, axis=1), v)


def test_sum_of_long_float32_vector_is_accurate(rng):
    v = rng.uniform(0, 1, 1_000_003).astype("float32")
    got = clgraph.function([x := T.fvector()], T.sum(x))(v)
    exact = v.astype(np.float64).sum()
    # within one float32 ulp of the exact sum (a naive float32 loop is ~100 ulp off here)
    assert abs(float(got) - exact) <= np.spacing(np.float32(exact))


def test_reduction_of_strided_view(rng):
    v = rng.normal(size=(4, 6)).astype("float32")
    check_forward(lambda x: T.sum(x.T * 2, axis=1), lambda x: (x.T * 2).sum(axis=1), v, rtol=1e-5)
    check_forward(lambda x: x.T.sum(axis=1), lambda x: x.T.sum(axis=1), v, rtol=1e-5)


def test_empty_axes(rng):
    v = np.zeros((0, 3), "float32")
    check_forward(lambda x: T.sum(x, axis=0), lambda x: np.sum(x, axis=0), v)
    check_forward(lambda x: T.sum(x, axis=1), lambda x: np.sum(x, axis=1), v)
    with pytest.raises(clgraph.ShapeError, match="empty"):
        clgraph.function([x := T.matrix()], T.max(x, axis=0))(v)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reduction_grads(dtype, rng):
    v = rng.normal(size=(3, 4)).astype(dtype)
    check_grad(lambda x: T.sum(x * x, axis=0), v)
    check_grad(lambda x: T.max(x, axis=1), v)
    check_grad(lambda x: T.min(x), v)


def test_dimshuffle_transpose(rng):
    v = rng.normal(size=(2, 3, 4)).astype("float32")
    check_forward(lambda x: x.dimshuffle(2, "x", 0, 1) * 1, lambda x: x.transpose(2, 0, 1)[:, None], v)
    check_forward(lambda x: x.transpose(1, 0, 2) + 0, lambda x: x.transpose(1, 0, 2), v)
    check_forward(lambda x: x.T, lambda x: x.T, v)
    r = rng.normal(size=(1, 5)).astype("float32")
    xr = T.frow("r")
    np.testing.assert_array_equal(clgraph.function([xr], xr.dimshuffle(1))(r), r[0])
    with pytest.raises(ValueError, match="not broadcastable"):
        T.matrix().dimshuffle(1)
    check_grad(lambda x: x.dimshuffle(2, "x", 0, 1) * T.constant(np.arange(24.0).reshape(4, 1, 2, 3)),
               v.astype("float64"))


REDUCE_FNS = {
    "sum": (T.sum, np.sum), "mean": (T.mean, np.mean), "prod": (T.prod, np.prod), "max": (T.max, np.max),
    "min": (T.min, np.min), "var": (T.var, np.var), "std": (T.std, np.std),
}


@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2), (0, 1), -1])
@pytest.mark.parametrize("name", sorted(REDUCE_FNS))
def test_reductions_against_numpy(name, axis, rng):
    t_fn, np_fn = REDUCE_FNS[name]
    # 3 x 5 x 19: vector bodies and tails along the last axis
    v = rng.uniform(0.5, 1.5, size=(3, 5, 19)).astype("float64")
    check_forward(lambda x: t_fn(x, axis=axis), lambda x: np_fn(x, axis=axis), v, rtol=1e-10)
    v32 = v.astype("float32")
    check_forward(lambda x: t_fn(x, axis=axis, keepdims=True), lambda x: np_fn(x, axis=axis, keepdims=True),
                  v32, rtol=2e-5)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("kind", ["argmax", "argmin"])
def test_argmax_argmin(kind, axis, rng):
    v = rng.normal(size=(6, 9)).astype("float32")
    v[2, 3] = v[2].max() if kind == "argmax" else v[2].min()  # a tie: the first one wins
    t_fn, np_fn = getattr(T, kind), getattr(np, kind)
    check_forward(lambda x: t_fn(x, axis=axis), lambda x: np_fn(x, axis=axis), v)
    check_forward(lambda x: getattr(x, kind)(axis=axis), lambda x: np_fn(x, axis=axis), v.astype("int32"))
    nan = v.copy()
    nan[1, 4] = np.nan
    check_forward(lambda x: t_fn(x, axis=axis), lambda x: np_fn(x, axis=axis), nan)


def test_integer_mean_and_prod_dtypes(rng):
    v = rng.integers(1, 4, (4, 5)).astype("int32")
    check_forward(lambda x: T.mean(x, axis=0), lambda x: np.mean(x, axis=0), v)
    check_forward(lambda x: T.prod(x, axis=1), lambda x: np.prod(x, axis=1), v)


def test_prologue_runs_inside_the_reduction(rng):
    x, b = T.matrix("x"), T.vector("b")
    f = clgraph.function([x, b], [T.sum(x ** 2, axis=1), T.exp(x + b).sum(axis=0), ((x - b) ** 2).mean()])
    assert len(f.kernels) == 3 and all("reduce" in k.name for k in f.kernels)
    v, bv = rng.normal(size=(7, 13)).astype("float32"), rng.normal(size=13).astype("float32")
    a, s, m = f(v, bv)
    np.testing.assert_allclose(a, (v ** 2).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(s, np.exp(v + bv).sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(m, ((v - bv) ** 2).mean(), rtol=1e-5)
    # a value needed elsewhere is not fused (it is computed once and kept)
    y = T.exp(x)
    g = clgraph.function([x], [y, y.sum()])
    assert len(g.kernels) == 2


def test_var_with_ddof(rng):
    v = rng.normal(size=(5, 6))
    check_forward(lambda x: T.var(x, axis=1, ddof=1), lambda x: np.var(x, axis=1, ddof=1), v, rtol=1e-10)
    check_forward(lambda x: x.std(axis=0, ddof=1), lambda x: np.std(x, axis=0, ddof=1), v, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_more_reduction_grads(dtype, rng):
    v = rng.uniform(0.5, 1.5, size=(3, 4)).astype(dtype)
    check_grad(lambda x: T.mean(x, axis=1), v)
    check_grad(lambda x: x.var(axis=0) + x.std(), v)
    check_grad(lambda x: T.prod(x, axis=0), v)
    zeros = v.copy()
    zeros[0, 1] = 0  # one zero in column 1
    zeros[1:, 2] = 0  # two zeros in column 2
    check_grad(lambda x: T.prod(x, axis=0) * 1, zeros.astype(dtype))


def test_prod_grad_with_zeros_matches_numpy():
    x = T.dvector("x")
    g = clgraph.function([x], clgraph.grad(T.prod(x), x))
    for v in [np.array([2.0, 3.0, 4.0]), np.array([2.0, 0.0, 4.0]), np.array([0.0, 0.0, 4.0])]:
        want = np.array([np.prod(np.delete(v, i)) for i in range(3)])
        np.testing.assert_allclose(g(v), want)
