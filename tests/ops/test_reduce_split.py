"""Long reductions with few outputs are split into chunks (stage 1) whose partial
results a second kernel combines in a fixed order; column sums stream rows. The values
must match numpy for every layout, chunking and device-kind choice."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.codegen.families.reduce import ReduceKernel


def _exact(v, kind, axis):
    return getattr(np, kind)(v.astype(np.float64), axis=axis)


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 1000, 100_003])
def test_sum_and_mean_match_numpy(n, rng):
    v = rng.normal(size=n).astype("float32")
    x = T.fvector("x")
    f = clgraph.function([x], [x.sum(), x.mean(), T.sum(x.reshape((1, -1)))])
    s, m, s2 = f(v)
    exact = v.astype(np.float64).sum()
    # at least as accurate as numpy's float32 pairwise summation (or within 4 ulp)
    numpy_error = abs(float(v.sum()) - exact)
    assert abs(float(s) - exact) <= max(2 * numpy_error, 4 * np.spacing(np.float32(abs(exact))), 1e-6)
    assert s2 == s
    if n:
        np.testing.assert_allclose(m, v.astype(np.float64).mean(), rtol=1e-5, atol=1e-7)
    else:
        assert np.isnan(m)


def test_integer_sums_keep_numpy_dtypes(rng):
    v = rng.integers(-5, 5, 100_001).astype("int32")
    x = T.ivector("x")
    s = clgraph.function([x], x.sum())(v)
    assert s.dtype == np.int64 and s == v.sum()


def test_a_long_single_output_reduction_is_split():
    x = T.fvector("x")
    f = clgraph.function([x], T.sum(x ** 2))
    (step,) = [s for s in f.plan.steps if hasattr(s, "kernel")]
    kern = step.kernel
    assert "_final" in f.kernels[0].source  # the prologue x ** 2 stays inside stage 1
    assert kern._parts(1, [2 ** 24]) > 1 and kern._parts(1, [100]) == 1
    v = np.random.default_rng(3).uniform(-1, 1, 2 ** 18).astype("float32")
    np.testing.assert_allclose(f(v), (v.astype(np.float64) ** 2).sum(), rtol=1e-6)


def test_a_minibatch_column_sum_is_one_launch(rng):
    """The bias gradient of a batch (256 x 64) is summed in one pass, not in chunks and
    a combining kernel: two launches cost more than the split saves; long columns are
    still split (their chunks are added without compensation)."""
    x = T.fmatrix("x")
    f = clgraph.function([x], T.sum(x * 2, axis=0))
    (step,) = [s for s in f.plan.steps if hasattr(s, "kernel")]
    kern = step.kernel
    assert kern.variant == "rows"
    assert kern._parts(64, [256, 64]) == 1 and kern._parts(70, [3000, 70]) > 1 and kern._parts(512, [4096, 512]) > 1
    v = rng.normal(size=(256, 64)).astype("float32")
    np.testing.assert_allclose(f(v), 2 * v.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-5)


CASES = [((3000, 70), 0), ((70, 3000), 1), ((5, 300, 40), 1), ((5, 300, 40), (0, 1)), ((5, 300, 40), (0, 2)),
         ((5, 300, 40), (1, 2)), ((20000, 3), 0), ((3, 40000), 1), ((2, 3, 4, 5), (1, 3)), ((4096, 9), None)]


@pytest.mark.parametrize("shape,axis", CASES)
def test_layouts_and_chunkings(shape, axis, rng):
    v = rng.uniform(0.5, 1.5, shape).astype("float32")
    x = T.TensorType("float32", (False,) * len(shape))("x")
    outs = [T.sum(x, axis=axis), T.mean(x, axis=axis), T.max(x, axis=axis), T.min(x, axis=axis),
            T.sum(x * x - 1, axis=axis)]
    got = clgraph.function([x], outs)(v)
    want = [_exact(v, "sum", axis), _exact(v, "mean", axis), _exact(v, "max", axis), _exact(v, "min", axis),
            (v.astype(np.float64) ** 2 - 1).sum(axis=axis)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=1e-5)


def test_strided_and_broadcast_operands_are_not_merged(rng):
    v = rng.uniform(-1, 1, (60, 50)).astype("float32")
    row = rng.uniform(-1, 1, 50).astype("float32")
    x, r = T.fmatrix("x"), T.fvector("r")
    outs = [T.sum(x[::2, 1:], axis=0), T.sum(x.T, axis=1), T.sum(x * r, axis=0), T.sum(x * r)]
    got = clgraph.function([x, r], outs)(v, row)
    want = [v[::2, 1:].sum(0), v.T.sum(1), (v * row).sum(0), (v * row).sum()]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,axis", [((3000, 70), 0), ((5, 300, 40), 1), ((70, 3000), 1), ((200_000,), None)])
def test_gpu_layout_on_this_device(shape, axis, rng, monkeypatch):
    """The GPU choices (column blocks per work-item, more chunks) run on any device."""
    monkeypatch.setattr(ReduceKernel, "force_kind", "gpu")
    v = rng.uniform(-1, 1, shape).astype("float32")
    x = T.TensorType("float32", (False,) * len(shape))("x")
    got = clgraph.function([x], [T.sum(x, axis=axis), T.max(x, axis=axis)])(v)
    np.testing.assert_allclose(got[0], _exact(v, "sum", axis), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(got[1], _exact(v, "max", axis))


def test_nan_propagates_through_chunks():
    v = np.ones(300_000, np.float32)
    v[123_457] = np.nan
    x = T.fvector("x")
    s, m = clgraph.function([x], [x.sum(), x.max()])(v)
    assert np.isnan(s) and np.isnan(m)
