"""T.dot, T.batched_dot, T.outer: every rank combination becomes one Dot (GEMM) node on
DimShuffle views of the operands (free: no copy), and a view of its result."""
import numpy as np

from ..errors import DTypeError
from ..graph.basic import as_variable
from ..ops.blas import Dot
from .basic import cast, dimshuffle, mul

__all__ = ["dot", "batched_dot", "outer"]


def _common(a, b, name):
    """Both operands in numpy's result dtype (bool products are not supported)."""
    dtype = np.result_type(np.dtype(a.dtype), np.dtype(b.dtype)).name
    if dtype == "bool":
        raise DTypeError(f"{name}: bool operands are not supported ({a.describe()}, {b.describe()}); "
                         "cast them to an integer or float dtype")
    return cast(a, dtype), cast(b, dtype)


def _view(x, pattern):
    return x if list(pattern) == list(range(x.ndim)) else dimshuffle(x, *pattern)


def _gemm(a, b, nshared, label):
    """numpy.dot over the last axis of a and the first non-batch axis of b, after
    `nshared` leading batch axes common to both (0 for dot, 1 for batched_dot)."""
    na = a.ndim - nshared - (2 if a.ndim - nshared >= 2 else 1)   # a's own batch axes
    nb = b.ndim - nshared - (2 if b.ndim - nshared >= 2 else 1)   # b's own batch axes
    if min(na, nb) < 0 or a.ndim <= nshared or b.ndim <= nshared:
        raise TypeError(f"{label}: unsupported ranks {a.ndim} and {b.ndim}")
    has_m, has_n = a.ndim - nshared >= 2, b.ndim - nshared >= 2
    sh = list(range(nshared))
    a_own = list(range(nshared, nshared + na))
    b_own = list(range(nshared, nshared + nb))
    pa = sh + a_own + ["x"] * nb + ([a.ndim - 2] if has_m else ["x"]) + [a.ndim - 1]
    pb = sh + ["x"] * na + b_own + [b.ndim - 2 if has_n else b.ndim - 1] + ([b.ndim - 1] if has_n else ["x"])
    shown = (tuple(d for d, p in enumerate(pa) if p != "x"), tuple(d for d, p in enumerate(pb) if p != "x"))
    c = Dot(0, label, shown)(_view(a, pa), _view(b, pb))
    # c: (shared, a_own, b_own, M|1, N|1) -> numpy's (shared, a_own, M, b_own, N)
    m_axis, n_axis = nshared + na + nb, nshared + na + nb + 1
    out = sh + list(range(nshared, nshared + na)) + ([m_axis] if has_m else []) \
        + list(range(nshared + na, nshared + na + nb)) + ([n_axis] if has_n else [])
    return _view(c, out)


def dot(a, b):
    """numpy.dot: vector.vector -> scalar, matrix.vector, vector.matrix, matrix.matrix,
    and N-d operands (the last axis of a with the second-to-last axis of b)."""
    a, b = as_variable(a), as_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    a, b = _common(a, b, "dot")
    return _gemm(a, b, 0, "dot")


def batched_dot(a, b):
    """result[i] = dot(a[i], b[i]) over the first axis: (B, M, K) x (B, K, N) -> (B, M, N),
    also (B, M, K) x (B, K) -> (B, M), (B, K) x (B, K, N) -> (B, N), (B, K) x (B, K) -> (B,)."""
    a, b = as_variable(a), as_variable(b)
    if a.ndim < 2 or b.ndim < 2 or b.ndim > 3:
        raise TypeError(f"batched_dot: needs a batch axis on both operands and b of rank 2 or 3, got "
                        f"{a.describe()} and {b.describe()}")
    a, b = _common(a, b, "batched_dot")
    return _gemm(a, b, 1, "batched_dot")


def outer(x, y):
    """The outer product of two vectors (other ranks are flattened first, as Theano)."""
    x, y = as_variable(x), as_variable(y)
    if x.ndim != 1 or y.ndim != 1:
        from .shape import flatten
        x, y = (flatten(v) if v.ndim != 1 else v for v in (x, y))
    return mul(dimshuffle(x, 0, "x"), dimshuffle(y, "x", 0))
