"""Graphs the Keras layer builds that once broke the compiler's kernel planning
(kept here, next to the code that produces them)."""
import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.tensor.random import RandomStreams


def test_random_mask_shaped_like_a_fused_result():
    """Dropout: h * binomial(h.shape) where h is a fused kernel's result. x.shape is
    known on the host, so the draw must not wait for h's kernel (it made a cycle)."""
    x = T.matrix("x")
    W = clgraph.shared(np.full((3, 4), 0.5, "float32"))
    h = T.tanh(T.dot(x, W))
    mask = RandomStreams(1).binomial(h.shape, p=0.5, dtype=h.dtype)
    out = T.sum(h * mask)
    f = clgraph.function([x], [h * mask, clgraph.grad(out, W)])
    xv = np.ones((2, 3), "float32")
    dropped, g = f(xv)
    m = (dropped != 0).astype("float32")
    np.testing.assert_allclose(dropped, np.tanh(xv @ W.get_value()) * m, rtol=1e-6)
    np.testing.assert_allclose(g, xv.T @ (m * (1 - np.tanh(1.5) ** 2)), rtol=1e-5)


def test_fusion_sees_cycles_through_other_groups():
    """Keras' weighted loss and its gradient: merging the forward `score * w` with the
    backward `... * w` must not create a cycle through the group that divides by
    max(count, eps)."""
    x, y, w = T.matrix("x"), T.matrix("y"), T.vector("w")
    W = clgraph.shared(np.full((3, 2), 0.1, "float32"))
    p = T.nnet.softmax(T.dot(x, W))
    score = T.mean(T.sqr(p - y), axis=-1)
    nonzero = T.sum(T.cast(T.neq(w, 0), "float32"))
    loss = T.sum(score * w) / T.maximum(nonzero, 1e-7 * T.cast(w.size, "float32"))
    f = clgraph.function([x, y, w], [loss, clgraph.grad(loss, W)])
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((4, 3)).astype("float32"), np.eye(2, dtype="float32")[[0, 1, 1, 0]]
    wv = np.array([1., 0., 2., 1.], "float32")
    got_loss, _ = f(xv, yv, wv)
    z = xv @ W.get_value()
    pv = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(got_loss, (((pv - yv) ** 2).mean(1) * wv).sum() / 3, rtol=1e-5)


def test_one_elementwise_group_after_two_products():
    """merge([Dense(a), Dense(b)], mode='sum'): two GEMMs feed one fused group; only
    one of them can run it as its epilogue."""
    a, b = T.matrix("a"), T.matrix("b")
    W1 = clgraph.shared(np.full((2, 3), 0.5, "float32"))
    W2 = clgraph.shared(np.full((4, 3), -0.25, "float32"))
    out = T.tanh(T.dot(a, W1) + T.dot(b, W2))
    rng = np.random.default_rng(1)
    av, bv = rng.standard_normal((5, 2)).astype("float32"), rng.standard_normal((5, 4)).astype("float32")
    got = clgraph.function([a, b], out)(av, bv)
    np.testing.assert_allclose(got, np.tanh(av @ W1.get_value() + bv @ W2.get_value()), rtol=1e-5, atol=1e-6)
