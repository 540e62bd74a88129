"""Each rewrite: the graph before/after, and values unchanged."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.graph.basic import toposort
from clgraph.rewrite import rewrite


def _ops(var):
    return [str(n.op) for n in toposort([var])]


@pytest.mark.parametrize("exponent,op", [(2, "sqr"), (0.5, "sqrt"), (-1, "true_div"), (1, "identity"),
                                         (3, "sqr")])
def test_pow_by_constant(exponent, op, rng):
    x = T.dvector("x")
    y = x ** exponent
    assert _ops(y) == ["pow"]
    (after,) = rewrite([y])
    assert "pow" not in _ops(after) and op in _ops(after)
    v = rng.uniform(0.5, 2, 9)
    f = clgraph.function([x], y)
    np.testing.assert_allclose(f(v), v ** exponent, rtol=1e-14)
    assert "pow(" not in f.kernels[0].source


@pytest.mark.parametrize("exponent", [4, 5, 8, -2, -3, 1.5, 2.5, -0.5, -1.5, 4.5])
def test_integer_and_half_integer_powers_are_products(exponent, rng):
    """x ** k for |k| <= 8, k an integer or a half-integer: products by squaring, a
    sqrt for the half, a division for a negative k; values as numpy's, NaN where numpy's
    is (a half power of a negative number), float32 kept, one kernel, no pow()."""
    x = T.fvector("x")
    f = clgraph.function([x], x ** exponent)
    v = np.concatenate([rng.uniform(0.2, 3, 7), [-1.5, 0.7]]).astype("float32")
    with np.errstate(invalid="ignore"):
        want = v.astype(np.float64) ** exponent
    np.testing.assert_allclose(f(v), want, rtol=2e-6, equal_nan=True)
    assert len(f.kernels) == 1 and "pow(" not in f.kernels[0].source
    g = clgraph.function([x], clgraph.grad(T.sum(x ** exponent), x))   # k * x ** (k - 1)
    w = rng.uniform(0.2, 3, 9).astype("float32")
    np.testing.assert_allclose(g(w), exponent * w.astype(np.float64) ** (exponent - 1), rtol=1e-5)
    assert "pow(" not in g.kernels[0].source and g.kernels[0].source.count("double") <= 1  # (the pragma)


def test_other_powers_stay_pow(rng):
    x = T.fvector("x")
    for k in (9, 2.25, -8.5):
        (kept,) = rewrite([x ** k])
        assert _ops(kept) == ["pow"], k


def test_pow_rewrite_keeps_dtype_and_user_line():
    i = T.ivector("i")
    (after,) = rewrite([i ** 2])
    assert after.dtype == "int32"
    x = T.fvector("x")
    y = x ** 2  # user line
    (after,) = rewrite([y])
    assert after.owner.trace.lineno == y.owner.trace.lineno
    # a non-constant exponent stays a pow
    (kept,) = rewrite([x ** x])
    assert _ops(kept) == ["pow"]
