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
