"""Updates written straight into the shared variable's buffer where nothing can see the
difference; everywhere else the new value is swapped in at the end of the call."""
import numpy as np

import clgraph
import clgraph.tensor as T


def test_an_elementwise_update_keeps_its_buffer(rng):
    p0 = rng.normal(size=(6, 5)).astype("float32")
    g0 = rng.normal(size=(6, 5)).astype("float32")
    p, g = clgraph.shared(p0), T.fmatrix("g")
    step = clgraph.function([g], [], updates=[(p, p - 0.1 * g)])
    buffer = p.container.buffer
    for _ in range(3):
        step(g0)
    assert p.container.buffer is buffer  # written in place
    np.testing.assert_allclose(p.get_value(), p0 - 3 * np.float32(0.1) * g0, rtol=1e-6, atol=1e-6)


def test_old_value_read_by_another_kernel_is_not_overwritten(rng):
    p0 = rng.normal(size=(4, 4)).astype("float32")
    w = rng.normal(size=(4, 3)).astype("float32")
    p = clgraph.shared(p0)
    f = clgraph.function([], [T.dot(p, w), p.sum(axis=0)], updates=[(p, p + 1)])
    for k in range(3):
        prod, col = f()
        np.testing.assert_allclose(prod, (p0 + k) @ w, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(col, (p0 + k).sum(axis=0), rtol=1e-5, atol=1e-5)


def test_returned_and_exchanged_old_values(rng):
    a0 = rng.normal(size=7).astype("float32")
    b0 = rng.normal(size=7).astype("float32")
    a, b = clgraph.shared(a0), clgraph.shared(b0)
    f = clgraph.function([], a, updates=[(a, b * 2), (b, a + 1)])
    np.testing.assert_array_equal(f(), a0)
    np.testing.assert_allclose(a.get_value(), b0 * 2)
    np.testing.assert_allclose(b.get_value(), a0 + 1)
    np.testing.assert_allclose(f(), b0 * 2)
    np.testing.assert_allclose(a.get_value(), (a0 + 1) * 2)
    np.testing.assert_allclose(b.get_value(), b0 * 2 + 1)


def test_an_update_that_is_a_reshape_of_a_kernel_result_needs_no_copy(rng):
    """conv2d's result is its product reshaped: as an update it is that product's own
    buffer (no copy kernel), and later calls and a second shared variable stay right."""
    import clgraph.tensor as T
    a = clgraph.shared(rng.normal(size=(6, 4)).astype("float32"))
    b = clgraph.shared(rng.normal(size=(4, 10)).astype("float32"))
    out = clgraph.shared(np.zeros((3, 2, 10), "float32"))
    f = clgraph.function([], [], updates=[(out, T.dot(a, b).reshape((3, 2, 10))), (a, a * 2)])
    assert [k.name.split("_", 1)[1] for k in f.kernels].count("identity") == 0
    for _ in range(3):
        before = a.get_value()
        f()
        np.testing.assert_allclose(out.get_value(), (before @ b.get_value()).reshape(3, 2, 10), rtol=1e-5)
