"""The scan_hoist rewrite: a step's products that read only sequences and
non-sequences run once over all steps outside the loop. Results and gradients equal
with and without it (taps, go_backwards, truncate_gradient, zero steps, the gradient
scan), verify_grad on the rewritten graphs, and fewer kernels per step."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from opcheck import check_grad

OFF = ("scan_hoist",)


def f32(rng, *shape, scale=0.4):
    return (rng.normal(size=shape) * scale).astype(np.float32)


def both(inputs, outputs):
    """(function with the rewrite, function without it)."""
    on = clgraph.function(inputs, outputs)
    with clgraph.config.change(rewrites_excluding=OFF):
        off = clgraph.function(inputs, outputs)
    return on, off


def assert_same(on, off, *args, rtol=1e-5, atol=1e-6):
    got, want = on(*args), off(*args)
    for a, b in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def step_kernels(f, name):
    return [k.name for k in f.kernels if k.name.startswith(f"Scan{{{name}}}/")]


def _weights(rng, n_in, n_out, gates=1):
    return [clgraph.shared(f32(rng, *s), name=nm) for nm, s in
            [("W", (n_in, gates * n_out)), ("U", (n_out, gates * n_out)), ("b", (gates * n_out,))]]


def test_rnn_step_is_one_kernel_and_results_and_gradients_agree(rng):
    """h_t = tanh(x_t . W + h . U + b): x . W is one GEMM before the loop; the step is
    the recurrent GEMM with the add, the bias and the tanh in its epilogue."""
    W, U, b = _weights(rng, 5, 8)
    x, h0 = T.tensor3("x"), T.matrix("h0")
    out, _ = clgraph.scan(lambda xt, h: T.tanh(T.dot(xt, W) + T.dot(h, U) + b), sequences=x, outputs_info=h0,
                          name="rnn")
    cost = T.sum(out[-1] ** 2) + T.sum(out * 0.5)
    on, off = both([x, h0], [out] + clgraph.grad(cost, [W, U, b, x, h0]))
    xv, hv = f32(rng, 7, 4, 5), f32(rng, 4, 8)
    assert_same(on, off, xv, hv)
    h, want = hv, []
    for xt in xv:
        h = np.tanh(xt @ W.get_value() + h @ U.get_value() + b.get_value())
        want.append(h)
    np.testing.assert_allclose(on(xv, hv)[0], want, rtol=1e-5, atol=1e-6)
    assert step_kernels(off, "rnn") == ["Scan{rnn}/k0_gemm", "Scan{rnn}/k1_gemm"]
    assert step_kernels(on, "rnn") == ["Scan{rnn}/k0_gemm"]
    (loop,) = [lp for lp in on.plan.loops() if lp.op.name == "rnn"]
    assert "tanh" in loop.plan.kernels[0].source  # the tail is the GEMM's epilogue
    assert len(loop.op.seqs) == 2  # x[t] and the hoisted x[t] . W
    assert all(lp.replayed for lp in on.plan.loops())
    assert_same(on, off, xv[:1], hv)  # one step
    fwd_on, fwd_off = both([x, h0], out)
    assert_same(fwd_on, fwd_off, xv[:0], hv)  # no step at all


def _lstm_step(W, U, b, u):
    def step(xt, h, c):
        z = T.dot(xt, W) + T.dot(h, U) + b
        i, f = T.nnet.sigmoid(z[:, :u]), T.nnet.sigmoid(z[:, u:2 * u])
        g, o = T.tanh(z[:, 2 * u:3 * u]), T.nnet.sigmoid(z[:, 3 * u:])
        c = f * c + i * g
        return o * T.tanh(c), c
    return step


def test_lstm_forward_and_backward_steps_lose_their_input_products(rng):
    """The forward step loses its input product; the gradient scan reads the gates the
    forward loop stored (scan_module/grad.py saved_values) instead of recomputing them:
    no gate nonlinearity in its step, and one forward loop in the function."""
    u = 6
    W, U, b = _weights(rng, 5, u, gates=4)
    x = T.tensor3("x")
    zeros = T.zeros((x.shape[1], u))
    (hs, cs), _ = clgraph.scan(_lstm_step(W, U, b, u), sequences=x, outputs_info=[zeros, zeros], name="lstm")
    cost = T.sum(hs[-1] ** 2)
    on, off = both([x], [hs] + clgraph.grad(cost, [W, U, b, x]))
    assert_same(on, off, f32(rng, 6, 3, 5), rtol=1e-4, atol=1e-5)
    fwd_on, fwd_off = len(step_kernels(on, "lstm")), len(step_kernels(off, "lstm"))
    bwd_on, bwd_off = len(step_kernels(on, "grad_of_lstm")), len(step_kernels(off, "grad_of_lstm"))
    assert fwd_on == fwd_off - 1 and fwd_on <= 2, (step_kernels(on, "lstm"), step_kernels(off, "lstm"))
    assert bwd_on <= bwd_off, (step_kernels(on, "grad_of_lstm"), step_kernels(off, "grad_of_lstm"))
    assert not any("sigmoid" in k for k in step_kernels(on, "grad_of_lstm")), step_kernels(on, "grad_of_lstm")
    assert [lp.op.name for lp in on.plan.loops()].count("lstm") == 1


@pytest.mark.parametrize("go_backwards", [False, True])
def test_sequence_taps_and_go_backwards(rng, go_backwards):
    """Taps [-1, 0, 2] of one sequence, each its own product, read backwards or not."""
    W, U, _ = _weights(rng, 3, 4)
    x = T.matrix("x")

    def step(a, b, c, h):
        return T.tanh(T.dot(a, W) - T.dot(c, W) * 0.5 + T.dot(b * 2, W) + T.dot(h, U))
    out, _ = clgraph.scan(step, sequences=dict(input=x, taps=[-1, 0, 2]), outputs_info=T.zeros((4,)),
                          go_backwards=go_backwards, name="taps")
    on, off = both([x], [out] + clgraph.grad(T.sum(out ** 2), [W, U, x]))
    assert_same(on, off, f32(rng, 9, 3))
    assert len(step_kernels(on, "taps")) < len(step_kernels(off, "taps"))


def test_truncate_gradient_and_an_explicit_n_steps(rng):
    """n_steps shorter than the sequence (the hoisted product covers the steps run) and
    a truncated gradient (its reverse loop runs over fewer rows than it is given)."""
    W, U, b = _weights(rng, 3, 4)
    x, h0 = T.matrix("x"), T.vector("h0")
    out, _ = clgraph.scan(lambda xt, h: T.tanh(T.dot(xt, W) + b + T.dot(h, U)), sequences=x, outputs_info=h0,
                          n_steps=5, truncate_gradient=2, name="trunc")
    on, off = both([x, h0], [out] + clgraph.grad(T.sum(out ** 2), [W, U, b, x, h0]))
    assert_same(on, off, f32(rng, 8, 3), f32(rng, 4))


def test_products_in_other_forms_and_a_non_fed_back_output(rng):
    """W . x_t with a vector x_t (the product's operand order swapped), a transposed
    weight read inside the step, and an output not fed back whose input projection is
    hoisted while the output itself is still written by the step."""
    W = clgraph.shared(f32(rng, 4, 3), name="W")
    V = clgraph.shared(f32(rng, 4, 4), name="V")
    x = T.matrix("x")

    def step(xt, h):
        new = T.tanh(T.dot(W, xt) + T.dot(V.T, h))
        return new, T.nnet.sigmoid(T.dot(xt, W.T) * 2)
    (hs, ys), _ = clgraph.scan(step, sequences=x, outputs_info=[T.zeros((4,)), None], name="forms")
    on, off = both([x], [hs, ys] + clgraph.grad(T.sum(hs) + T.sum(ys ** 2), [W, V, x]))
    assert_same(on, off, f32(rng, 6, 3))
    assert len(step_kernels(on, "forms")) < len(step_kernels(off, "forms"))


def test_nothing_to_hoist_leaves_the_scan_alone(rng):
    """A step without a product of sequences (a cumulative sum, a purely recurrent
    product): the same node, the same kernels."""
    U = clgraph.shared(f32(rng, 3, 3), name="U")
    x = T.matrix("x")
    out, _ = clgraph.scan(lambda xt, h: T.tanh(xt * 2 + T.dot(h, U)), sequences=x, outputs_info=T.zeros((3,)),
                          name="plain")
    on, off = both([x], out)
    assert_same(on, off, f32(rng, 5, 3))
    assert step_kernels(on, "plain") == step_kernels(off, "plain")


def test_verify_grad_through_hoisted_scans(rng):
    def rnn(x, h0, W, U, b):
        out, _ = clgraph.scan(lambda xt, h, W, U, b: T.tanh(T.dot(xt, W) + T.dot(h, U) + b), sequences=x,
                              outputs_info=h0, non_sequences=[W, U, b])
        return out

    def backwards_taps(x, W):
        out, _ = clgraph.scan(lambda a, c, h, W: T.tanh(T.dot(a, W) * T.dot(c, W) + h),
                              sequences=dict(input=x, taps=[-1, 1]), outputs_info=T.zeros_like(W[0]),
                              non_sequences=W, go_backwards=True)
        return out
    points = [rng.normal(size=(5, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(3, 4)) * .5,
              rng.normal(size=(4, 4)) * .5, rng.normal(size=4)]
    check_grad(rnn, *points)
    check_grad(rnn, *[p.astype(np.float32) for p in points])
    check_grad(backwards_taps, rng.normal(size=(6, 3)), rng.normal(size=(3, 3)) * .5)
