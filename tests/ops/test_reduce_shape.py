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
