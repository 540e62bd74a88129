"""Repeated calls replayed from a recording (compile/replay.py) compute what the generic
path computes: minibatch slices that move with the index, shared variables swapped or
written in place, new input arrays, a new shape class, set_value between calls, and
the cases that must fall back to the generic path."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.config import config


def sgd_step(rng, n=50, d=7, k=3, bs=8):
    """A minibatch softmax-regression SGD step over data kept in shared variables."""
    xs = rng.normal(size=(n, d)).astype("float32")
    ys = np.eye(k, dtype="float32")[rng.integers(0, k, n)]
    w0 = (rng.normal(size=(d, k)) * 0.1).astype("float32")
    data_x, data_y = clgraph.shared(xs), clgraph.shared(ys)
    W, b = clgraph.shared(w0.copy()), clgraph.shared(np.zeros(k, "float32"))
    steps = clgraph.shared(np.zeros((), "float32"))
    i, size = T.lscalar("i"), T.lscalar("size")
    x, y = T.fmatrix("x"), T.fmatrix("y")
    p = T.nnet.softmax(T.dot(x, W) + b)
    loss = T.mean(T.sum((p - y) ** 2, axis=1))
    gW, gb = clgraph.grad(loss, [W, b])
    batch = slice(i * bs, i * bs + size)
    fn = clgraph.function([i, size], [loss, T.argmax(p, axis=1)],
                          updates=[(W, W - 0.5 * gW), (b, b - 0.5 * gb), (steps, steps + 1)],
                          givens={x: data_x[batch], y: data_y[batch]})
    return fn, (xs, ys, w0), (W, b, steps)


def numpy_sgd(xs, ys, w, b, lo, hi):
    x, y = xs[lo:hi], ys[lo:hi]
    z = x @ w + b
    e = np.exp(z - z.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    loss = np.mean(np.sum((p - y) ** 2, axis=1))
    gp = 2 * (p - y) / len(x)
    gz = p * (gp - (gp * p).sum(1, keepdims=True))
    return loss, p.argmax(1), w - 0.5 * x.T @ gz, b - 0.5 * gz.sum(0)


@pytest.mark.parametrize("replay", [True, False])
def test_minibatch_steps_match_numpy(replay, rng):
    """Full batches (one signature, replayed from the second call on), the partial last
    batch (another), then full ones again: every step as numpy computes it."""
    with config.change(replay_calls=replay):
        fn, (xs, ys, w), (W, b, steps) = sgd_step(rng)
        bv = np.zeros(3, "float32")
        schedule = [(0, 8), (1, 8), (2, 8), (3, 8), (6, 2), (4, 8), (6, 2), (6, 2), (5, 8), (0, 8)]
        for i, size in schedule:
            loss, cls = fn(i, size)
            want_loss, want_cls, w, bv = numpy_sgd(xs, ys, w, bv, i * 8, i * 8 + size)
            np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
            np.testing.assert_array_equal(cls, want_cls)
        np.testing.assert_allclose(W.get_value(), w, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b.get_value(), bv, rtol=1e-4, atol=1e-6)
        assert steps.get_value() == len(schedule)
        replays = [r for r in fn._replays.values() if r is not None]
        assert len(replays) == (2 if replay else 0)  # full batches and the partial one


def test_a_reshape_of_a_minibatch_by_its_own_shape(rng):
    """LeNet's x.reshape((x.shape[0], 1, 28, 28)) of a givens slice: the new shape is
    computed from the slice's shape, which the index decides (the partial last batch),
    and a replayed call must not take it from the index arithmetic alone."""
    xs = rng.normal(size=(45, 12)).astype("float32")
    w0 = rng.normal(size=(12, 3)).astype("float32")
    data, W = clgraph.shared(xs), clgraph.shared(w0.copy())
    i, x = T.lscalar("i"), T.fmatrix("x")
    rows = x.reshape((x.shape[0], 3, 4)).max(axis=1)          # (batch, 4)
    cost = T.sum(T.dot(x, W) ** 2) + T.sum(rows[:, :3] * T.dot(x, W))
    fn = clgraph.function([i], cost, updates=[(W, W - 0.001 * clgraph.grad(cost, W))],
                          givens={x: data[i * 10:(i + 1) * 10]})
    w = w0.astype(np.float64)
    for k in [0, 1, 2, 4, 3, 4, 0, 1]:
        xb = xs[k * 10:(k + 1) * 10].astype(np.float64)
        m = xb.reshape(len(xb), 3, 4).max(axis=1)[:, :3]
        z = xb @ w
        np.testing.assert_allclose(fn(k), (z ** 2).sum() + (m * z).sum(), rtol=1e-4)
        w = w - 0.001 * xb.T @ (2 * z + m)
    np.testing.assert_allclose(W.get_value(), w, rtol=1e-4, atol=1e-5)


def test_remembered_index_arithmetic_stays_right(rng, monkeypatch):
    """A replayed call looks up the host values' index arithmetic and the slices'
    offsets by the index (compile/replay.py Memo): revisited indices and a memo that
    fills up and starts again give what a fresh computation gives."""
    from clgraph.compile.replay import Memo
    monkeypatch.setattr(Memo, "LIMIT", 3)
    data = rng.normal(size=(40, 3)).astype("float32")
    shared = clgraph.shared(data)
    i = T.lscalar("i")
    fn = clgraph.function([i], [shared[i * 4:i * 4 + 4] * 2, shared[i + 1:i + 3].sum()])
    for k in [0, 1, 1, 2, 3, 4, 1, 0, 9, 9, 5, 2, 7, 0]:
        rows, total = fn(k)
        np.testing.assert_array_equal(rows, data[4 * k:4 * k + 4] * 2)
        np.testing.assert_allclose(total, data[k + 1:k + 3].sum(), rtol=1e-5)
    assert 0 < len(fn._host_memo) <= 3


def test_set_value_between_replayed_calls_is_seen(rng):
    fn, (xs, ys, w), (W, b, steps) = sgd_step(rng)
    for i in range(3):
        fn(i, 8)
    assert any(r is not None for r in fn._replays.values())
    w = (rng.normal(size=w.shape) * 0.1).astype("float32")
    W.set_value(w)
    b.set_value(np.zeros(3, "float32"))
    loss, _ = fn(4, 8)
    want_loss, _, w, bv = numpy_sgd(xs, ys, w, np.zeros(3, "float32"), 32, 40)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(W.get_value(), w, rtol=1e-4, atol=1e-6)


def test_new_input_arrays_and_in_place_updates(rng):
    """Inputs uploaded anew on each call; an elementwise update (written in place) and a
    matrix-product update (a new buffer swapped in) side by side."""
    x = T.fmatrix("x")
    acc = clgraph.shared(np.zeros((4, 5), "float32"))
    M = clgraph.shared(np.eye(5, dtype="float32"))
    fn = clgraph.function([x], (x * 2).sum(), updates=[(acc, acc + x), (M, T.dot(M, T.ones_like(M)) / 5)])
    total, m = np.zeros((4, 5), "float32"), np.eye(5, dtype="float32")
    for _ in range(5):
        xv = rng.normal(size=(4, 5)).astype("float32")
        np.testing.assert_allclose(fn(xv), (xv * 2).sum(), rtol=1e-5)
        total += xv
        m = m @ np.ones((5, 5), "float32") / 5
    np.testing.assert_allclose(acc.get_value(), total, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(M.get_value(), m, rtol=1e-5)
    assert any(r is not None for r in fn._replays.values())


def test_updates_that_exchange_two_shared_variables(rng):
    """updates=[(a, b), (b, a)]: afterwards a and b may hold each other's buffers."""
    av, bv = rng.normal(size=6).astype("float32"), rng.normal(size=6).astype("float32")
    a, b = clgraph.shared(av), clgraph.shared(bv)
    fn = clgraph.function([], a * 1 + b, updates=[(a, b), (b, a)])
    for _ in range(5):
        np.testing.assert_allclose(fn(), av + bv, rtol=1e-6)
        av, bv = bv, av
        np.testing.assert_array_equal(a.get_value(), av)
        np.testing.assert_array_equal(b.get_value(), bv)


def test_outputs_from_the_host_and_from_shared_variables(rng):
    x = T.fmatrix("x")
    s = clgraph.shared(rng.normal(size=3).astype("float32"))
    fn = clgraph.function([x], [x.shape[0] * 2, s, x + 1, x.T])
    for n in (2, 2, 2, 5, 5, 5, 2):
        xv = rng.normal(size=(n, 3)).astype("float32")
        rows, sv, plus, tr = fn(xv)
        assert rows == 2 * n
        np.testing.assert_array_equal(sv, s.get_value())
        np.testing.assert_allclose(plus, xv + 1)
        np.testing.assert_array_equal(tr, xv.T)


def test_a_kernel_that_reads_the_index_is_not_replayed(rng):
    """A kernel reads a host value that changes from call to call: the recording is
    refused and every call takes the generic path, with the right values."""
    i = T.lscalar("i")
    data = clgraph.shared(rng.normal(size=(6, 4)).astype("float32"))
    fn = clgraph.function([i], data[i * 2:i * 2 + 2] * T.cast(i, "float32"))
    for k in (0, 1, 2, 1, 0, 2):
        np.testing.assert_allclose(fn(k), data.get_value()[2 * k:2 * k + 2] * k)
    assert list(fn._replays.values()) == [None]


def test_a_failed_call_between_replayed_calls_changes_nothing(rng):
    from clgraph.errors import InputError, ShapeError
    fn, (xs, ys, w), (W, b, steps) = sgd_step(rng)
    for i in range(3):
        fn(i, 8)
    before = W.get_value()
    with pytest.raises(InputError):
        fn(1.5, 8)
    data_y = [v for v in fn._shared if v.get_value().shape == ys.shape][0]
    data_y.set_value(ys[:20])
    with pytest.raises(ShapeError):
        fn(3, 8)  # 8 rows of x, 0 of y
    np.testing.assert_array_equal(W.get_value(), before)
    assert steps.get_value() == 3
    data_y.set_value(ys)
    fn(3, 8)
    assert steps.get_value() == 4


def test_replays_per_function_are_bounded(rng):
    from clgraph.compile.function import MAX_REPLAYS
    x = T.fvector("x")
    fn = clgraph.function([x], T.exp(x) * 2)
    for n in range(1, 2 * MAX_REPLAYS + 2):
        for _ in range(3):
            xv = rng.normal(size=n).astype("float32")
            np.testing.assert_allclose(fn(xv), np.exp(xv) * 2, rtol=1e-6)
    assert len(fn._replays) <= MAX_REPLAYS


def test_call_async_runs_calls_in_order(rng):
    """Calls started one after another (the next enqueued before the last one's values
    are read) compute the same steps as calls made one at a time."""
    fn, (xs, ys, w), (W, b, steps) = sgd_step(rng)
    bv = np.zeros(3, "float32")
    schedule = [0, 1, 2, 3, 4, 5, 0, 1]
    pending = [fn.call_async(i, 8) for i in schedule]
    for i, call in zip(schedule, pending):
        loss, cls = call.result()
        want_loss, want_cls, w, bv = numpy_sgd(xs, ys, w, bv, i * 8, i * 8 + 8)
        np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
        np.testing.assert_array_equal(cls, want_cls)
    np.testing.assert_allclose(W.get_value(), w, rtol=1e-4, atol=1e-6)
    assert steps.get_value() == len(schedule)


def test_two_functions_updating_one_shared_variable(rng):
    """A replay writes its updates into two buffers of its own in turn; another
    function that updates the same variable in between (and so holds or frees those
    buffers) must not disturb it."""
    w0 = rng.normal(size=(6, 5)).astype("float32")
    W = clgraph.shared(w0.copy())
    x = T.fmatrix("x")
    step = clgraph.function([x], T.sum(T.dot(x, W)), updates=[(W, W - 0.01 * T.dot(x.T, T.dot(x, W)))])
    double = clgraph.function([], [], updates=[(W, W * 2)])
    halve = clgraph.function([], [], updates=[(W, T.dot(W, T.eye(5, dtype="float32")) / 2)])
    w = w0.astype("float64")
    for k in range(12):
        xv = rng.normal(size=(3, 6)).astype("float32")
        np.testing.assert_allclose(step(xv), np.sum(xv @ w), rtol=1e-4, atol=1e-4)
        w = w - 0.01 * xv.T @ (xv @ w)
        if k % 3 == 1:
            double()
            w = w * 2
        if k % 4 == 2:
            halve()
            w = w / 2
        np.testing.assert_allclose(W.get_value(), w, rtol=1e-4, atol=1e-5)
    assert any(r is not None for r in step._replays.values())


def test_new_data_shape_between_replayed_calls(rng):
    """Replayed calls find their recording by the shapes of the inputs and shared
    variables (without inferring shapes): new data of another length is a new
    signature, and the old one still works when its data comes back."""
    fn, (xs, ys, w), (W, b, steps) = sgd_step(rng)
    data_x, data_y = [v for v in fn._shared if v.get_value().shape in (xs.shape, ys.shape)]
    if data_x.get_value().shape != xs.shape:
        data_x, data_y = data_y, data_x
    bv = np.zeros(3, "float32")
    for rows in (50, 50, 30, 50):
        data_x.set_value(xs[:rows])
        data_y.set_value(ys[:rows])
        for i in range(4):
            loss, _ = fn(i, 8)
            want_loss, _, w, bv = numpy_sgd(xs[:rows], ys[:rows], w, bv, i * 8, i * 8 + 8)
            np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(W.get_value(), w, rtol=1e-4, atol=1e-6)
    assert len(fn._quick) == 2


def test_outputs_that_are_updates_or_moving_slices(rng):
    """An output that is also an update (written to the replay's own buffers in turn)
    and an output that is the minibatch slice itself (a view whose offset moves)."""
    data = clgraph.shared(rng.normal(size=(12, 4)).astype("float32"))
    W = clgraph.shared(np.eye(4, dtype="float32"))
    i = T.lscalar("i")
    batch = data[i * 3:(i + 1) * 3]
    new_w = T.dot(W, W) * 0.5 + T.sum(batch) * 0.01
    fn = clgraph.function([i], [new_w, batch], updates=[(W, new_w)])
    w, d = np.eye(4), data.get_value()
    for k in (0, 1, 2, 3, 1, 0, 2):
        got_w, got_batch = fn(k)
        w = w @ w * 0.5 + d[3 * k:3 * k + 3].sum() * 0.01
        np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(got_batch, d[3 * k:3 * k + 3])
        np.testing.assert_allclose(W.get_value(), w, rtol=1e-5, atol=1e-6)


def test_call_async_of_a_call_that_is_not_replayed(rng):
    i = T.lscalar("i")
    data = clgraph.shared(rng.normal(size=(6, 4)).astype("float32"))
    fn = clgraph.function([i], data[i * 2:i * 2 + 2] * T.cast(i, "float32"))
    calls = [fn.call_async(k) for k in (0, 1, 2, 1)]
    for k, call in zip((0, 1, 2, 1), calls):
        np.testing.assert_allclose(call.result(), data.get_value()[2 * k:2 * k + 2] * k)


def test_evicted_replays_leave_the_quick_lookup(rng):
    """More data shapes than MAX_REPLAYS, each found by shapes alone: the oldest
    recordings go, and every call still computes what numpy does."""
    from clgraph.compile.function import MAX_REPLAYS
    i = T.lscalar("i")
    data = clgraph.shared(np.zeros((4, 3), "float32"))
    fn = clgraph.function([i], T.exp(data[i * 2:i * 2 + 2]) * 2)
    for rows in range(4, 4 + 2 * MAX_REPLAYS + 2, 2):
        dv = rng.normal(size=(rows, 3)).astype("float32")
        data.set_value(dv)
        for k in (0, 1, 0):
            np.testing.assert_allclose(fn(k), np.exp(dv[2 * k:2 * k + 2]) * 2, rtol=1e-6)
    assert len(fn._replays) <= MAX_REPLAYS
    assert sum(len(e) for e in fn._quick.values()) <= MAX_REPLAYS and all(fn._quick.values())
