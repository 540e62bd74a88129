"""clgraph.scan against numpy loops: Theano's semantics (taps, outputs_info kinds,
go_backwards, until, shared and random states), gradients (verify_grad, an unrolled
graph, truncate_gradient, second derivatives), jacobian as a scan, errors, and what
one step of an RNN launches."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.gradient import jacobian
from clgraph.tensor.random import RandomStreams
from opcheck import check_grad, line_of

F32 = dict(rtol=2e-5, atol=1e-6)


def f32(rng, *shape, scale=1.0):
    return (rng.normal(size=shape) * scale).astype(np.float32)


def test_cumulative_sum(rng):
    x, h0 = T.matrix("x"), T.vector("h0")
    out, updates = clgraph.scan(lambda xt, h: h + xt, sequences=x, outputs_info=h0)
    assert not updates
    f = clgraph.function([x, h0], out)
    xv, hv = f32(rng, 5, 3), f32(rng, 3)
    np.testing.assert_allclose(f(xv, hv), np.cumsum(xv, 0) + hv, **F32)
    np.testing.assert_allclose(f(xv[:2], hv), np.cumsum(xv[:2], 0) + hv, **F32)  # another length
    np.testing.assert_allclose(f(xv[:0], hv), np.zeros((0, 3)))  # no step at all


def test_power_of_a_symbolic_n_steps():
    """The tutorial's A ** k: k steps, a symbolic n_steps, the result's last row."""
    k, A = T.iscalar("k"), T.vector("A")
    result, _ = clgraph.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    f = clgraph.function([A, k], [result, result[-1]])
    a = np.arange(1, 6, dtype=np.float32) / 2
    for kv in (1, 4, 7):
        rows, last = f(a, kv)
        np.testing.assert_allclose(rows, np.stack([a ** (i + 1) for i in range(kv)]), **F32)
        np.testing.assert_allclose(last, a ** kv, **F32)


def test_polynomial_of_two_sequences():
    """The tutorial's polynomial: coefficients and powers as sequences, x a non-sequence."""
    coefficients, x = T.vector("coefficients"), T.scalar("x")
    components, _ = clgraph.scan(lambda c, power, x: c * (x ** power), outputs_info=None,
                                 sequences=[coefficients, T.arange(1000, dtype="float32")], non_sequences=x)
    f = clgraph.function([coefficients, x], T.sum(components))
    c = np.array([1, 0, 2, -1.5], np.float32)
    np.testing.assert_allclose(f(c, 3.0), sum(ci * 3.0 ** i for i, ci in enumerate(c)), rtol=1e-6)


def test_fibonacci_two_taps():
    n, x0 = T.iscalar("n"), T.lvector("x0")
    fib, _ = clgraph.scan(lambda a, b: a + b, outputs_info=[dict(initial=x0, taps=[-2, -1])], n_steps=n)
    got = clgraph.function([x0, n], fib)(np.array([0, 1]), 12)
    want = [0, 1]
    for _ in range(12):
        want.append(want[-1] + want[-2])
    np.testing.assert_array_equal(got, want[2:])  # the initial rows are not returned


def test_taps_of_output_read_the_rows_they_name(rng):
    """taps [-3, -1]: the step gets x[t-3], then x[t-1]; the initial value holds rows
    t-3 .. t-1, oldest first."""
    x0 = T.matrix("x0")
    out, _ = clgraph.scan(lambda a3, a1: a1 - 0.5 * a3, outputs_info=dict(initial=x0, taps=[-3, -1]), n_steps=6)
    init = f32(rng, 3, 2)
    rows = list(init)
    for _ in range(6):
        rows.append(rows[-1] - 0.5 * rows[-3])
    np.testing.assert_allclose(clgraph.function([x0], out)(init), np.stack(rows[3:]), **F32)


@pytest.mark.parametrize("taps", [[-1, 0, 1], [-2], [1, 2], [0, 2]])
def test_sequence_taps(rng, taps):
    """x[t + k] for each tap k; the sequence is cut so that every tap is in range,
    pretending tap 0 is used (Theano's rule)."""
    x = T.vector("x")
    out, _ = clgraph.scan(lambda *xs: sum((k + 2.0) * v for k, v in enumerate(xs)),
                          sequences=dict(input=x, taps=taps))
    xv = f32(rng, 9)
    lo, hi = -min(min(taps), 0), max(max(taps), 0)
    want = [sum((j + 2.0) * xv[t + k] for j, k in enumerate(taps)) for t in range(lo, 9 - hi)]
    np.testing.assert_allclose(clgraph.function([x], out)(xv), want, **F32)


def test_go_backwards(rng):
    x = T.matrix("x")
    out, _ = clgraph.scan(lambda xt, h: h * 0.5 + xt, sequences=x, outputs_info=T.zeros((2,)), go_backwards=True)
    last3, _ = clgraph.scan(lambda xt, h: h * 0.5 + xt, sequences=x, outputs_info=T.zeros((2,)),
                            go_backwards=True, n_steps=3)
    xv = f32(rng, 5, 2)
    h, want = np.zeros(2, np.float32), []
    for xt in xv[::-1]:
        h = h * 0.5 + xt
        want.append(h)
    got, got3 = clgraph.function([x], [out, last3])(xv)
    np.testing.assert_allclose(got, want, **F32)
    np.testing.assert_allclose(got3, want[:3], **F32)  # the last n_steps rows, last first


def test_until_stops_early():
    def step(p):
        return p * 2, clgraph.scan_module.until(p * 2 > 40)
    out, _ = clgraph.scan(step, outputs_info=T.constant(1.0, "float32"), n_steps=100)
    got, length = clgraph.function([], [out, out.shape[0] + 0])()
    np.testing.assert_array_equal(got, [2, 4, 8, 16, 32, 64])
    assert length == 6
    assert clgraph.scan_until is clgraph.scan_module.until
    # never true: all n_steps run
    out2, _ = clgraph.scan(lambda p: (p + 1, clgraph.scan_until(p < 0)), outputs_info=T.constant(0, "int64"),
                           n_steps=4)
    np.testing.assert_array_equal(clgraph.function([], out2)(), [1, 2, 3, 4])


def test_until_called_again():
    """A loop with until is never replayed from a recording (its length is only known
    after it ran): each call runs it again, with this call's input."""
    x = T.scalar("x")
    out, _ = clgraph.scan(lambda p: (p * 2, clgraph.scan_until(p * 2 > 40)), outputs_info=x, n_steps=100)
    f = clgraph.function([x], out)
    for start, want in ((1.0, [2, 4, 8, 16, 32, 64]), (5.0, [10, 20, 40, 80]), (1.0, [2, 4, 8, 16, 32, 64])):
        np.testing.assert_array_equal(f(np.float32(start)), want)


def test_replayed_training_calls_run_the_loop(rng):
    """An RNN trained by BPTT with updates: calls after the first replay the recorded
    launches around the forward and the reverse loop (compile/replay.py); each call's
    cost matches numpy with the weights the previous calls left."""
    X, y = T.tensor3("X"), T.matrix("y")
    W = clgraph.shared(f32(rng, 4, 8, scale=0.3), name="W")
    U = clgraph.shared(f32(rng, 8, 8, scale=0.3), name="U")
    hs, _ = clgraph.scan(lambda x, h: T.tanh(T.dot(x, W) + T.dot(h, U)), sequences=X,
                         outputs_info=T.zeros((X.shape[1], 8)))
    cost = ((hs[-1] - y) ** 2).mean()
    gW, gU = clgraph.grad(cost, [W, U])
    f = clgraph.function([X, y], cost, updates=[(W, W - 0.1 * gW), (U, U - 0.1 * gU)])

    def numpy_cost(xv, yv):
        h = np.zeros((xv.shape[1], 8), np.float32)
        for xt in xv:
            h = np.tanh(xt @ W.get_value() + h @ U.get_value())
        return ((h - yv) ** 2).mean()
    for _ in range(4):
        xv, yv = f32(rng, 6, 3, 4), f32(rng, 3, 8)
        want = numpy_cost(xv, yv)
        np.testing.assert_allclose(f(xv, yv), want, rtol=1e-5)
    assert [r is not None for r in f._replays.values()] == [True]  # replayed, not refused


def test_several_outputs_and_a_none_output(rng):
    x, h0 = T.matrix("x"), T.vector("h0")

    def step(xt, h):
        new = T.tanh(h + xt)
        return new, T.sum(new * new)
    (hs, norms), _ = clgraph.scan(step, sequences=x, outputs_info=[h0, None])
    xv, hv = f32(rng, 4, 3), f32(rng, 3)
    got_h, got_n = clgraph.function([x, h0], [hs, norms])(xv, hv)
    h, want_h = hv, []
    for xt in xv:
        h = np.tanh(h + xt)
        want_h.append(h)
    np.testing.assert_allclose(got_h, want_h, **F32)
    np.testing.assert_allclose(got_n, (np.array(want_h) ** 2).sum(1), rtol=1e-5)


def test_shared_variables_inside_and_their_updates(rng):
    """A shared weight read by the step; a shared counter the step updates: its update
    comes back in `updates`, the value after the last step."""
    W = clgraph.shared(f32(rng, 3, 3, scale=0.5), name="W")
    count = clgraph.shared(np.int64(0), name="count")
    x = T.matrix("x")

    def step(xt, h):
        return T.tanh(T.dot(h, W) + xt), {count: count + 1}
    out, updates = clgraph.scan(step, sequences=x, outputs_info=T.zeros((3,)))
    assert list(updates) == [count]
    f = clgraph.function([x], out, updates=updates)
    xv = f32(rng, 4, 3)
    h, want, w = np.zeros(3, np.float32), [], W.get_value()
    for xt in xv:
        h = np.tanh(h @ w + xt)
        want.append(h)
    np.testing.assert_allclose(f(xv), want, rtol=1e-5, atol=1e-6)
    assert count.get_value() == 4
    f(xv[:2])
    assert count.get_value() == 6


def test_random_draws_advance_once_per_step():
    """A draw inside the step gives new numbers every step, and the same numbers as
    the same stream drawn outside, one call per step."""
    srng = RandomStreams(7)
    n = T.iscalar("n")
    out, updates = clgraph.scan(lambda acc: acc + srng.uniform((3,)), outputs_info=T.zeros((3,)), n_steps=n)
    f = clgraph.function([n], out, updates=updates)
    first, second = f(4), f(2)
    outside = RandomStreams(7).uniform((3,))
    g = clgraph.function([], outside)
    draws = np.array([g() for _ in range(6)])
    assert len({tuple(r) for r in draws}) == 6
    np.testing.assert_allclose(first, np.cumsum(draws[:4], 0), **F32)
    np.testing.assert_allclose(second, np.cumsum(draws[4:], 0), **F32)  # the stream moved on


# -- gradients --------------------------------------------------------------------


def _rnn(x, h0, W, U):
    out, _ = clgraph.scan(lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)), sequences=x,
                          outputs_info=h0, non_sequences=[W, U])
    return out


def test_verify_grad_rnn(rng):
    points = [rng.normal(size=(5, 3)), rng.normal(size=4), rng.normal(size=(3, 4)) * .5,
              rng.normal(size=(4, 4)) * .5]
    check_grad(_rnn, *points)
    check_grad(_rnn, *[p.astype(np.float32) for p in points])


def test_verify_grad_taps(rng):
    def fib(x0):
        r, _ = clgraph.scan(lambda a, b: a * 0.5 + b * b * 0.3, outputs_info=[dict(initial=x0, taps=[-2, -1])],
                            n_steps=5)
        return r

    def seq_taps(x, w):
        r, _ = clgraph.scan(lambda a, b, c, h, w: T.tanh(a * b - c * w + h), sequences=[dict(input=x, taps=[-1, 0, 1])],
                            outputs_info=T.zeros_like(x[0]), non_sequences=w)
        return r
    check_grad(fib, rng.normal(size=(2, 3)))
    check_grad(seq_taps, rng.normal(size=(6, 2)), rng.normal(size=2))


def test_grad_matches_unrolled_graph(rng):
    x, h0, W, U = T.dmatrix("x"), T.dvector("h0"), T.dmatrix("W"), T.dmatrix("U")
    out = _rnn(x, h0, W, U)
    n = 4
    h, unrolled = h0, []
    for t in range(n):
        h = T.tanh(T.dot(x[t], W) + T.dot(h, U))
        unrolled.append(h)
    weights = rng.normal(size=(n, 4))
    cost = T.sum(out * weights)
    cost_u = sum(T.sum(hu * weights[t]) for t, hu in enumerate(unrolled))
    f = clgraph.function([x, h0, W, U], clgraph.grad(cost, [x, h0, W, U]) + clgraph.grad(cost_u, [x, h0, W, U]))
    vals = [rng.normal(size=(n, 3)), rng.normal(size=4), rng.normal(size=(3, 4)) * .5, rng.normal(size=(4, 4)) * .5]
    got = f(*vals)
    for a, b in zip(got[:4], got[4:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_truncate_gradient_matches_a_cut_unrolled_graph(rng):
    """truncate_gradient=k: the gradient flows back through the last k steps only (as
    Theano's reverse scan over the last k steps): the unrolled graph with the state
    before them held constant."""
    n, k = 5, 2
    x, h0, W = T.dmatrix("x"), T.dvector("h0"), T.dmatrix("W")
    out, _ = clgraph.scan(lambda xt, h, W: T.tanh(xt + T.dot(h, W)), sequences=x, outputs_info=h0, non_sequences=W,
                          truncate_gradient=k)
    h, unrolled = h0, []
    for t in range(n):
        h = T.tanh(x[t] + T.dot(h, W))
        unrolled.append(h)
    cost = T.sum(out[-1] * 2) + T.sum(out[n - k])
    cost_u = T.sum(unrolled[-1] * 2) + T.sum(unrolled[n - k])
    g = clgraph.grad(cost, [x, h0, W])
    g_u = clgraph.grad(cost_u, [x, h0, W], consider_constant=[unrolled[n - k - 1]], disconnected_inputs="ignore")
    vals = [rng.normal(size=(n, 3)), rng.normal(size=3), rng.normal(size=(3, 3)) * .5]
    got = clgraph.function([x, h0, W], g + g_u)(*vals)
    for a, b in zip(got[:3], got[3:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert not got[0][:n - k].any() and not got[1].any()


def test_second_derivative_through_scan(rng):
    """The gradient of a scan is a scan, so it has a gradient in turn."""
    xv = rng.normal(size=6)

    def grad_of_w(w):
        out, _ = clgraph.scan(lambda xt, h, w: T.tanh(xt * w + h * w), sequences=T.constant(xv),
                              outputs_info=T.constant(0.1, "float64"), non_sequences=w)
        return clgraph.grad(T.sum(out ** 2), w)
    check_grad(grad_of_w, np.asarray(0.7))


# -- jacobian ---------------------------------------------------------------------


def test_jacobian_of_a_product_with_a_constant_and_a_shared_matrix(rng):
    """jacobian(M.dot(v), v) is M, for a constant M (this was a KeyError in the host loop
    jacobian had before it became a scan) and for a shared one."""
    v = T.vector("v")
    m = f32(rng, 3, 4)
    Ms = clgraph.shared(m * 2, name="M")
    f = clgraph.function([v], [jacobian(T.dot(m, v), v), jacobian(Ms.dot(v), v), jacobian(Ms.dot(v), Ms)])
    jc, js, jm = f(f32(rng, 4))
    np.testing.assert_allclose(jc, m, **F32)
    np.testing.assert_allclose(js, m * 2, **F32)
    assert jm.shape == (3, 3, 4)


# -- errors -----------------------------------------------------------------------


def test_a_state_that_changes_shape_is_named_with_both_shapes_and_the_line():
    x0 = T.vector("x0")
    out, _ = clgraph.scan(lambda h: T.concatenate([h, h]), outputs_info=x0, n_steps=3)  # the line
    f = clgraph.function([x0], out)
    with pytest.raises(clgraph.ShapeError) as err:
        f(np.ones(2, np.float32))
    text = str(err.value)
    assert "output 0" in text and "(4,)" in text and "(2,)" in text
    assert f"test_scan.py:{line_of(__file__, 'T.concatenate([h, h]), outputs_info=x0')}" in text


def test_a_state_that_changes_dtype_is_named_with_both_types_and_the_line():
    with pytest.raises(clgraph.DTypeError) as err:
        clgraph.scan(lambda h: h * 2.0, outputs_info=T.ivector("h0"), n_steps=3)  # the line
    text = str(err.value)
    assert "output 0" in text and "float64" in text and "int32" in text and "h0" in text
    assert f"test_scan.py:{line_of(__file__, 'lambda h: h * 2.0, outputs_info=T.ivector')}" in text


def test_n_steps_must_be_known_on_the_host():
    x = T.vector("x")
    out, _ = clgraph.scan(lambda h: h + 1, outputs_info=x, n_steps=T.cast(T.sum(x), "int64"))
    with pytest.raises(clgraph.ShapeError, match="n_steps must be known"):
        clgraph.function([x], out)(np.ones(2, np.float32))


# -- how it runs ------------------------------------------------------------------


def test_rnn_step_is_few_float32_kernels_replayed_per_step(rng):
    """h_t = tanh(x_t . W + h_{t-1} . U + b): the step is compiled once, its kernels
    (at most two GEMMs, the tail in an epilogue) are float32 only, and steps 1.. replay
    step 0's launches with moved offsets."""
    x, h0 = T.tensor3("x"), T.matrix("h0")
    W, U, b = (clgraph.shared(f32(rng, *s, scale=0.3), name=n) for n, s in [("W", (5, 8)), ("U", (8, 8)),
                                                                            ("b", (8,))])
    out, _ = clgraph.scan(lambda xt, h: T.tanh(T.dot(xt, W) + T.dot(h, U) + b), sequences=x, outputs_info=h0,
                          name="rnn")
    f = clgraph.function([x, h0], out)
    xv, hv = f32(rng, 6, 4, 5), f32(rng, 4, 8)
    got = f(xv, hv)
    h, want = hv, []
    for xt in xv:
        h = np.tanh(xt @ W.get_value() + h @ U.get_value() + b.get_value())
        want.append(h)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    step = [k for k in f.kernels if k.name.startswith("Scan{rnn}/")]
    assert 1 <= len(step) <= 2, [k.name for k in step]
    assert all("double" not in k.source for k in f.kernels)
    (loop,) = f.plan.loops()
    assert loop.replayed


def test_strided_sequences_and_transposed_outside_values(rng):
    """A batch-major input read time-major (x.dimshuffle(1, 0, 2): rows that are not
    contiguous) and the transposed weights of the gradient step (W.T computed outside
    the loop): the step's kernels still get the layouts they were built for, and the
    backward loop replays its launches too."""
    x, W = T.tensor3("x"), T.matrix("W")
    out, _ = clgraph.scan(lambda xt, h, W: T.tanh(T.dot(xt, W) + T.dot(h, W)), sequences=x.dimshuffle(1, 0, 2),
                          outputs_info=T.zeros((2, 4)), non_sequences=W, name="bm")
    cost = T.sum(out[-1])
    f = clgraph.function([x, W], [out, clgraph.grad(cost, W)])
    xv, wv = f32(rng, 2, 5, 4), f32(rng, 4, 4, scale=0.4)
    got, gw = f(xv, wv)
    h, want, hs = np.zeros((2, 4), np.float32), [], []
    for t in range(5):
        hs.append(h)
        h = np.tanh(xv[:, t] @ wv + h @ wv)
        want.append(h)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    g, gw_want = np.ones((2, 4), np.float32), np.zeros_like(wv)
    for t in reversed(range(5)):
        d = g * (1 - want[t] ** 2)
        gw_want += xv[:, t].T @ d + hs[t].T @ d
        g = d @ wv.T
    np.testing.assert_allclose(gw, gw_want, rtol=1e-4, atol=1e-5)
    assert all(loop.replayed for loop in f.plan.loops()), [loop.refused for loop in f.plan.loops()]
