"""An elementwise tail of a reduction runs as the reduction writes its result: a bias
gradient and its optimizer update are one kernel, for every reduce layout (rows on
the CPU, column blocks on the GPU, chunked long reductions) and with several results."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.codegen.families.reduce import ReduceKernel


@pytest.fixture(params=["cpu", "gpu"])
def kind(request, monkeypatch):
    monkeypatch.setattr(ReduceKernel, "force_kind", request.param)
    return request.param


@pytest.mark.parametrize("rows", [3, 300])
def test_bias_gradient_and_nesterov_update_in_one_kernel(kind, rows, rng):
    g = rng.normal(size=(rows, 37)).astype("float32")
    b0 = rng.normal(size=37).astype("float32")
    v0 = rng.normal(size=37).astype("float32")
    G = T.fmatrix("g")
    b, v = clgraph.shared(b0), clgraph.shared(v0)
    it = clgraph.shared(np.float32(0))
    lr = 0.1 / (1 + 0.5 * it)
    db = G.sum(axis=0)
    new_v = 0.9 * v - lr * db
    step = clgraph.function([G], [], updates=[(v, new_v), (b, b + 0.9 * new_v - lr * db)])
    names = [k.name for k in step.kernels]
    assert len(names) == 2 and "reduce" in names[1]  # the lr scalar, then the fused step
    want_db = g.astype(np.float64).sum(axis=0)
    want_v = 0.9 * v0 - 0.1 * want_db
    step(g)
    np.testing.assert_allclose(v.get_value(), want_v, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.get_value(), b0 + 0.9 * want_v - 0.1 * want_db, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n", [10, 300_000])
def test_a_long_sum_with_a_tail_and_a_mean_of_rows(n, rng):
    """A chunked sum applies its tail in the combining kernel; a mean of rows applies it
    per row."""
    x, m = T.fvector("x"), T.fmatrix("m")
    c = T.fscalar("c")
    xv = rng.uniform(0, 1, n).astype("float32")
    mv = rng.normal(size=(6, 5)).astype("float32")
    f = clgraph.function([x, m, c], [T.sqrt(x.sum()) * c, T.tanh(m.mean(axis=1)) + c])
    assert len(f.kernels) == 2
    a, b = f(xv, mv, 3)
    np.testing.assert_allclose(a, np.sqrt(xv.astype(np.float64).sum()) * 3, rtol=1e-5)
    np.testing.assert_allclose(b, np.tanh(mv.mean(axis=1)) + 3, rtol=1e-5, atol=1e-6)


def test_a_tail_with_a_strided_operand_stays_apart(rng):
    m, w = T.fmatrix("m"), T.fmatrix("w")
    mv = rng.normal(size=(4, 6)).astype("float32")
    wv = rng.normal(size=(6, 3)).astype("float32")
    f = clgraph.function([m, w], m.sum(axis=0) * w.T[0])  # w.T[0] is a strided row
    assert len(f.kernels) == 2
    np.testing.assert_allclose(f(mv, wv), mv.sum(axis=0) * wv[:, 0], rtol=1e-5, atol=1e-6)


def test_a_group_fed_by_a_product_and_a_reduction_joins_only_one(rng):
    """The GEMM takes the group as its epilogue; the reduction, then, must not."""
    x, w, y = T.fmatrix("x"), T.fmatrix("w"), T.ftensor3("y")
    f = clgraph.function([x, w, y], T.tanh(T.dot(x, w) + y.sum(axis=0)))
    assert [k.name.split("_")[1] for k in f.kernels] == ["reduce", "gemm"]
    xv, wv = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(4, 5)).astype("float32")
    yv = rng.normal(size=(2, 3, 5)).astype("float32")
    np.testing.assert_allclose(f(xv, wv, yv), np.tanh(xv @ wv + yv.sum(axis=0)), rtol=1e-5, atol=1e-6)
