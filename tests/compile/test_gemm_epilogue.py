"""An elementwise tail of a matrix product runs in the GEMM kernel's epilogue: a dense
layer's forward pass is one kernel, with the values numpy gives, for every operand
layout and on both the CPU and the GPU kernel."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.codegen.families.gemm import GemmKernel
from clgraph.ops.blas import Dot


@pytest.fixture(params=["cpu", "gpu"])
def kind(request, monkeypatch):
    monkeypatch.setattr(GemmKernel, "force_kind", request.param)
    return request.param


def test_dense_layer_forward_is_one_kernel(kind, rng):
    xv = rng.normal(size=(37, 20)).astype("float32")
    wv = rng.normal(size=(20, 45)).astype("float32")
    bv = rng.normal(size=45).astype("float32")
    x, W, b = T.fmatrix("x"), clgraph.shared(wv), clgraph.shared(bv)
    f = clgraph.function([x], T.tanh(T.dot(x, W) + b))
    assert len(f.kernels) == 1 and "gemm" in f.kernels[0].name
    np.testing.assert_allclose(f(xv), np.tanh(xv @ wv + bv), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", ["plain", "x_transposed", "w_transposed", "both"])
def test_epilogue_operands_follow_every_layout(layout, kind, rng):
    """Transposed operands may make the kernel compute C^T = B^T A^T; the epilogue's
    operands (a full matrix and a column vector) must be read in that orientation."""
    m, k, n = 19, 23, 29
    a = T.fmatrix("a")
    bmat = T.fmatrix("bmat")
    z = T.fmatrix("z")
    col = T.fvector("col")
    av = rng.normal(size=(k, m) if layout in ("x_transposed", "both") else (m, k)).astype("float32")
    bv = rng.normal(size=(n, k) if layout in ("w_transposed", "both") else (k, n)).astype("float32")
    zv = rng.normal(size=(m, n)).astype("float32")
    cv = rng.normal(size=m).astype("float32")
    lhs = a.T if layout in ("x_transposed", "both") else a
    rhs = bmat.T if layout in ("w_transposed", "both") else bmat
    out = T.maximum(T.dot(lhs, rhs) * z - col.dimshuffle(0, "x"), 0)
    f = clgraph.function([a, bmat, z, col], out)
    assert len(f.kernels) == 1
    lv = av.T if layout in ("x_transposed", "both") else av
    rv = bv.T if layout in ("w_transposed", "both") else bv
    np.testing.assert_allclose(f(av, bv, zv, cv), np.maximum((lv @ rv) * zv - cv[:, None], 0), rtol=1e-5,
                               atol=1e-5)


def test_long_k_applies_the_epilogue_once(kind, rng):
    """The CPU kernel adds k-panels into C; the epilogue must run on the last one only."""
    xv = rng.normal(size=(9, 700)).astype("float32") / 10
    wv = rng.normal(size=(700, 11)).astype("float32") / 10
    x, w = T.fmatrix("x"), T.fmatrix("w")
    f = clgraph.function([x, w], T.exp(T.dot(x, w)) - 1)
    np.testing.assert_allclose(f(xv, wv), np.exp(xv @ wv) - 1, rtol=1e-4, atol=1e-5)


def test_a_product_needed_elsewhere_is_not_fused(rng):
    xv = rng.normal(size=(8, 5)).astype("float32")
    wv = rng.normal(size=(5, 6)).astype("float32")
    x, w = T.fmatrix("x"), T.fmatrix("w")
    p = T.dot(x, w)
    f = clgraph.function([x, w], [p, T.tanh(p), p > 0])
    names = [k.name for k in f.kernels]
    assert "gemm" in names[0] and all("gemm" not in name for name in names[1:])  # tanh and > apart
    got = f(xv, wv)
    np.testing.assert_allclose(got[0], xv @ wv, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], np.tanh(xv @ wv), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[2], got[0] > 0)


def test_dense_layer_gradients_through_the_fused_kernel(rng):
    from opcheck import check_grad
    bv = rng.normal(size=4)
    check_grad(lambda x, w: T.tanh(T.dot(x, w) + bv), rng.normal(size=(3, 5)), rng.normal(size=(5, 4)))


def test_a_sum_of_two_products_fuses_one_of_them(rng):
    """A group that adds two products (a recurrent step) takes the first as its
    epilogue; the second runs as a plain GEMM before it."""
    a, b = rng.normal(size=(5, 6)).astype("float32"), rng.normal(size=(6, 7)).astype("float32")
    c, d = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(3, 7)).astype("float32")
    xa, xb, xc, xd = T.fmatrix("a"), T.fmatrix("b"), T.fmatrix("c"), T.fmatrix("d")
    f = clgraph.function([xa, xb, xc, xd], T.tanh(T.dot(xa, xb) + T.dot(xc, xd)))
    assert [k.name.split("_")[1] for k in f.kernels] == ["gemm", "gemm"]
    np.testing.assert_allclose(f(a, b, c, d), np.tanh(a @ b + c @ d), rtol=1e-5, atol=1e-5)


def test_an_update_with_two_results_runs_in_the_weight_gradient_kernel(kind, rng):
    """Nesterov momentum from a weight gradient: the new velocity and the new weights
    are both written by the GEMM that computes the gradient (K long enough for several
    k-panels on the CPU kernel)."""
    h = rng.normal(size=(600, 7)).astype("float32")
    g = rng.normal(size=(600, 5)).astype("float32")
    w0 = rng.normal(size=(7, 5)).astype("float32")
    v0 = rng.normal(size=(7, 5)).astype("float32")
    H, G = T.fmatrix("h"), T.fmatrix("g")
    w, v = clgraph.shared(w0), clgraph.shared(v0)
    grad = T.dot(H.T, G)
    new_v = 0.9 * v - 0.01 * grad
    step = clgraph.function([H, G], [], updates=[(v, new_v), (w, w + 0.9 * new_v - 0.01 * grad)])
    assert len(step.kernels) == 1 and "gemm" in step.kernels[0].name
    step(h, g)
    want_grad = h.T.astype(np.float64) @ g
    want_v = 0.9 * v0 - 0.01 * want_grad
    np.testing.assert_allclose(v.get_value(), want_v, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(w.get_value(), w0 + 0.9 * want_v - 0.01 * want_grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("z_layout", ["rows", "transposed"])
def test_vector_epilogue_matches_numpy(dtype, z_layout, rng):
    """The CPU kernel applies the epilogue to whole vectors where every operand has
    stride 1 or 0 along n (here: full panels, a bias row, a per-row scale) and element
    by element elsewhere (the partial panel, a transposed operand); with K over one
    k-panel, the last panel adds to C before the epilogue."""
    m, k, n = 13, 300, 40
    x, w = T.matrix("x", dtype=dtype), T.matrix("w", dtype=dtype)
    z, b, s = T.matrix("z", dtype=dtype), T.vector("b", dtype=dtype), T.vector("s", dtype=dtype)
    zz = z.T if z_layout == "transposed" else z
    h = T.tanh(T.dot(x, w) / 10 + b) * s.dimshuffle(0, "x")
    f = clgraph.function([x, w, z, b, s], [h * zz, 1 - h * h])
    assert len(f.kernels) == 1
    xv, wv = rng.normal(size=(m, k)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
    zv = rng.normal(size=(n, m) if z_layout == "transposed" else (m, n)).astype(dtype)
    bv, sv = rng.normal(size=n).astype(dtype), rng.normal(size=m).astype(dtype)
    hv = np.tanh(xv @ wv / 10 + bv) * sv[:, None]
    got = f(xv, wv, zv, bv, sv)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got[0], hv * (zv.T if z_layout == "transposed" else zv), rtol=tol, atol=tol)
    np.testing.assert_allclose(got[1], 1 - hv * hv, rtol=tol, atol=tol)


@pytest.mark.parametrize("fold", [False, True])
def test_epilogue_of_a_product_with_a_kept_batch_axis(fold, kind, rng):
    """A batched product (a convolution's: one matrix times each image's columns) runs
    its tail in the epilogue too, its operands read at the batch index: a per-image and
    per-row operand, a full one, and two results. With `fold`, B is the shared matrix, so
    the batch axis folds into rows, and so must the operands."""
    nb, m, k, n = 3, 7, 5, 11
    a3, b2 = T.ftensor3("a3"), T.fmatrix("b2")
    if fold:
        av, bv = rng.normal(size=(nb, m, k)).astype("float32"), rng.normal(size=(k, n)).astype("float32")
        prod = T.dot(a3, b2)
        want_prod = av @ bv
    else:
        bv, av = rng.normal(size=(m, k)).astype("float32"), rng.normal(size=(nb, k, n)).astype("float32")
        prod = Dot(0)(b2.dimshuffle("x", 0, 1), a3)
        want_prod = bv[None] @ av
    rowb, full = T.fmatrix("rowb"), T.ftensor3("full")
    rv = rng.normal(size=(nb, m)).astype("float32")
    fv = rng.normal(size=(nb, m, n)).astype("float32")
    pre = prod + rowb.dimshuffle(0, 1, "x")
    outs = [T.nnet.relu(pre) * full, T.tanh(pre)]
    f = clgraph.function([a3, b2, rowb, full], outs)
    assert [k.name.split("_", 1)[1] for k in f.kernels] == ["gemm"], [k.name for k in f.kernels]
    got = f(av, bv, rv, fv)
    pre_v = want_prod + rv[:, :, None]
    np.testing.assert_allclose(got[0], np.maximum(pre_v, 0) * fv, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], np.tanh(pre_v), rtol=1e-5, atol=1e-5)
