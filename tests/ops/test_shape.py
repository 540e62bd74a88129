"""reshape, flatten, concatenate, stack, alloc, zeros, ones, arange, eye, x.shape."""
import numpy as np
import pytest
from opcheck import check_forward, check_grad

import clgraph
import clgraph.tensor as T


def test_reshape_and_flatten(rng):
    v = rng.normal(size=(3, 4, 2)).astype("float32")
    check_forward(lambda x: x.reshape((4, 6)), lambda x: x.reshape((4, 6)), v)
    check_forward(lambda x: x.reshape((2, -1)), lambda x: x.reshape((2, -1)), v)
    check_forward(lambda x: T.reshape(x, (24,)), lambda x: x.reshape(24), v)
    check_forward(lambda x: x.flatten(), lambda x: x.reshape(-1), v)
    check_forward(lambda x: x.flatten(2), lambda x: x.reshape(3, -1), v)
    check_forward(lambda x: x.dimshuffle(2, 0, 1).reshape((2, 12)), lambda x: x.transpose(2, 0, 1).reshape(2, 12), v)
    check_forward(lambda x: x[:, 1:3].flatten() * 2, lambda x: x[:, 1:3].reshape(-1) * 2, v)
    check_forward(lambda x: x.reshape((x.shape[0], -1)), lambda x: x.reshape(3, -1), v)


def test_reshape_of_contiguous_input_is_a_view():
    x = T.matrix()
    assert clgraph.function([x], x.reshape((2, -1))).kernels == []
    assert len(clgraph.function([x], x.T.reshape((2, -1))).kernels) == 1  # a strided view is copied once


def test_reshape_errors():
    x = T.matrix("x")
    f = clgraph.function([x], x.reshape((5, -1)))
    with pytest.raises(clgraph.ShapeError, match=r"(?s)cannot reshape.*\(3, 4\).*test_shape.py"):
        f(np.zeros((3, 4), "float32"))
    with pytest.raises(clgraph.ShapeError, match="only one"):
        clgraph.function([x], x.reshape((-1, -1)))(np.zeros((3, 4), "float32"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_shape_grads(dtype, rng):
    v = rng.normal(size=(3, 4)).astype(dtype)
    w = rng.normal(size=(2, 4)).astype(dtype)
    check_grad(lambda x: x.reshape((2, 6)) ** 2, v)
    check_grad(lambda x: x.T.flatten() * T.arange(12), v)
    check_grad(lambda x, y: T.concatenate([x, y * 2, x]) ** 2, v, w)
    check_grad(lambda x, y: T.concatenate([x.T, y.T], axis=1) ** 2, v, w)
    check_grad(lambda x: T.stack([x[0], x[2]], axis=1) ** 2, v)
    check_grad(lambda x: T.alloc(x[0], 3, 4) * T.arange(12).reshape((3, 4)), v)


def test_concatenate_and_stack(rng):
    a, b = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    check_forward(lambda x, y: T.concatenate([x, y]), lambda x, y: np.concatenate([x, y]), a, b)
    check_forward(lambda x, y: T.concatenate([x.T, y.T], axis=-1), lambda x, y: np.concatenate([x.T, y.T], -1), a, b)
    check_forward(lambda x: T.stack([x, x * 2, x]), lambda x: np.stack([x, x * 2, x]), a)
    check_forward(lambda x: T.stack([x, x], axis=2), lambda x: np.stack([x, x], axis=2), a)
    i, j = T.iscalar("i"), T.iscalar("j")
    np.testing.assert_array_equal(clgraph.function([i, j], T.stack([i, j, i + j]))(3, 4), [3, 4, 7])
    f = clgraph.function([x := T.matrix(), y := T.matrix()], T.concatenate([x, y]))
    with pytest.raises(clgraph.ShapeError, match="differ outside axis 0"):
        f(a, np.zeros((2, 5), "float32"))
    check_forward(lambda x, y: T.concatenate([x, y]), lambda x, y: np.concatenate([x, y]),
                  a.astype("int32"), b.astype("float64"))


def test_alloc_zeros_ones(rng):
    x, n = T.matrix("x"), T.lscalar("n")
    f = clgraph.function([x, n], [T.zeros((n, 3)), T.ones(x.shape, dtype="int32"), T.alloc(2.5, n),
                                  T.zeros_like(x), T.ones_like(x), T.alloc(x[0], n, 4), T.zeros(n)])
    v = rng.normal(size=(2, 4)).astype("float32")
    z, o, a, zl, ol, al, zv = f(v, 5)
    np.testing.assert_array_equal(z, np.zeros((5, 3)))
    assert z.dtype == np.float32 and o.dtype == np.int32
    np.testing.assert_array_equal(o, np.ones((2, 4)))
    np.testing.assert_array_equal(a, np.full(5, 2.5))
    np.testing.assert_array_equal(zl, np.zeros_like(v))
    np.testing.assert_array_equal(ol, np.ones_like(v))
    np.testing.assert_array_equal(al, np.broadcast_to(v[0], (5, 4)))
    np.testing.assert_array_equal(zv, np.zeros(5))
    assert T.zeros((1, 3)).broadcastable == (True, False)
    with pytest.raises(clgraph.ShapeError, match="cannot be broadcast"):
        f(np.zeros((2, 3), "float32"), 5)


def test_arange_and_eye():
    n, m = T.lscalar("n"), T.lscalar("m")
    f = clgraph.function([n, m], [T.arange(n), T.arange(2, n, 3), T.arange(n, dtype="float32") * 0.5,
                                  T.eye(n), T.eye(n, m, 1), T.eye(n, dtype="int32")])
    a, b, c, e, e2, e3 = f(7, 4)
    np.testing.assert_array_equal(a, np.arange(7))
    np.testing.assert_array_equal(b, np.arange(2, 7, 3))
    np.testing.assert_array_equal(c, np.arange(7, dtype="float32") * 0.5)
    np.testing.assert_array_equal(e, np.eye(7))
    np.testing.assert_array_equal(e2, np.eye(7, 4, 1))
    assert e3.dtype == np.int32 and a.dtype == np.int64
    assert isinstance(T.arange(5), T.TensorVariable) and T.arange(5).eval().tolist() == list(range(5))
    np.testing.assert_array_equal(T.eye(3).eval(), np.eye(3))


def test_symbolic_shape():
    x = T.tensor3("x")
    f = clgraph.function([x], [x.shape, x.shape[1], x.shape[0] * x.shape[2]])
    s, s1, p = f(np.zeros((2, 3, 4), "float32"))
    assert s.tolist() == [2, 3, 4] and s1 == 3 and p == 8
    assert f.kernels == []  # computed on the host
