"""An elementwise prologue runs inside the reduction that consumes it, even when
something else reads only its shape."""
import numpy as np

import clgraph
import clgraph.tensor as T


def test_a_shape_read_does_not_keep_a_prologue_out_of_its_reduction(rng):
    """x.shape needs no values: exp(x) still runs inside the sum, and is never stored."""
    x = T.fmatrix("x")
    y = T.exp(x)
    f = clgraph.function([x], [y.sum(axis=1), y.shape[0] * 2])
    assert len(f.kernels) == 1 and "reduce" in f.kernels[0].name
    v = rng.normal(size=(5, 3)).astype("float32")
    s, n = f(v)
    np.testing.assert_allclose(s, np.exp(v).sum(axis=1), rtol=1e-5)
    assert n == 10
