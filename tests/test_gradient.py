"""grad, jacobian, hessian and verify_grad."""
import numpy as np
import pytest
from opcheck import check_grad

import clgraph
import clgraph.tensor as T
from clgraph.gradient import hessian, jacobian, verify_grad
from clgraph.tensor import nnet


def test_grad_list_and_single(rng):
    a, b = T.dvector("a"), T.dvector("b")
    cost = T.sum(a * b + T.exp(a))
    ga, gb = clgraph.grad(cost, [a, b])
    av, bv = rng.normal(size=4), rng.normal(size=4)
    got_a, got_b = clgraph.function([a, b], [ga, gb])(av, bv)
    np.testing.assert_allclose(got_a, bv + np.exp(av), rtol=1e-12)
    np.testing.assert_allclose(got_b, av, rtol=1e-12)
    assert isinstance(clgraph.grad(cost, a), T.TensorVariable)
    assert T.grad is not None and T.grad(cost, [a])[0].ndim == 1


def test_grad_dtype_follows_wrt():
    x = T.fvector("x")
    g = clgraph.grad(T.sum(0.5 * x ** 2), x)
    assert g.dtype == "float32"
    w = T.fmatrix("w")
    assert clgraph.grad(T.sum(T.tanh(w * 2.5)), w).dtype == "float32"


def test_grad_through_reductions_and_broadcast(rng):
    W, b = T.dmatrix("W"), T.dvector("b")
    cost = T.sum(T.tanh(W + b) ** 2) + T.max(W) + T.sum(W, axis=0).sum()
    check_grad(lambda w, v: T.sum(T.tanh(w + v) ** 2) + T.sum(w, axis=1).sum() + T.min(v),
               rng.normal(size=(3, 4)), rng.normal(size=4))
    assert clgraph.grad(cost, [W, b])[1].ndim == 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_of_composite_expression(dtype, rng):
    check_grad(lambda x, y: nnet.sigmoid(x * y) + T.log1p(T.exp(x)) / (1 + y * y) - nnet.softplus(-x) * 3,
               rng.normal(size=(2, 3)).astype(dtype), rng.normal(size=(2, 3)).astype(dtype))


def test_consider_constant(rng):
    x = T.dvector("x")
    y = x * x
    cost = T.sum(y * x)
    g = clgraph.grad(cost, x, consider_constant=[y])
    v = rng.normal(size=3)
    np.testing.assert_allclose(clgraph.function([x], g)(v), v * v, rtol=1e-12)


def test_disconnected_input():
    x, y = T.vector("x"), T.vector("y")
    cost = T.sum(x * 2)
    with pytest.raises(clgraph.DisconnectedInputError, match=r"(?s)does not depend on y.*test_gradient.py"):
        clgraph.grad(cost, y)
    g = clgraph.grad(cost, y, disconnected_inputs="ignore")
    np.testing.assert_array_equal(clgraph.function([x, y], g, on_unused_input="ignore")(
        np.ones(2, "float32"), np.ones(3, "float32")), np.zeros(3))
    with pytest.warns(UserWarning, match="does not depend"):
        clgraph.grad(cost, y, disconnected_inputs="warn")


def test_non_scalar_cost_and_integer_cost():
    x = T.vector("x")
    with pytest.raises(clgraph.GradientError, match="must be a scalar"):
        clgraph.grad(x * 2, x)
    i = T.iscalar("i")
    with pytest.raises(clgraph.GradientError, match="integer"):
        clgraph.grad(i * 2, i)


def test_gradient_is_zero_through_integer_paths(rng):
    x = T.dvector("x")
    cost = T.sum(T.cast(T.cast(x, "int32"), "float64") * x)  # floor-like path has no gradient
    v = np.array([1.5, -2.25, 3.0])
    np.testing.assert_allclose(clgraph.function([x], clgraph.grad(cost, x))(v), v.astype(np.int32), rtol=1e-12)


def test_jacobian_matches_numpy(rng):
    x = T.dvector("x")
    W = T.dmatrix("W")
    y = T.tanh(x * 2) * T.sum(x)
    v = rng.normal(size=4)
    J = clgraph.function([x], jacobian(y, x))(v)
    t, s = np.tanh(2 * v), v.sum()
    np.testing.assert_allclose(J, np.diag(2 * (1 - t * t) * s) + t[:, None], rtol=1e-12)
    # a matrix expression and a list of wrt: shapes expr.shape + wrt.shape
    Jw, Jx = jacobian(W * x, [W, x])
    wv = rng.normal(size=(2, 4))
    jw, jx = clgraph.function([W, x], [Jw, Jx])(wv, v)
    assert jw.shape == (2, 4, 2, 4) and jx.shape == (2, 4, 4)
    want_jx = np.zeros((2, 4, 4))
    for i in range(2):
        for j in range(4):
            want_jx[i, j, j] = wv[i, j]
            assert jw[i, j, i, j] == v[j]
    np.testing.assert_allclose(jx, want_jx)
    assert np.count_nonzero(jw) == np.count_nonzero(v) * 2


def test_jacobian_of_scalar_is_grad():
    x = T.dvector("x")
    g = jacobian(T.sum(x * x), x)
    np.testing.assert_allclose(clgraph.function([x], g)(np.array([1.0, 2.0])), [2, 4])


def test_hessian_matches_numpy(rng):
    x = T.dvector("x")
    cost = T.sum(x ** 3) + T.sum(x) ** 2 + T.sum(T.exp(x) * x)
    H = clgraph.function([x], hessian(cost, x))
    v = rng.normal(size=5)
    want = np.diag(6 * v + np.exp(v) * (v + 2)) + 2
    np.testing.assert_allclose(H(v), want, rtol=1e-10)
    v3 = v[:3]
    np.testing.assert_allclose(H(v3), np.diag(6 * v3 + np.exp(v3) * (v3 + 2)) + 2, rtol=1e-10)
    with pytest.raises(clgraph.GradientError, match="vector"):
        hessian(cost, T.dmatrix())


def test_verify_grad_detects_a_wrong_gradient(rng):
    """An op with a deliberately wrong gradient must fail verify_grad."""
    from clgraph.ops.elemwise import Elemwise
    from clgraph.ops.scalar import ScalarOp
    wrong = Elemwise(ScalarOp("bad_exp", 1, {"f": "exp({0})"}, np.exp,
                              lambda x, z, gz: [gz * z * 1.1]))
    with pytest.raises(clgraph.GradientError, match="disagrees with finite differences"):
        verify_grad(lambda x: wrong(x), [rng.normal(size=3)])
    verify_grad(lambda x: T.exp(x), [rng.normal(size=3)])
