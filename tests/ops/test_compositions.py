"""Theano tensor functions built from clgraph's ops (tensor/compositions.py): values
against numpy, gradients by finite differences, broadcast patterns, and the error for
a name clgraph does not offer."""
import numpy as np
import pytest
from opcheck import check_forward, check_grad

import clgraph
import clgraph.tensor as T


@pytest.mark.parametrize("t_fn,np_fn", [
    (lambda x: T.shape_padleft(x, 2), lambda x: x[None, None]),
    (lambda x: T.shape_padright(x), lambda x: x[..., None]),
    (lambda x: T.shape_padaxis(x, 1), lambda x: x[:, None]),
    (lambda x: T.join(1, x, 2 * x), lambda x: np.concatenate([x, 2 * x], 1)),
    (lambda x: T.tensordot(x, x.T, axes=1), lambda x: np.tensordot(x, x.T, 1)),
    (lambda x: T.tensordot(x, x, axes=[[0, 1], [0, 1]]), lambda x: np.tensordot(x, x, [[0, 1], [0, 1]])),
    (lambda x: T.tile(x, (2, 3)), lambda x: np.tile(x, (2, 3))),
    (lambda x: T.tile(x, (2, 1, 1)), lambda x: np.tile(x, (2, 1, 1))),
    (lambda x: T.repeat(x, 3, axis=0), lambda x: np.repeat(x, 3, axis=0)),
    (lambda x: T.repeat(x, 2), lambda x: np.repeat(x, 2)),
    (lambda x: T.roll(x, 2, axis=1), lambda x: np.roll(x, 2, axis=1)),
    (lambda x: T.roll(x, -5), lambda x: np.roll(x, -5)),
    (lambda x: T.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1)),
    (lambda x: T.cumsum(x), np.cumsum),
    (lambda x: T.cumprod(x, axis=0), lambda x: np.cumprod(x, axis=0)),
    (T.cosh, np.cosh), (T.sinh, np.sinh), (T.sgn, np.sign),
    (lambda x: T.largest(x, 2 * x, -x), lambda x: np.maximum(np.maximum(x, 2 * x), -x)),
    (lambda x: T.smallest(x, 2 * x), lambda x: np.minimum(x, 2 * x)),
])
def test_values_as_numpy(rng, t_fn, np_fn):
    check_forward(t_fn, np_fn, rng.normal(size=(3, 4)).astype("float32"))


@pytest.mark.parametrize("t_fn", [
    lambda x: T.tensordot(x, x.T, axes=1), lambda x: T.tile(x, (2, 2)), lambda x: T.repeat(x, 2, axis=1),
    lambda x: T.roll(x, 1, axis=0), lambda x: T.cumsum(x, axis=1), lambda x: T.cumprod(x, axis=0),
    T.cosh, T.sinh, lambda x: T.join(0, x, x * x),
])
def test_gradients(rng, t_fn):
    check_grad(t_fn, rng.normal(size=(3, 4)))


def test_broadcast_patterns():
    x, v = T.fmatrix("x"), T.fvector("v")
    assert T.addbroadcast(x, 0).broadcastable == (True, False)
    assert T.unbroadcast(T.shape_padleft(v), 0).broadcastable == (False, False)
    assert T.patternbroadcast(x, (False, True)).broadcastable == (False, True)
    f = clgraph.function([x, v], T.addbroadcast(x, 0) + T.shape_padright(v))
    xv, vv = np.ones((1, 3), "float32"), np.arange(2, dtype="float32")
    np.testing.assert_allclose(f(xv, vv), xv + vv[:, None])
    with pytest.raises(Exception):
        f(np.ones((2, 3), "float32"), vv)   # a length that is not 1 on an axis said to broadcast


def test_nan_inf_and_closeness():
    x = T.fvector("x")
    z = np.array([np.nan, np.inf, -np.inf, 1.0, 0.0], "float32")
    f = clgraph.function([x], [T.isnan(x), T.isinf(x), T.isclose(x, x), T.isclose(x, x, equal_nan=True),
                               T.allclose(x[3:], x[3:] * 1.0000001), T.allclose(x[3:], x[3:] + 1)])
    nan, inf, close, close_nan, near, far = f(z)
    np.testing.assert_array_equal(nan, np.isnan(z))
    np.testing.assert_array_equal(inf, np.isinf(z))
    np.testing.assert_array_equal(close, np.isclose(z, z))
    np.testing.assert_array_equal(close_nan, np.isclose(z, z, equal_nan=True))
    assert bool(near) and not bool(far)


def test_jacobian_and_hessian_in_T():
    x = T.dvector("x")
    H = clgraph.function([x], T.hessian(T.sum(x ** 3), x))
    xv = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(H(xv), np.diag(6 * xv))
    J = clgraph.function([x], T.jacobian(x ** 2, x))
    np.testing.assert_allclose(J(xv), np.diag(2 * xv))


def test_a_name_not_offered_says_so_and_names_the_alternative():
    with pytest.raises(clgraph.ClgraphError, match="T.switch"):
        T.nonzero
    with pytest.raises(clgraph.ClgraphError, match="complex numbers are not offered"):
        T.cmatrix
    with pytest.raises(AttributeError):
        T.no_such_function
