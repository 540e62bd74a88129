"""Loops compute what is read, once: unread Scan outputs are pruned (with the states and
inputs only they needed), and the forward loop a gradient extends with its saved step
values replaces the original (rewrite/loop_outputs.py, scan_module/grad.py)."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T


def f32(rng, *shape, scale=0.4):
    return (rng.normal(size=shape) * scale).astype(np.float32)


def step_kernels(f, name):
    return [k.name for k in f.kernels if k.name.startswith(f"Scan{{{name}}}/")]


def numpy_rnn(xv, Wv, Uv):
    h = np.zeros((xv.shape[1], Uv.shape[0]))
    hs = []
    for xt in xv:
        h = np.tanh(xt @ Wv + h @ Uv)
        hs.append(h)
    return np.array(hs)


def test_an_unread_output_is_not_computed(rng):
    W = clgraph.shared(f32(rng, 3, 4), name="W")
    x = T.matrix("x")

    def step(xt, acc):
        return acc + xt, T.exp(T.dot(xt, W))  # the second output is never read
    (sums, _), _ = clgraph.scan(step, sequences=x, outputs_info=[T.zeros((3,)), None], name="two")
    f = clgraph.function([x], sums[-1])
    xv = f32(rng, 6, 3)
    np.testing.assert_allclose(f(xv), xv.sum(0), rtol=1e-5)
    assert not any("gemm" in k or "exp" in k for k in step_kernels(f, "two")), step_kernels(f, "two")
    (loop,) = f.plan.loops()
    assert len(loop.op.nitsot_outs) == 0 and len(loop.op.nonseqs) == 0


def test_the_gradient_loop_skips_what_is_not_asked_for(rng):
    """grad w.r.t. U only: no per-step product for the input's gradient (dz . W^T),
    and the same values as with every gradient computed."""
    Wv, Uv = f32(rng, 5, 4), f32(rng, 4, 4)
    W, U = clgraph.shared(Wv, name="W"), clgraph.shared(Uv, name="U")
    x = T.tensor3("x")
    hs, _ = clgraph.scan(lambda xt, h: T.tanh(T.dot(xt, W) + T.dot(h, U)), sequences=x,
                         outputs_info=T.zeros((x.shape[1], 4)), name="rnn")
    cost = T.sum(hs[-1] ** 2)
    only_u = clgraph.function([x], clgraph.grad(cost, U))
    every = clgraph.function([x], clgraph.grad(cost, [U, W, x]))
    xv = f32(rng, 7, 3, 5)
    np.testing.assert_allclose(only_u(xv), every(xv)[0], rtol=1e-5, atol=1e-6)
    gemms = lambda f: sum("gemm" in k for k in step_kernels(f, "grad_of_rnn"))  # noqa: E731
    assert gemms(only_u) == 1, step_kernels(only_u, "grad_of_rnn")   # dh . U^T (U's sum: after the loop)
    assert gemms(every) == 2, step_kernels(every, "grad_of_rnn")     # and dx = dz . W^T
    # finite differences of the pruned function's gradient
    eps, k = 1e-3, (0, 1)
    cost_np = lambda u: (numpy_rnn(xv.astype(np.float64), Wv, u)[-1] ** 2).sum()  # noqa: E731
    up, um = Uv.astype(np.float64).copy(), Uv.astype(np.float64).copy()
    up[k] += eps
    um[k] -= eps
    np.testing.assert_allclose(only_u(xv)[k], (cost_np(up) - cost_np(um)) / (2 * eps), rtol=2e-3, atol=1e-4)


def test_the_forward_loop_runs_once_with_its_saved_values(rng):
    """The gradient reads the step's tanh(x W + h U) rows from the forward loop (saved),
    not a recomputation, and that loop is the one whose outputs the function returns."""
    Wv, Uv = f32(rng, 5, 4), f32(rng, 4, 4)
    W, U = clgraph.shared(Wv, name="W"), clgraph.shared(Uv, name="U")
    x = T.tensor3("x")

    def step(xt, h):
        a = T.tanh(T.dot(xt, W) + T.dot(h, U))
        return a * 0.5 + h * 0.5, T.exp(a)   # a is read by both outputs' gradients
    (hs, es), _ = clgraph.scan(step, sequences=x, outputs_info=[T.zeros((x.shape[1], 4)), None], name="fw")
    cost = T.sum(hs[-1] ** 2) + T.sum(es)
    f = clgraph.function([x], [hs, es] + clgraph.grad(cost, [W, U]))
    assert [lp.op.name for lp in f.plan.loops()].count("fw") == 1
    assert not any("tanh" in k for k in step_kernels(f, "grad_of_fw")), step_kernels(f, "grad_of_fw")
    xv = f32(rng, 6, 3, 5)
    got_hs, got_es, gW, gU = f(xv)
    h = np.zeros((3, 4))
    for t, xt in enumerate(xv.astype(np.float64)):
        a = np.tanh(xt @ Wv + h @ Uv)
        np.testing.assert_allclose(got_es[t], np.exp(a), rtol=1e-5)
        h = 0.5 * a + 0.5 * h
        np.testing.assert_allclose(got_hs[t], h, rtol=1e-5, atol=1e-6)
    with clgraph.config.change(rewrites_excluding=("merge_extended_loops", "prune_loop_outputs")):
        g = clgraph.function([x], clgraph.grad(cost, [W, U]))
    for a, b in zip((gW, gU), g(xv)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def numpy_rnn_grads(xv, Wv, Uv, bv, keep):
    """d sum(h_T ** 2) / dW, dU, db by backpropagation over the last `keep` steps."""
    x, W, U, b = (v.astype(np.float64) for v in (xv, Wv, Uv, bv))
    hs = [np.zeros((x.shape[1], U.shape[0]))]
    for xt in x:
        hs.append(np.tanh(xt @ W + hs[-1] @ U + b))
    gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh = 2 * hs[-1]
    for t in range(len(x) - 1, len(x) - 1 - keep, -1):
        dz = dh * (1 - hs[t + 1] ** 2)
        gW += x[t].T @ dz
        gU += hs[t].T @ dz
        gb += dz.sum(0)
        dh = dz @ U.T
    return gW, gU, gb


@pytest.mark.parametrize("steps,truncate", [(6, -1), (6, 2), (1, -1)])
def test_weight_gradients_are_one_product_after_the_loop(rng, steps, truncate):
    """Each step's share x_t^T dz_t, h_{t-1}^T dz_t and sum(dz_t) summed as X^T DZ,
    H^T DZ and one sum over steps and rows: no GEMM or reduction for them in the step."""
    Wv, Uv, bv = f32(rng, 5, 4), f32(rng, 4, 4), f32(rng, 4)
    W, U, b = (clgraph.shared(v, name=n) for v, n in ((Wv, "W"), (Uv, "U"), (bv, "b")))
    x = T.tensor3("x")
    hs, _ = clgraph.scan(lambda xt, h: T.tanh(T.dot(xt, W) + T.dot(h, U) + b), sequences=x,
                         outputs_info=T.zeros((x.shape[1], 4)), truncate_gradient=truncate, name="rnn")
    f = clgraph.function([x], clgraph.grad(T.sum(hs[-1] ** 2), [W, U, b]))
    xv = f32(rng, steps, 3, 5)
    keep = steps if truncate == -1 else min(truncate, steps)
    for got, want in zip(f(xv), numpy_rnn_grads(xv, Wv, Uv, bv, keep)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    step = step_kernels(f, "grad_of_rnn")
    assert sum("gemm" in k for k in step) == 1 and not any("reduce" in k for k in step), step
    with clgraph.config.change(rewrites_excluding=("sink_loop_sums",)):
        in_loop = clgraph.function([x], clgraph.grad(T.sum(hs[-1] ** 2), [W, U, b]))
    assert sum("gemm" in k for k in step_kernels(in_loop, "grad_of_rnn")) == 3
    for got, want in zip(f(xv), in_loop(xv)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
