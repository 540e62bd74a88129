"""private_reduce_inputs: a reduction reads its own copy of a cheap elementwise chain
that something else reads too, so that the chain runs inside the reduction's kernel;
values unchanged, and no copy that would cost a GEMM its fused tail."""
import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.graph.basic import toposort
from clgraph.ops.reduce import Reduce
from rewrite_helpers import apply_pass, compile_both


def test_a_reduction_gets_its_own_copy_of_a_shared_chain(rng):
    """mean(sqr(h - y)) and a gradient-like h - y scaled by the mean: the difference was
    a kernel of its own (read by the reduction and by the scaled output); with a copy
    in the reduction's prologue it is computed where each reader is."""
    h, y = T.fmatrix("h"), T.fmatrix("y")
    d = h - y
    loss = T.mean(T.sqr(d))
    scaled = d * loss
    after_loss, after_scaled = apply_pass("private_reduce_inputs", loss, scaled)
    (red,) = [n for n in toposort([after_loss]) if isinstance(n.op, Reduce)]
    copied_sub = red.inputs[0].owner.inputs[0]  # sqr(h - y): the copy's h - y
    assert copied_sub is not after_scaled.owner.inputs[0] and str(copied_sub.owner.op) == str(d.owner.op)
    f, f0 = compile_both([h, y], [loss, scaled])
    with clgraph.config.change(rewrites_excluding=("private_reduce_inputs",)):
        g = clgraph.function([h, y], [loss, scaled])
    assert len(f.kernels) == 2 and len(g.kernels) == 3
    hv, yv = rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=(6, 5)).astype("float32")
    want = np.mean((hv - yv) ** 2)
    for fn in (f, f0, g):
        got_loss, got_scaled = fn(hv, yv)
        np.testing.assert_allclose(got_loss, want, rtol=1e-5)
        np.testing.assert_allclose(got_scaled, (hv - yv) * want, rtol=1e-5)


def test_a_chain_read_by_the_reduction_alone_is_left_as_it_is():
    x = T.fmatrix("x")
    s = T.sum(T.sqr(x + 1), axis=0)
    assert apply_pass("private_reduce_inputs", s) is s


def test_no_copy_of_a_chain_that_reads_a_product(rng):
    """Copying p * 2 into the sum would give the product p a second reader and cost the
    GEMM its fused tail (p * 2 + 1): no copy, two kernels."""
    x, w = T.fmatrix("x"), T.fmatrix("w")
    q = T.dot(x, w) * 2
    outs = [q + 1, T.sum(q, axis=0)]
    assert apply_pass("private_reduce_inputs", *outs) == outs
    f = clgraph.function([x, w], outs)
    assert [k.family for k in f.kernels] == ["gemm", "reduce"]
    xv, wv = rng.normal(size=(7, 3)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    a, b = f(xv, wv)
    np.testing.assert_allclose(a, 2 * xv @ wv + 1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, (2 * xv @ wv).sum(axis=0), rtol=1e-5, atol=1e-6)


def test_the_keras_seed_steps_squared_error_runs_in_its_reduction():
    from clgraph.keras.layers.core import Dense
    from clgraph.keras.models import Sequential
    model = Sequential()
    model.add(Dense(4, input_dim=3, activation="tanh"))
    model.add(Dense(2, activation="softmax"))
    model.compile(loss="mean_squared_error", optimizer="sgd")
    model.train_on_batch(np.ones((4, 3), "float32"), np.eye(2, dtype="float32")[[0, 1, 0, 1]])
    text = clgraph.printing.debugprint(model.train_function, file="str")
    kernels = text[text.index("kernels, in launch order"):].split("\n")
    # (the weighted sum of the row means is one reduction: rewrite/reductions.py)
    assert any("Elemwise{sqr}" in k and "sum{0,1}" in k for k in kernels)
