"""Indexing as numpy spells it: x[i], x[a:b:c], x[None], x[..., i], x[int_vector],
x[rows, cols], and Theano's set_subtensor / inc_subtensor."""
import numpy as np

from ..errors import DTypeError
from ..graph.basic import Variable, as_variable, constant
from ..ops.subtensor import (AdvancedIncSubtensor, AdvancedSubtensor, IncSubtensor, Subtensor,
                             parse_index)

__all__ = ["getitem", "set_subtensor", "inc_subtensor"]


def _is_advanced(k):
    if isinstance(k, Variable):
        return k.ndim >= 1
    return isinstance(k, (list, np.ndarray)) and np.ndim(k) >= 1


def _index_vector(k):
    if not isinstance(k, Variable):
        k = np.asarray(k)
        k = constant(k if k.dtype.kind == "b" else k.astype(np.int64))
    v = k
    if np.dtype(v.dtype).kind == "b":
        raise DTypeError("indexing with a boolean mask is not supported; use T.switch or integer indices")
    if v.ndim != 1 or np.dtype(v.dtype).kind not in "iu":
        raise DTypeError(f"index arrays must be integer vectors, got {v.describe()}")
    return v


def getitem(x, key):
    from .basic import dimshuffle
    x = as_variable(x)
    key = key if isinstance(key, tuple) else (key,)
    if any(_is_advanced(k) for k in key):
        return _advanced(x, key)
    idx_list, inputs, newaxes = parse_index(x, key)
    out = Subtensor(idx_list)(x, *inputs) if idx_list else x
    if newaxes:
        pattern = list(range(out.ndim))
        for pos in newaxes:
            pattern.insert(pos, "x")
        out = dimshuffle(out, *pattern)
    return out


def _advanced(x, key):
    """Integer-vector indexing: vectors on leading axes, or one vector on any axis."""
    from .basic import dimshuffle
    if any(k is None or k is Ellipsis for k in key):
        raise IndexError("integer-vector indexing cannot be combined with None or ... in clgraph")
    positions = [i for i, k in enumerate(key) if _is_advanced(k)]
    full = slice(None)
    if positions == list(range(len(positions))):
        vectors = [_index_vector(key[i]) for i in positions]
        out = AdvancedSubtensor(len(vectors))(x, *vectors)
        rest = key[len(positions):]
        if any(not (isinstance(k, slice) and k == full) for k in rest):
            out = getitem(out, (full,) + tuple(rest))
        return out
    if len(positions) == 1:
        axis = positions[0]
        order = [axis] + [a for a in range(x.ndim) if a != axis]
        moved = AdvancedSubtensor(1)(dimshuffle(x, *order), _index_vector(key[axis]))
        back = list(range(1, axis + 1)) + [0] + list(range(axis + 1, x.ndim))
        out = dimshuffle(moved, *back)
        others = tuple(k for i, k in enumerate(key) if i != axis)
        if any(not (isinstance(k, slice) and k == full) for k in others):
            out = getitem(out, others[:axis] + (full,) + others[axis:])
        return out
    raise IndexError("clgraph supports integer vectors on the leading axes (x[rows, cols]) or a single "
                     "integer vector on any axis")


def _inc(x_sub, y, set_instead_of_inc, what):
    node = getattr(x_sub, "owner", None)
    if node is not None and isinstance(node.op, Subtensor):
        return IncSubtensor(node.op.idx_list, set_instead_of_inc)(node.inputs[0], y, *node.inputs[1:])
    if node is not None and isinstance(node.op, AdvancedSubtensor):
        return AdvancedIncSubtensor(node.op.k, set_instead_of_inc)(node.inputs[0], y, *node.inputs[1:])
    raise TypeError(f"{what}: the first argument must be an indexing of a variable such as x[1:3] or "
                    f"x[idx], got {x_sub!r}")


def set_subtensor(x_sub, y):
    """A copy of x with x[idx] replaced by y: `set_subtensor(x[idx], y)`."""
    return _inc(x_sub, y, True, "set_subtensor")


def inc_subtensor(x_sub, y):
    """A copy of x with y added to x[idx] (repeated indices accumulate)."""
    return _inc(x_sub, y, False, "inc_subtensor")
