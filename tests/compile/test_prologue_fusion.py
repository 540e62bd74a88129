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


def test_independent_one_element_values_share_a_kernel():
    """An iteration counter, a learning rate from it and a scalar from another input:
    one kernel for the three, not three."""
    it = clgraph.shared(np.float32(4))
    s = T.fscalar("s")
    lr = 0.1 / (1 + 0.5 * it)
    scale = T.maximum(s, 1) * 2
    f = clgraph.function([s], [lr * 3, scale], updates=[(it, it + 1)])
    assert len(f.kernels) == 1
    for k in range(3):
        a, b = f(6)
        np.testing.assert_allclose(a, 0.3 / (1 + 0.5 * (4 + k)), rtol=1e-6)
        assert b == 12
    assert it.get_value() == 7
