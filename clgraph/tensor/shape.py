"""Shape functions of the T namespace: reshape, flatten, concatenate, stack, alloc,
zeros, ones, arange, eye."""
import numpy as np

from ..config import config
from ..graph.basic import Constant, Variable, as_variable, constant
from ..graph.types import check_dtype
from ..ops.alloc import Alloc, ARange, _static_ones
from ..ops.join import Join
from ..ops.shape import Reshape, is_contiguous
from .basic import as_shape, cast, dimshuffle, eq, identity

__all__ = ["reshape", "flatten", "concatenate", "stack", "alloc", "zeros", "ones", "arange", "eye"]


def _shape_length(shape_var):
    if isinstance(shape_var, Constant):
        return shape_var.data.shape[0]
    node = shape_var.owner
    if node is not None and type(node.op).__name__ == "MakeVector":
        return len(node.inputs)
    if node is not None and type(node.op).__name__ == "Shape":
        return node.inputs[0].ndim
    return None


def reshape(x, shape, ndim=None, broadcastable=None):
    """x with a new shape (one entry may be -1); no copy when x is contiguous."""
    x = as_variable(x)
    shape_var = as_shape(shape)
    ndim = ndim if ndim is not None else _shape_length(shape_var)
    if ndim is None:
        raise ValueError("reshape: the length of a symbolic shape is unknown; pass ndim=")
    if broadcastable is None:
        broadcastable = _static_ones(shape_var, ndim)
    if not is_contiguous(x):
        x = identity(x)  # a strided view is copied once, then reshaped in place
    return Reshape(ndim).make_node(x, shape_var, broadcastable).outputs[0]


def flatten(x, ndim=1, outdim=None):
    """Keep the first ndim-1 axes, merge the rest (Theano's flatten)."""
    x = as_variable(x)
    ndim = outdim if outdim is not None else ndim
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be between 1 and {x.ndim}, got {ndim}")
    shape = [x.shape[d] for d in range(ndim - 1)] + [-1]
    return reshape(x, shape, ndim=ndim, broadcastable=x.broadcastable[:ndim - 1] + (False,))


def concatenate(tensors, axis=0):
    tensors = [as_variable(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    axis = axis % tensors[0].ndim if tensors[0].ndim else axis
    return Join(axis, len(tensors))(*tensors)


def stack(tensors, axis=0):
    """Join tensors of equal shape along a new axis."""
    tensors = [as_variable(t) for t in tensors]
    ndim = tensors[0].ndim
    axis = axis % (ndim + 1)
    pattern = list(range(ndim))
    pattern.insert(axis, "x")
    return concatenate([dimshuffle(t, *pattern) for t in tensors], axis=axis)


def alloc(value, *shape):
    """`value` broadcast to `shape` (ints, int scalars, or x.shape entries)."""
    if len(shape) == 1 and (isinstance(shape[0], (list, tuple)) or
                            (isinstance(shape[0], Variable) and shape[0].ndim == 1)):
        shape = shape[0]
    shape_var = as_shape(shape)
    ndim = _shape_length(shape_var)
    if ndim is None:
        raise ValueError("alloc: the number of dimensions must be known when the graph is built")
    return Alloc(ndim)(as_variable(value), shape_var)


def zeros(shape, dtype=None):
    return alloc(constant(0, check_dtype(dtype or config.floatX)), shape)


def ones(shape, dtype=None):
    return alloc(constant(1, check_dtype(dtype or config.floatX)), shape)


def arange(start, stop=None, step=1, dtype=None):
    """numpy's arange; with Python numbers it is a constant."""
    if stop is None:
        start, stop = 0, start
    if all(isinstance(v, (int, float, np.number)) for v in (start, stop, step)):
        return constant(np.arange(start, stop, step, dtype=dtype))
    args = [as_variable(v) for v in (start, stop, step)]
    if dtype is None:
        dtype = np.result_type(*[a.data.item() if isinstance(a, Constant) and a.weak else np.zeros((), a.dtype)
                                 for a in args]).name
    dtype = check_dtype(dtype)
    return ARange(dtype)(*[cast(a, dtype) for a in args])


def eye(n, m=None, k=0, dtype=None):
    dtype = check_dtype(dtype or config.floatX)
    if m is None:
        m = n
    if all(isinstance(v, (int, np.integer)) for v in (n, m, k)):
        return constant(np.eye(n, m, k, dtype=dtype))
    rows = dimshuffle(arange(n, dtype="int64"), 0, "x")
    cols = dimshuffle(arange(m, dtype="int64"), "x", 0)
    return cast(eq(rows + k, cols), dtype)
