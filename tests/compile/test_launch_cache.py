"""A step's launches are recorded per operand layout and replayed with the new call's
buffers. Replays must follow every change: new minibatch offsets, other shapes, and
operands that start or stop sharing a buffer."""
import numpy as np

import clgraph
import clgraph.tensor as T


def test_minibatch_offsets_and_a_short_last_batch(rng):
    data = rng.normal(size=(10, 6)).astype("float32")
    w = rng.normal(size=(6, 3)).astype("float32")
    shared = clgraph.shared(data)
    i, x = T.lscalar("i"), T.fmatrix("x")
    f = clgraph.function([i], T.tanh(T.dot(x, w)).sum(axis=0), givens={x: shared[i * 4:(i + 1) * 4]})
    for k in [0, 1, 2, 1, 0, 2]:  # the last batch has 2 rows
        np.testing.assert_allclose(f(k), np.tanh(data[k * 4:(k + 1) * 4] @ w).sum(axis=0), rtol=1e-5, atol=1e-6)


def test_alternating_shapes(rng):
    x = T.fmatrix("x")
    f = clgraph.function([x], [T.exp(x) + x.sum(axis=1, keepdims=True), x.T.dot(x)])
    for shape in [(3, 4), (5, 2), (3, 4), (70, 9), (5, 2)]:
        v = rng.normal(size=shape).astype("float32")
        a, b = f(v)
        np.testing.assert_allclose(a, np.exp(v) + v.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(b, v.T @ v, rtol=1e-5, atol=1e-5)


def test_operands_that_start_and_stop_sharing_a_buffer():
    a = clgraph.shared(np.arange(4, dtype="float32"))
    b = clgraph.shared(np.full(4, 10, dtype="float32"))
    total = clgraph.function([], a * 2 + b)
    copy_b_into_a = clgraph.function([], [], updates=[(a, b)])
    np.testing.assert_array_equal(total(), np.arange(4) * 2 + 10)
    copy_b_into_a()  # a and b now hold the same buffer
    np.testing.assert_array_equal(total(), np.full(4, 30))
    a.set_value(np.ones(4, "float32"))
    np.testing.assert_array_equal(total(), np.full(4, 12))


def test_intermediate_buffers_are_reused_within_a_call(rng, monkeypatch):
    """A chain of six products of the same shape needs two buffers in flight, not six:
    a result's buffer goes back to the pool once its last reader is enqueued."""
    from clgraph.runtime.arrays import BufferPool
    m, n = 37, 41
    nbytes = m * n * 4
    created = []
    take = BufferPool.take

    def counting_take(self, size):
        stack = self.free.get(max(int(size), 4))
        if size == nbytes and not stack:
            created.append(size)
        return take(self, size)
    monkeypatch.setattr(BufferPool, "take", counting_take)
    w = rng.normal(size=(n, n)).astype("float32") / n
    x = T.fmatrix("x")
    y = x
    for _ in range(6):
        y = T.dot(y, w)
    f = clgraph.function([x], y.sum())
    v = rng.normal(size=(m, n)).astype("float32")
    got = f(v)
    want = v
    for _ in range(6):
        want = want @ w
    np.testing.assert_allclose(got, want.sum(), rtol=1e-4, atol=1e-5)
    assert len(created) <= 3  # the input and two products in flight


def test_two_views_of_one_buffer_whose_offsets_meet_then_part(rng):
    """Replays patch each operand's offset; two slices of one shared buffer that start
    at the same place in the first call must still be told apart later."""
    data = rng.normal(size=(6, 5)).astype("float32")
    shared = clgraph.shared(data)
    i, j = T.lscalar("i"), T.lscalar("j")
    a, b = shared[i:i + 2], shared[j:j + 2]
    f = clgraph.function([i, j], [a * 2 - b, T.dot(a, b.T)])
    for p, q in [(0, 0), (1, 3), (4, 2), (2, 2), (0, 4)]:
        got = f(p, q)
        np.testing.assert_allclose(got[0], data[p:p + 2] * 2 - data[q:q + 2], rtol=1e-6)
        np.testing.assert_allclose(got[1], data[p:p + 2] @ data[q:q + 2].T, rtol=1e-5, atol=1e-6)


def test_host_computed_values_uploaded_once_per_value(rng):
    x = T.fmatrix("x")
    f = clgraph.function([x], x.mean(axis=0) * x.shape[0])  # the row count: a host value
    for rows in [3, 5, 3, 5]:
        v = rng.normal(size=(rows, 4)).astype("float32")
        np.testing.assert_allclose(f(v), v.mean(axis=0) * rows, rtol=1e-5, atol=1e-6)
    assert len(f.plan._uploaded) <= 2

