"""Algebraic simplification: neutral operands, --x, log(exp(x)), integer x - x; the
output keeps its dtype and broadcast pattern, and values do not change."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.graph.basic import constant
from rewrite_helpers import apply_pass, compile_both, op_names

X = np.array([[-1.5, -0.0, 0.0, 2.0], [3.0, -4.25, 0.5, 1e-3], [7.0, np.inf, -np.inf, np.nan]], "float32")


@pytest.mark.parametrize("build,reference", [
    (lambda x: x * 1, lambda v: v),
    (lambda x: 1 * x, lambda v: v),
    (lambda x: x / 1, lambda v: v),
    (lambda x: x - 0, lambda v: v),
    (lambda x: 0 + x, lambda v: v + 0),
    (lambda x: x + 0.0, lambda v: v + 0),
    (lambda x: -(-x), lambda v: v),
    (lambda x: T.log(T.exp(x)), lambda v: v),
    (lambda x: (x * 1 + 0) / 1, lambda v: v + 0),
], ids=["x*1", "1*x", "x/1", "x-0", "0+x", "x+0.0", "--x", "log(exp(x))", "chain"])
def test_identities_disappear(build, reference):
    x = T.fmatrix("x")
    y = build(x)
    after = apply_pass("simplify", y)
    assert after is x
    f, f0 = compile_both([x], y)
    got, plain = f(X), f0(X)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, reference(X))
    # the same as without the rewrite (assert_array_equal takes -0.0 == 0.0: x + 0 gives
    # +0.0 there), up to the rounding of exp and log in log(exp(x))
    tol = 1e-6 if y.owner.op.scalar_op.name == "log" else 0
    np.testing.assert_allclose(got, plain, rtol=tol, atol=tol)


def test_log_of_exp_is_exact_where_the_original_overflows():
    x = T.fvector("x")
    f, f0 = compile_both([x], T.log(T.exp(x)))
    v = np.float32([-200, -1, 0, 1, 100])
    np.testing.assert_array_equal(f(v), v)
    assert np.isinf(f0(v)[[0, 4]]).all()  # exp under/overflows without the rewrite


def test_another_dtype_becomes_a_cast(rng):
    i = T.ivector("i")
    y = i * 1.0  # numpy: int32 * float -> float64
    after = apply_pass("simplify", y)
    assert op_names(after) == ["cast_float64"] and after.dtype == "float64"
    assert after.owner.trace.lineno == y.owner.trace.lineno  # the user's line is kept
    iv = rng.integers(-1000, 1000, 7).astype("int32")
    f, f0 = compile_both([i], y)
    assert f(iv).dtype == np.float64
    np.testing.assert_array_equal(f(iv), iv * 1.0)
    np.testing.assert_array_equal(f0(iv), iv * 1.0)


def test_a_broadcasting_constant_is_kept():
    """x * ones((3, 4)) with a row x is a (3, 4) matrix: removing it would change the shape."""
    r = T.frow("r")
    y = r * constant(np.ones((3, 4), "float32"))
    assert apply_pass("simplify", y) is y
    f, f0 = compile_both([r], y)
    rv = np.float32([[1, 2, 3, 4]])
    assert f(rv).shape == (3, 4)
    np.testing.assert_array_equal(f(rv), np.broadcast_to(rv, (3, 4)))
    np.testing.assert_array_equal(f0(rv), f(rv))


def test_integer_self_subtraction_is_zero_but_float_is_not():
    i, x = T.imatrix("i"), T.fmatrix("x")
    zero = apply_pass("simplify", i - i)
    assert op_names(zero) == ["second"] and zero.type == (i - i).type
    kept = apply_pass("simplify", x - x)  # NaN - NaN and inf - inf are NaN
    assert op_names(kept) == ["sub"]
    f, f0 = compile_both([i, x], [i - i, x - x])
    iv = np.arange(12, dtype="int32").reshape(3, 4)
    zi, zx = f(iv, X)
    np.testing.assert_array_equal(zi, np.zeros((3, 4), "int32"))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(zx, X - X)
    for a, b in zip(f0(iv, X), (zi, zx)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("build", [lambda x: x / x, lambda x: T.exp(T.log(x)), lambda x: x * 0],
                         ids=["x/x", "exp(log(x))", "x*0"])
def test_inexact_identities_are_not_applied(build):
    x = T.fvector("x")
    y = build(x)
    assert op_names(apply_pass("simplify", y)) == op_names(y)
    f = clgraph.function([x], y)
    v = np.float32([-2.0, 0.0, np.inf, 3.0])
    with np.errstate(all="ignore"):
        want = {"true_div": v / v, "exp": np.exp(np.log(v)), "mul": v * 0}[str(y.owner.op)]
    np.testing.assert_allclose(f(v), want, rtol=1e-6, equal_nan=True)


def test_outputs_and_updates_that_become_inputs_still_get_their_own_buffer():
    x = T.fmatrix("x")
    w = clgraph.shared(np.float32([[1, 2], [3, 4]]), name="w")
    f = clgraph.function([x], x * 1, updates=[(w, w.T * 1)])
    v = np.ones((2, 2), "float32")
    out = f(v)
    out[0, 0] = 5  # not the input's memory
    np.testing.assert_array_equal(v, np.ones((2, 2)))
    np.testing.assert_array_equal(w.get_value(), [[1, 3], [2, 4]])
    f(v)
    np.testing.assert_array_equal(w.get_value(), [[1, 2], [3, 4]])


def test_reductions_over_no_axes_disappear(rng):
    from clgraph.ops.reduce import Reduce
    s = T.fscalar("s")
    xi = T.iscalar("i")
    outs = [Reduce("mean", ())(s), Reduce("sum", ())(s), Reduce("max", ())(s), Reduce("mean", ())(xi)]
    after = apply_pass("simplify", *outs)
    assert after[0] is s and after[1] is s and after[2] is s
    assert op_names(after[3]) == ["cast_float64"]  # numpy: the mean of ints is float64
    f, f0 = compile_both([s, xi], outs)
    got, plain = f(2.5, 7), f0(2.5, 7)
    assert [g.dtype for g in got] == [p.dtype for p in plain] == ["float32"] * 3 + ["float64"]
    np.testing.assert_array_equal(got, plain)


def test_second_of_an_operand_of_the_result_type():
    from clgraph.ops.elemwise import Elemwise
    from clgraph.ops.scalar import SCALAR_OPS
    a, b = T.fmatrix("a"), T.fmatrix("b")
    y = Elemwise(SCALAR_OPS["second"])(a, b)
    assert apply_pass("simplify", y) is b
    row = T.TensorType("float32", (True, False))("row")
    z = Elemwise(SCALAR_OPS["second"])(a, row)  # broadcasts: kept
    assert apply_pass("simplify", z) is z
    f, f0 = compile_both([a, b, row], [y, z], on_unused_input="ignore")
    av, bv, rv = X, X[::-1] * 2, X[:1] + 1
    for g, p in zip(f(av, bv, rv), f0(av, bv, rv)):
        np.testing.assert_array_equal(g, p)
