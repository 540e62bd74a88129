"""Theano tensor functions that are compositions of clgraph's ops (so they fuse and
differentiate like any graph): shape padding and broadcast patterns, join, tensordot,
tile / repeat / roll, cumsum / cumprod (a scan along the axis), the hyperbolic
functions, isnan / isinf / isclose / allclose, largest / smallest. Names that clgraph
deliberately does not offer raise an error naming the alternative (`unavailable`)."""
import numpy as np

from ..errors import ClgraphError
from ..graph.basic import as_variable
from ..ops.shape import DimShuffle
from . import basic as T
from .shape import alloc, concatenate, reshape

__all__ = ["shape_padleft", "shape_padright", "shape_padaxis", "addbroadcast", "unbroadcast", "patternbroadcast",
           "join", "tensordot", "tile", "repeat", "roll", "cumsum", "cumprod", "cosh", "sinh", "sgn", "isnan",
           "isinf", "isclose", "allclose", "largest", "smallest", "as_tensor_variable", "int_div"]


def as_tensor_variable(x, name=None, ndim=None):
    """A variable for x (arrays and numbers become constants), of rank `ndim` if given."""
    v = as_variable(x)
    if ndim is not None and v.ndim != ndim:
        raise ValueError(f"as_tensor_variable: {v.describe()} does not have ndim {ndim}")
    return v


def shape_padaxis(x, axis):
    """x with a new broadcastable axis at `axis` (negative counts from the end)."""
    x = as_variable(x)
    axis = axis if axis >= 0 else x.ndim + 1 + axis
    order = list(range(x.ndim))
    order.insert(axis, "x")
    return x.dimshuffle(*order)


def shape_padleft(x, n_ones=1):
    x = as_variable(x)
    return x.dimshuffle(*(["x"] * n_ones + list(range(x.ndim))))


def shape_padright(x, n_ones=1):
    x = as_variable(x)
    return x.dimshuffle(*(list(range(x.ndim)) + ["x"] * n_ones))


def addbroadcast(x, *axes):
    """x with `axes` (of length 1 at run time) made broadcastable."""
    x = as_variable(x)
    axes = {a if a >= 0 else x.ndim + a for a in axes}
    out = DimShuffle(x.broadcastable, [a for a in range(x.ndim) if a not in axes], drop_any=True)(x)
    for a in sorted(axes):  # (each back in its place, now broadcastable)
        out = shape_padaxis(out, a)
    return out


def unbroadcast(x, *axes):
    """x with `axes` no longer broadcastable (their length stays 1)."""
    x = as_variable(x)
    axes = {a if a >= 0 else x.ndim + a for a in axes}
    if not any(x.broadcastable[a] for a in axes):
        return x
    shape = [x.shape[a] if a in axes or not x.broadcastable[a] else 1 for a in range(x.ndim)]
    pattern = tuple(b and a not in axes for a, b in enumerate(x.broadcastable))
    return reshape(x, shape, ndim=x.ndim, broadcastable=pattern)


def patternbroadcast(x, broadcastable):
    """x with exactly this broadcastable pattern."""
    x = as_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast: {len(broadcastable)} entries for {x.describe()}")
    x = unbroadcast(x, *[a for a, b in enumerate(broadcastable) if not b])
    return addbroadcast(x, *[a for a, b in enumerate(broadcastable) if b and not x.broadcastable[a]])


def join(axis, *tensors):
    """Theano's join(axis, a, b, ...): concatenate along `axis`."""
    return concatenate(list(tensors), axis=axis)


def tensordot(a, b, axes=2):
    """numpy's tensordot: sum over the last `axes` axes of a and the first of b, or over
    the pairs (axes_a, axes_b): one GEMM on the operands moved and flattened."""
    from .blas import dot
    a, b = as_variable(a), as_variable(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(a.ndim - int(axes), a.ndim)), list(range(int(axes)))
    else:
        axes_a, axes_b = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    axes_a = [x % a.ndim for x in axes_a]
    axes_b = [x % b.ndim for x in axes_b]
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: {len(axes_a)} axes of a against {len(axes_b)} of b")
    free_a = [x for x in range(a.ndim) if x not in axes_a]
    free_b = [x for x in range(b.ndim) if x not in axes_b]
    at = a.dimshuffle(*(free_a + axes_a))
    bt = b.dimshuffle(*(axes_b + free_b))

    def prod(v, dims):
        out = 1
        for d in dims:
            out = out * v.shape[d]
        return out
    a2 = reshape(at, (prod(a, free_a), prod(a, axes_a)), ndim=2)
    b2 = reshape(bt, (prod(b, axes_b), prod(b, free_b)), ndim=2)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return reshape(dot(a2, b2), shape, ndim=len(shape))


def tile(x, reps, ndim=None):
    """numpy's tile for a tuple of Python ints: copies joined along each axis."""
    x = as_variable(x)
    reps = [int(r) for r in reps]
    if len(reps) > x.ndim:
        x = shape_padleft(x, len(reps) - x.ndim)
    reps = [1] * (x.ndim - len(reps)) + reps
    for axis, r in enumerate(reps):
        if r != 1:
            x = concatenate([x] * r, axis=axis) if r > 0 else x[tuple([slice(None)] * axis + [slice(0, 0)])]
    return x


def repeat(x, repeats, axis=None):
    """numpy's repeat with a Python int: each element `repeats` times along `axis`
    (flattened when None)."""
    x = as_variable(x)
    if axis is None:
        x, axis = x.flatten(), 0
    axis = axis % x.ndim
    r = int(repeats)
    order = list(range(x.ndim))
    order.insert(axis + 1, "x")
    expanded = x.dimshuffle(*order)
    shape = [x.shape[d] for d in range(x.ndim)]
    full = alloc(expanded, *(shape[:axis + 1] + [r] + shape[axis + 1:]))
    new_shape = shape[:axis] + [shape[axis] * r] + shape[axis + 1:]
    return reshape(full, new_shape, ndim=x.ndim)


def roll(x, shift, axis=None):
    """numpy's roll with a Python int shift."""
    x = as_variable(x)
    if axis is None:
        return reshape(roll(x.flatten(), shift, 0), x.shape, ndim=x.ndim)
    axis = axis % x.ndim
    n = x.shape[axis]
    k = int(shift) % n if isinstance(shift, (int, np.integer)) else shift % n
    head = [slice(None)] * axis
    return concatenate([x[tuple(head + [slice(n - k, None)])], x[tuple(head + [slice(0, n - k)])]], axis=axis)


def _scan_along(x, axis, combine, name):
    from ..scan_module import scan
    x = as_variable(x)
    if axis is None:
        x, axis = x.flatten(), 0
    axis = axis % x.ndim
    moved = x.dimshuffle(*([axis] + [d for d in range(x.ndim) if d != axis]))
    first = moved[0]
    rest, _ = scan(lambda row, acc: combine(acc, row), sequences=moved[1:], outputs_info=first, name=name)
    out = concatenate([shape_padleft(first), rest], axis=0)
    back = list(range(1, axis + 1)) + [0] + list(range(axis + 1, x.ndim))
    return out.dimshuffle(*back)


def cumsum(x, axis=None):
    """numpy's cumsum: a scan along the axis (its gradient is the reverse scan)."""
    return _scan_along(x, axis, lambda a, b: a + b, "cumsum")


def cumprod(x, axis=None):
    return _scan_along(x, axis, lambda a, b: a * b, "cumprod")


def cosh(x):
    e = T.exp(x)
    return (e + 1 / e) * 0.5


def sinh(x):
    return T.expm1(x) * 0.5 - T.expm1(-as_variable(x)) * 0.5


sgn = T.sign
int_div = T.floor_div


def isnan(x):
    x = as_variable(x)
    return T.neq(x, x) if np.dtype(x.dtype).kind == "f" else T.zeros_like(x, "bool")


def isinf(x):
    x = as_variable(x)
    return T.eq(T.abs(x), np.inf) if np.dtype(x.dtype).kind == "f" else T.zeros_like(x, "bool")


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """numpy's isclose: |a - b| <= atol + rtol * |b|, infinities equal to themselves."""
    a, b = as_variable(a), as_variable(b)
    close = T.le(T.abs(a - b), atol + rtol * T.abs(b))
    close = T.or_(close, T.and_(T.eq(a, b), T.eq(T.abs(b), np.inf)))
    if equal_nan:
        close = T.or_(close, T.and_(isnan(a), isnan(b)))
    return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """A boolean scalar: isclose everywhere."""
    return T.eq(T.min(T.cast(isclose(a, b, rtol, atol, equal_nan), "int8")), 1)


def _fold(name, combine, args):
    if not args:
        raise ValueError(f"{name}: give at least one tensor")
    out = as_variable(args[0])
    for a in args[1:]:
        out = combine(out, a)
    return out


def largest(*args):
    """The elementwise maximum of any number of tensors."""
    return _fold("largest", T.maximum, args)


def smallest(*args):
    """The elementwise minimum of any number of tensors."""
    return _fold("smallest", T.minimum, args)


# Theano names that clgraph does not offer, and what to use instead
UNAVAILABLE = {
    "nonzero": "a result whose shape depends on the values is not offered (every shape is known before a call "
               "runs); use T.switch(cond, x, 0) or a mask multiplied in",
    "nonzero_values": "see nonzero: use a mask (x * cond) or T.switch",
    "flatnonzero": "see nonzero: use a mask (x * cond) or T.switch",
    "sort": "sorting is not offered yet; sort on the host (numpy) or use T.argmax / T.max for the extreme",
    "argsort": "sorting is not offered yet; use T.argmax / T.argmin for the extreme",
    "unique": "a result whose shape depends on the values is not offered; use numpy on the host",
    "wmatrix": "int16 matrices are T.matrix(dtype='int16')",
    "cmatrix": "complex numbers are not offered (OpenCL C has no complex type); keep real and imaginary parts "
               "in two float tensors",
    "zmatrix": "complex numbers are not offered; keep real and imaginary parts in two float tensors",
    "fft": "FFTs are not offered; use numpy.fft on the host",
}


def unavailable(name):
    """The error for a Theano name clgraph deliberately does not offer (or None)."""
    why = UNAVAILABLE.get(name)
    return None if why is None else ClgraphError(f"clgraph.tensor.{name}: {why}")
