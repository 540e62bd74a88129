"""Numerical stabilisation: the stable forms give finite, exact values where the
original expressions overflow or round to nothing; the softmax cross-entropy gradient
runs as one fused kernel; gradients of the stabilised forms check out."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.errors import ShapeError
from clgraph.gradient import verify_grad
from clgraph.graph.basic import constant
from clgraph.ops.nnet import CrossentropyIndex
from rewrite_helpers import apply_pass, compile_both, evaluate, op_names

nnet = T.nnet


def np_log_softmax(v):
    v = v.astype(np.float64)
    m = v.max(axis=-1, keepdims=True)
    return (v - m) - np.log(np.exp(v - m).sum(axis=-1, keepdims=True))


def test_log_of_softmax_is_log_softmax_and_finite_for_large_logits(rng):
    x = T.fmatrix("x")
    y = T.log(nnet.softmax(x))
    assert op_names(apply_pass("stabilize", y)) == ["log_softmax"]
    xv = (rng.normal(size=(3, 6)) * 1000).astype("float32")
    f, f0 = compile_both([x], y)
    got = f(xv)
    assert np.isfinite(got).all() and got.dtype == np.float32
    np.testing.assert_allclose(got, np_log_softmax(xv), rtol=1e-6, atol=1e-4)
    assert np.isneginf(f0(xv)).any()  # log(0) without the rewrite


@pytest.mark.parametrize("build,ops,reference", [
    (lambda x: T.log(nnet.sigmoid(x)), ["neg", "softplus", "neg"], lambda v: -np.logaddexp(0, -v)),
    (lambda x: T.log(1 - nnet.sigmoid(x)), ["softplus", "neg"], lambda v: -np.logaddexp(0, v)),
], ids=["log(sigmoid)", "log(1-sigmoid)"])
def test_log_sigmoid_is_minus_softplus(build, ops, reference):
    x = T.fvector("x")
    y = build(x)
    assert op_names(apply_pass("stabilize", y)) == ops
    v = np.float32([-800, -30, -1, 0, 2, 30, 800])
    f, f0 = compile_both([x], y)
    got = f(v)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, reference(v.astype(np.float64)), rtol=1e-6, atol=1e-7)
    assert np.isneginf(f0(v)).any()


@pytest.mark.parametrize("build,op,reference", [
    (lambda x: T.log(1 + x), "log1p", np.log1p),
    (lambda x: T.log(x + 1), "log1p", np.log1p),
    (lambda x: T.exp(x) - 1, "expm1", np.expm1),
], ids=["log(1+x)", "log(x+1)", "exp(x)-1"])
def test_log1p_and_expm1(build, op, reference):
    x = T.fvector("x")
    y = build(x)
    assert op_names(apply_pass("stabilize", y)) == [op]
    v = np.float32([1e-10, -3e-8, 1e-3, 0.5, 3.0])
    f, f0 = compile_both([x], y)
    np.testing.assert_allclose(f(v), reference(v.astype(np.float64)), rtol=1e-6)
    assert f0(v)[0] == 0  # 1 + 1e-10 rounds to 1 in float32


def test_a_sum_that_broadcasts_or_wraps_is_left_alone():
    r, i = T.frow("r"), T.ivector("i")
    broadcast = T.log(constant(np.ones((3, 2), "float32")) + r)
    integer = T.log(1 + i)
    assert op_names(apply_pass("stabilize", broadcast)) == ["add", "log"]
    assert op_names(apply_pass("stabilize", integer)) == ["add", "log"]


def test_crossentropy_of_a_softmax_given_later_uses_the_logits(rng):
    x, p, y = T.fmatrix("x"), T.fmatrix("p"), T.ivector("y")
    loss = nnet.categorical_crossentropy(p, y)  # the softmax is not visible here
    assert isinstance(loss.owner.op, CrossentropyIndex) and not loss.owner.op.logits
    assert op_names(apply_pass("stabilize", CrossentropyIndex()(nnet.softmax(x), y))) == ["crossentropy_softmax"]
    f, f0 = compile_both([x, y], loss, givens={p: nnet.softmax(x)})
    assert len(f.kernels) == 1 and len(f0.kernels) == 2
    xv = (rng.normal(size=(4, 5)) * 300).astype("float32")
    yv = np.array([0, 4, 2, 1], "int32")
    want = -np_log_softmax(xv)[np.arange(4), yv]
    got = f(xv, yv)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4)


def _np_xent_grad(xv, yv, scale):
    p = np.exp(np_log_softmax(xv))
    hot = np.zeros_like(p)
    valid = (yv >= 0) & (yv < xv.shape[-1])
    np.put_along_axis(hot, np.where(valid, yv, 0)[..., None], 1.0, axis=-1)
    g = (p - hot) * scale
    g[~valid] = np.nan
    return g


def test_softmax_crossentropy_gradient_is_one_fused_kernel(rng):
    x, y = T.fmatrix("x"), T.ivector("y")
    cost = nnet.categorical_crossentropy(nnet.softmax(x), y).mean()
    g = T.grad(cost, x)
    after = apply_pass("stabilize", g)
    assert "crossentropy_softmax_grad" in op_names(after)
    assert not {"softmax", "onehot_rows", "sub"} & set(op_names(after))
    f, f0 = compile_both([x, y], [cost, g])
    names = [k.name for k in f.kernels]
    assert sum("xent_grad" in n for n in names) == 1
    assert len(f.kernels) == len(f0.kernels) - 2  # softmax, one-hot rows and their product: one kernel
    xv = (rng.normal(size=(5, 7)) * 1000).astype("float32")
    yv = np.array([0, 6, 3, -1, 7], "int32")  # the last two are out of range: NaN rows
    c, gv = f(xv, yv)
    want = _np_xent_grad(xv, yv, 1 / 5)
    np.testing.assert_allclose(gv, want, rtol=1e-5, atol=1e-7, equal_nan=True)
    assert np.isnan(c)  # an out-of-range index makes the loss NaN too
    ok = np.array([0, 6, 3, 1, 2], "int32")
    c, gv = f(xv, ok)
    assert np.isfinite(gv).all() and np.isfinite(c)
    np.testing.assert_allclose(gv, _np_xent_grad(xv, ok, 1 / 5), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(f0(xv, ok)[1], gv, rtol=1e-5, atol=1e-7)
    # the fused op's numpy reference agrees
    (ref,) = evaluate([after], {x: xv, y: ok})
    np.testing.assert_allclose(ref, _np_xent_grad(xv, ok, 1 / 5), rtol=1e-5, atol=1e-7)


def test_fused_gradient_reports_rows_that_do_not_match():
    x, y = T.fmatrix("x"), T.ivector("y")
    g = T.grad(nnet.categorical_crossentropy(nnet.softmax(x), y).sum(), x)  # the reported line
    f = clgraph.function([x, y], g)
    assert any("xent_grad" in k.name for k in f.kernels)
    with pytest.raises(ShapeError, match=r"(?s)rows.*test_stabilize.py:\d+.*the reported line"):
        f(np.zeros((3, 4), "float32"), np.zeros(2, "int32"))


def test_fused_gradient_reads_strided_logits_with_leading_axes(rng):
    x, y = T.dtensor3("x"), T.imatrix("y")
    logits = x.dimshuffle(1, 0, 2)  # a strided view, two leading axes
    g = T.grad(nnet.categorical_crossentropy(nnet.softmax(logits), y).sum(), x)
    f, f0 = compile_both([x, y], g)
    assert sum("xent_grad" in k.name for k in f.kernels) == 1
    xv = rng.normal(size=(3, 2, 4))
    yv = rng.integers(0, 4, (2, 3)).astype("int32")
    want = _np_xent_grad(xv.transpose(1, 0, 2), yv, 1.0).transpose(1, 0, 2)
    np.testing.assert_allclose(f(xv, yv), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f0(xv, yv), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("build,low,high", [
    (lambda x: T.log(nnet.softmax(x)), -3, 3),
    (lambda x: T.log(nnet.sigmoid(x)), -3, 3),
    (lambda x: T.log(1 - nnet.sigmoid(x)), -3, 3),
    (lambda x: T.log(1 + x), 0.1, 2),
    (lambda x: T.exp(x) - 1, -2, 2),
    (lambda x: nnet.categorical_crossentropy(nnet.softmax(x), constant(np.array([2, 0, 1], "int32"))), -3, 3),
], ids=["log_softmax", "log_sigmoid", "log_1m_sigmoid", "log1p", "expm1", "xent"])
def test_gradients_of_the_stabilised_forms(build, low, high, rng):
    point = rng.uniform(low, high, size=(3, 4))
    verify_grad(build, [point], rng=np.random.default_rng(0))
