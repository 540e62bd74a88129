"""Broadcast operands that are contiguous (or constant) along the last axis keep the
elementwise kernel vectorised: 'rows' mode, float8 loads within a row and an
element-by-element tail. Values must match numpy for every row length."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T


def _kernel(f):
    (kern,) = [s.kernel for s in f.plan.steps if hasattr(s, "kernel")]
    return kern


@pytest.mark.parametrize("cols", [1, 7, 8, 9, 37, 64])
def test_bias_row_and_row_scale(cols, rng):
    x, b, s = T.fmatrix("x"), T.fvector("b"), T.fvector("s")
    xv = rng.normal(size=(5, cols)).astype("float32")
    bv = rng.normal(size=cols).astype("float32")
    sv = rng.normal(size=5).astype("float32")
    f = clgraph.function([x, b, s], T.tanh(x + b) * s.dimshuffle(0, "x"))
    assert _kernel(f).mode == "rows" and _kernel(f).width == 8
    np.testing.assert_allclose(f(xv, bv, sv), np.tanh(xv + bv) * sv[:, None], rtol=1e-5, atol=1e-6)


def test_three_axes_with_a_transposed_operand_stays_general(rng):
    """An operand whose last axis is not unit-stride (a transpose) needs the 'nd' mode."""
    x, y = T.ftensor3("x"), T.fmatrix("y")
    xv = rng.normal(size=(3, 4, 10)).astype("float32")
    yv = rng.normal(size=(10, 4)).astype("float32")
    f = clgraph.function([x, y], x * y.T)
    assert _kernel(f).mode == "nd"
    np.testing.assert_allclose(f(xv, yv), xv * yv.T, rtol=1e-6)


def test_three_axes_with_a_broadcast_matrix(rng):
    x, y = T.ftensor3("x"), T.fmatrix("y")
    xv = rng.normal(size=(3, 4, 19)).astype("float32")
    yv = rng.normal(size=(4, 19)).astype("float32")
    f = clgraph.function([x, y], T.exp(x) - y)
    assert _kernel(f).mode == "rows"
    np.testing.assert_allclose(f(xv, yv), np.exp(xv) - yv, rtol=1e-5, atol=1e-6)
