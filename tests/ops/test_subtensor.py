"""Indexing: basic (views), integer vectors (gather), set/inc_subtensor, gradients,
bounds checks, and the minibatch-by-givens pattern."""
import numpy as np
import pytest
from opcheck import check_forward, check_grad

import clgraph
import clgraph.tensor as T

BASIC = [
    (lambda x: x[1], lambda x: x[1]),
    (lambda x: x[-1], lambda x: x[-1]),
    (lambda x: x[1:3], lambda x: x[1:3]),
    (lambda x: x[::2], lambda x: x[::2]),
    (lambda x: x[::-1], lambda x: x[::-1]),
    (lambda x: x[-3:-1, 1::3], lambda x: x[-3:-1, 1::3]),
    (lambda x: x[:, 2], lambda x: x[:, 2]),
    (lambda x: x[1, 1:], lambda x: x[1, 1:]),
    (lambda x: x[None, 2], lambda x: x[None, 2]),
    (lambda x: x[..., 3], lambda x: x[..., 3]),
    (lambda x: x[5:2], lambda x: x[5:2]),  # empty
    (lambda x: x[100:], lambda x: x[100:]),  # slices clamp like Python's
]


@pytest.mark.parametrize("k", range(len(BASIC)))
def test_basic_indexing(k, rng):
    t_fn, np_fn = BASIC[k]
    v = rng.normal(size=(5, 6)).astype("float32")
    check_forward(t_fn, np_fn, v)
    check_forward(lambda x: t_fn(x) * 2 + 1, lambda x: np_fn(x) * 2 + 1, v)  # read by a kernel


def test_basic_indexing_is_a_view(rng):
    x = T.matrix("x")
    f = clgraph.function([x], x[1:3, ::2].T)
    assert f.kernels == []
    v = rng.normal(size=(4, 5)).astype("float32")
    np.testing.assert_array_equal(f(v), v[1:3, ::2].T)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_basic_indexing_grad(dtype, rng):
    v = rng.normal(size=(4, 5)).astype(dtype)
    check_grad(lambda x: x[1:3, ::2] * 3, v)
    check_grad(lambda x: x[-1] ** 2, v)
    check_grad(lambda x: x[::-1, 2] + x[0, 1], v)


def test_symbolic_indices_from_inputs(rng):
    x, i = T.matrix("x"), T.lscalar("i")
    f = clgraph.function([x, i], [x[i], x[i:i + 2], x[i * 2:]])
    v = rng.normal(size=(6, 3)).astype("float32")
    for iv in [0, 1, 2]:
        a, b, c = f(v, iv)
        np.testing.assert_array_equal(a, v[iv])
        np.testing.assert_array_equal(b, v[iv:iv + 2])
        np.testing.assert_array_equal(c, v[iv * 2:])
    with pytest.raises(clgraph.IndexOutOfRange, match=r"(?s)out of bounds.*test_subtensor.py"):
        f(v, 6)


def test_minibatch_by_givens(rng):
    data = rng.normal(size=(10, 4)).astype("float32")
    shared = clgraph.shared(data)
    x, index = T.matrix("x"), T.lscalar("index")
    bs = 3
    f = clgraph.function([index], T.sum(x * 2, axis=1), givens={x: shared[index * bs:(index + 1) * bs]})
    for i in range(4):  # the last batch is partial
        np.testing.assert_allclose(f(i), (data[i * bs:(i + 1) * bs] * 2).sum(axis=1), rtol=1e-6)


def test_index_computed_on_device_is_refused():
    x = T.vector("x")
    j = T.cast(T.sum(x), "int64")
    f = clgraph.function([x], x[j])
    with pytest.raises(clgraph.ShapeError, match="known before the call"):
        f(np.ones(3, "float32"))


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_integer_vector_indexing(dtype, rng):
    v = (rng.normal(size=(5, 4)) * 10).astype(dtype)
    idx = np.array([4, 0, -1, 2, 2])
    check_forward(lambda x: x[idx], lambda x: x[idx], v)
    check_forward(lambda x: x[:, [3, 1]], lambda x: x[:, [3, 1]], v)
    check_forward(lambda x: x[[0, 4, 1], [3, 3, -4]], lambda x: x[[0, 4, 1], [3, 3, -4]], v)
    check_forward(lambda x: x[idx, 1:3], lambda x: x[idx, 1:3], v)
    i = T.lvector("i")
    x = T.matrix("x", dtype=dtype)
    f = clgraph.function([x, i], x[i])
    np.testing.assert_array_equal(f(v, idx), v[idx])
    np.testing.assert_array_equal(f(v, np.zeros(0, "int64")), v[np.zeros(0, "int64")])


def test_nll_pattern(rng):
    """Theano's tutorial: -mean(log(p)[arange(n), y]) with y an input vector."""
    p = rng.uniform(0.1, 1, size=(6, 3)).astype("float32")
    y = np.array([0, 2, 1, 1, 0, 2])
    P, Y = T.matrix("P"), T.lvector("Y")
    f = clgraph.function([P, Y], -T.sum(T.log(P)[np.arange(6), Y]))
    np.testing.assert_allclose(f(p, y), -np.log(p[np.arange(6), y]).sum(), rtol=1e-5)


def test_out_of_range_vector_index_changes_nothing(rng):
    w = clgraph.shared(np.ones(3, "float32"))
    x, i = T.vector("x"), T.lvector("i")
    f = clgraph.function([x, i], x[i], updates=[(w, w + 1)])
    with pytest.raises(clgraph.IndexOutOfRange, match=r"(?s)AdvancedSubtensor1.*test_subtensor.py"):
        f(np.ones(4, "float32"), np.array([0, 4]))
    np.testing.assert_array_equal(w.get_value(), np.ones(3))
    with pytest.raises(clgraph.IndexOutOfRange):
        clgraph.function([x, i], T.inc_subtensor(x[i], 1))(np.ones(4, "float32"), np.array([-5]))
    f(np.ones(4, "float32"), np.array([3, -4]))
    np.testing.assert_array_equal(w.get_value(), np.full(3, 2))


@pytest.mark.parametrize("key", [(slice(None), slice(1, 3)), (slice(2, None), 1, slice(None, -1)),
                                 (slice(1, 1),), (-1, slice(0, 7)), (slice(None), slice(None), slice(3, 6))])
def test_inc_subtensor_of_unit_step_slices_in_three_axes(rng, key):
    """Slices without a step (tested without a division per element) on any axis,
    an empty one, an index, a y broadcast along the last axis."""
    v = rng.normal(size=(4, 5, 7)).astype(np.float32)
    region = v[key]
    y = rng.normal(size=region.shape[:-1] + (1,)).astype(np.float32) if region.ndim else np.float32(2)
    x, yv = T.ftensor3("x"), T.tensor(np.float32, (False,) * (region.ndim - 1) + (True,)) if region.ndim else \
        T.fscalar("y")
    f = clgraph.function([x, yv], [T.inc_subtensor(x[key], yv), T.set_subtensor(x[key], yv)])
    inc, put = v.copy(), v.copy()
    inc[key] += y
    put[key] = y
    got_inc, got_set = f(v, y)
    np.testing.assert_allclose(got_inc, inc, rtol=1e-6)
    np.testing.assert_allclose(got_set, put, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_set_and_inc_subtensor(dtype, rng):
    v = rng.normal(size=(4, 5)).astype(dtype)
    y = rng.normal(size=(2, 3)).astype(dtype)

    def np_set(x, y):
        out = x.copy()
        out[1:3, ::2] = y
        return out

    def np_inc(x, y):
        out = x.copy()
        out[1:3, ::2] += y
        return out
    check_forward(lambda a, b: T.set_subtensor(a[1:3, ::2], b), np_set, v, y)
    check_forward(lambda a, b: T.inc_subtensor(a[1:3, ::2], b), np_inc, v, y)
    check_forward(lambda a: T.set_subtensor(a[-1], 0), lambda a: np.concatenate([a[:-1], 0 * a[-1:]]), v)
    check_grad(lambda a, b: T.set_subtensor(a[1:3, ::2], b) * 2, v, y)
    check_grad(lambda a, b: T.inc_subtensor(a[1:3, ::2], b) ** 2, v, y)
    check_grad(lambda a, b: T.inc_subtensor(a[::-1, 1], b[0, 0]) ** 2, v, y)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inc_with_repeated_indices_accumulates(dtype, rng):
    v = rng.normal(size=(4, 3)).astype(dtype)
    y = rng.normal(size=(5, 3)).astype(dtype)
    idx = np.array([1, 3, 1, 1, 0])

    def np_inc(x, y):
        out = x.copy()
        np.add.at(out, idx, y)
        return out
    check_forward(lambda a, b: T.inc_subtensor(a[idx], b), np_inc, v, y)
    check_forward(lambda a, b: T.set_subtensor(a[[2, 0]], b[:2]),
                  lambda a, b: np.concatenate([b[1:2], a[1:2], b[0:1], a[3:]]), v, y)
    check_grad(lambda a, b: T.inc_subtensor(a[idx], b) ** 2, v, y)
    check_grad(lambda a: a[idx] * a[[0, 0, 2, 3, 1]], v)
    check_grad(lambda a: a[[0, 3, 3], [2, 1, 1]] ** 2, v)


def test_grad_of_embedding_lookup(rng):
    W = rng.normal(size=(6, 2))
    idx = np.array([5, 1, 5, 5])
    w = T.dmatrix("w")
    g = clgraph.grad(T.sum(w[idx] * np.arange(8.0).reshape(4, 2)), w)
    got = clgraph.function([w], g)(W)
    want = np.zeros((6, 2))
    np.add.at(want, idx, np.arange(8.0).reshape(4, 2))
    np.testing.assert_allclose(got, want)


def test_bad_indices():
    x = T.matrix()
    with pytest.raises(IndexError, match="too many"):
        x[1, 2, 3]
    with pytest.raises(clgraph.DTypeError, match="integer"):
        x[T.fscalar()]
    with pytest.raises(clgraph.DTypeError, match="boolean"):
        x[np.array([True, False])]
    with pytest.raises(TypeError, match="set_subtensor"):
        T.set_subtensor(x * 2, 1)
