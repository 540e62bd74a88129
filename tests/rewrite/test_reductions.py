"""join_reductions: a sum or mean of a sum or mean (with a factor of the inner result)
is one reduction; values against numpy, one reduce kernel, and the cases left alone."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.graph.basic import toposort
from clgraph.ops.reduce import Reduce
from rewrite_helpers import apply_pass, compile_both


def reductions(*roots):
    return [str(n.op) for n in toposort(list(roots)) if isinstance(n.op, Reduce)]


CASES = [
    # (clgraph expression of x (2, 3, 4) and w (2, 4), numpy of the same, joined reduction)
    (lambda x, w: T.sum(T.sum(x, axis=1)), lambda x, w: np.sum(np.sum(x, axis=1)), "sum{0,1,2}"),
    (lambda x, w: T.sum(T.sum(x, axis=1), axis=1), lambda x, w: np.sum(np.sum(x, axis=1), axis=1), "sum{1,2}"),
    (lambda x, w: T.mean(T.mean(x, axis=2), axis=0), lambda x, w: np.mean(np.mean(x, axis=2), axis=0), "mean{0,2}"),
    (lambda x, w: T.sum(T.mean(x, axis=1), axis=0), lambda x, w: np.sum(np.mean(x, axis=1), axis=0), "sum{0,1}"),
    (lambda x, w: T.sum(T.mean(x, axis=(0, 2))), lambda x, w: np.sum(np.mean(x, axis=(0, 2))), "sum{0,1,2}"),
    (lambda x, w: T.sum(T.mean(T.sqr(x), axis=1) * w), lambda x, w: np.sum(np.mean(x ** 2, axis=1) * w),
     "sum{0,1,2}"),
    (lambda x, w: T.mean(w * T.mean(x, axis=1), axis=1), lambda x, w: np.mean(w * np.mean(x, axis=1), axis=1),
     "mean{1,2}"),
    (lambda x, w: T.sum(T.sum(x, axis=2) * w[:, :3]), lambda x, w: np.sum(np.sum(x, axis=2) * w[:, :3]),
     "sum{0,1,2}"),
]


@pytest.mark.parametrize("t_fn,np_fn,joined", CASES)
def test_joined_reductions_match_numpy(t_fn, np_fn, joined, rng):
    x, w = T.ftensor3("x"), T.fmatrix("w")
    out = t_fn(x, w)
    assert reductions(apply_pass("join_reductions", out)) == [joined]
    f, f0 = compile_both([x, w], out, on_unused_input="ignore")
    assert [k.family for k in f.kernels] == ["reduce"]
    xv, wv = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 4)).astype("float32")
    for fn in (f, f0):
        np.testing.assert_allclose(fn(xv, wv), np_fn(xv.astype(np.float64), wv), rtol=1e-5, atol=1e-6)


def test_the_keras_weighted_loss_is_one_reduction(rng):
    """sum(mean(sqr(p - y), axis=1) * w) / max(count of w != 0, eps): the weighted mean
    squared error of a Keras step, and its gradient, against numpy."""
    p, y, w = T.fmatrix("p"), T.fmatrix("y"), T.fvector("w")
    loss = T.sum(T.mean(T.sqr(p - y), axis=1) * w) / T.maximum(T.sum(T.neq(w, 0)), 1e-7)
    gp = clgraph.grad(loss, p)
    f = clgraph.function([p, y, w], [loss, gp])
    assert not any("mean{1}" in k.source for k in f.kernels)
    pv, yv = rng.normal(size=(9, 3)).astype("float32"), rng.normal(size=(9, 3)).astype("float32")
    wv = np.where(rng.uniform(size=9) < 0.3, 0, rng.uniform(size=9)).astype("float32")
    count = np.count_nonzero(wv)
    got_loss, got_g = f(pv, yv, wv)
    np.testing.assert_allclose(got_loss, np.sum(np.mean((pv - yv) ** 2, axis=1) * wv) / count, rtol=1e-5)
    np.testing.assert_allclose(got_g, 2 * (pv - yv) * wv[:, None] / 3 / count, rtol=1e-5, atol=1e-7)


def test_an_inner_result_read_elsewhere_is_left_alone(rng):
    x = T.fmatrix("x")
    rows = T.mean(x, axis=1)
    total = T.sum(rows)
    out_total, out_rows = apply_pass("join_reductions", total, rows)
    assert reductions(out_total) == ["mean{1}", "sum{0}"]
    f = clgraph.function([x], [total, rows])
    xv = rng.normal(size=(5, 3)).astype("float32")
    got_total, got_rows = f(xv)
    np.testing.assert_allclose(got_rows, xv.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(got_total, xv.mean(axis=1).sum(), rtol=1e-5)


@pytest.mark.parametrize("expr", [
    lambda x: T.mean(T.sum(x, axis=1)),  # mean of sums: 0 over an empty axis, not 0 * NaN
    lambda x: T.max(T.sum(x, axis=1)),
    lambda x: T.sum(T.max(x, axis=1)),
    lambda x: T.sum(T.cast(x, "int32").sum(axis=1)),  # integers accumulate in int64
    lambda x: T.sum(T.mean(x, axis=1) + 1),
])
def test_other_pairs_are_left_alone(expr):
    x = T.fmatrix("x")
    out = expr(x)
    assert reductions(apply_pass("join_reductions", out)) == reductions(out)


def test_a_value_only_a_shape_reads_is_not_computed(rng):
    """After the join, the row means and the product are left giving the gradient's
    second() its shape only: the plan computes neither (no kernel reads a buffer that
    no kernel wrote)."""
    x, w = T.fmatrix("x"), T.fvector("w")
    loss = T.sum(T.mean(T.sqr(x), axis=1) * w)
    f = clgraph.function([x, w], [loss, clgraph.grad(loss, x)])
    assert sum(k.family == "reduce" for k in f.kernels) == 1
    xv, wv = rng.normal(size=(7, 5)).astype("float32"), rng.uniform(size=7).astype("float32")
    got_loss, got_g = f(xv, wv)
    np.testing.assert_allclose(got_loss, np.sum(np.mean(xv ** 2, axis=1) * wv), rtol=1e-5)
    np.testing.assert_allclose(got_g, 2 * xv * wv[:, None] / 5, rtol=1e-5)
