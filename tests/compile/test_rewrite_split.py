"""The split of long full reductions: the same values, parallel kernels."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 1000, 100_003])
def test_split_sum_and_mean_match_numpy(n, rng):
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


def test_split_keeps_integer_dtypes(rng):
    v = rng.integers(-5, 5, 1001).astype("int32")
    x = T.ivector("x")
    s = clgraph.function([x], x.sum())(v)
    assert s.dtype == np.int64 and s == v.sum()


def test_split_uses_several_work_items():
    x = T.fvector("x")
    f = clgraph.function([x], x.sum())
    # 64 row sums in parallel, then the sum of the partial results and the tail
    assert len(f.kernels) == 3 and "join" in f.kernels[1].name
