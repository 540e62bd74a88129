"""function(..., profile=True): per-kernel times from OpenCL events, bytes moved,
GFLOP/s of GEMM, and the host overhead per call."""
import io

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T

M, K, N = 6, 5, 7
CALLS = 3


@pytest.fixture(scope="module")
def profiled():
    """One function with an elementwise kernel and a GEMM kernel, called CALLS times."""
    x, y = T.matrix("x"), T.matrix("y")
    a, b = T.matrix("a"), T.matrix("b")
    f = clgraph.function([x, y, a, b], [T.exp(x) * y + 1.0, T.dot(a, b)], profile=True)
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype("float32") for s in [(M, N), (M, N), (M, K), (K, N)]]
    results = [f(*args) for _ in range(CALLS)]
    return f, args, results


def _family(f, family):
    (kernel,) = [k for k in f.kernels if k.family == family]
    return kernel.name


def test_profiled_results_are_right(profiled):
    f, (x, y, a, b), results = profiled
    for elem, gemm in results:
        np.testing.assert_allclose(elem, np.exp(x) * y + 1, rtol=1e-5)
        np.testing.assert_allclose(gemm, a.astype("float64") @ b, rtol=1e-4, atol=1e-5)


def test_report_names_every_kernel_and_counts_calls(profiled):
    f = profiled[0]
    text = f.profile_report()
    for kernel in f.kernels:
        assert kernel.name in text
    rows = {r["name"]: r for r in f.profiler.rows()}
    assert set(rows) == {k.name for k in f.kernels}
    for r in rows.values():
        assert r["calls"] == CALLS
        assert r["total_s"] > 0 and r["mean_s"] > 0
        assert r["mean_s"] == pytest.approx(r["total_s"] / CALLS)
    assert sum(r["share"] for r in rows.values()) == pytest.approx(100.0)
    assert f.profiler.calls == CALLS
    assert f.profiler.host_overhead() > 0
    assert "host overhead" in text and "first call" in text


def test_bytes_per_call_and_gemm_flops(profiled):
    f = profiled[0]
    rows = {r["name"]: r for r in f.profiler.rows()}
    elem, gemm = rows[_family(f, "elemwise")], rows[_family(f, "gemm")]
    assert elem["bytes_per_call"] == 3 * M * N * 4  # reads x, y; writes the result
    assert gemm["bytes_per_call"] == (M * K + K * N + M * N) * 4
    assert elem["gflop_per_s"] is None
    flops_per_call = gemm["gflop_per_s"] * 1e9 * gemm["total_s"] / CALLS
    assert flops_per_call == pytest.approx(2 * M * N * K)
    assert elem["gb_per_s"] == pytest.approx(elem["bytes_per_call"] * CALLS / elem["total_s"] * 1e-9)


def test_report_goes_to_file_and_failed_calls_are_not_counted(profiled):
    f, (x, y, a, b), _ = profiled
    with pytest.raises(clgraph.ShapeError):
        f(x, y[:, :2], a, b)
    buf = io.StringIO()
    text = f.profile_report(file=buf)
    assert buf.getvalue() == text
    assert f"{CALLS} call(s)" in text.splitlines()[0]
    assert all(r["calls"] == CALLS for r in f.profiler.rows())


def test_report_without_profile_is_a_clear_error():
    x, y = T.matrix("x"), T.matrix("y")
    f = clgraph.function([x, y], T.exp(x) * y + 1.0)  # same kernel as above: no new build
    assert f.profiler is None
    with pytest.raises(clgraph.ClgraphError, match="profile=True"):
        f.profile_report()
