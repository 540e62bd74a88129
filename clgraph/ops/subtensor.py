"""Indexing. Basic indexing (integers and slices, known on the host) is a view: a new
offset, shape and strides on the same buffer. Its gradient, and set/inc_subtensor,
write a copy of x with the indexed region replaced or incremented, in one kernel.
Integer-vector indexing gathers rows (x[idx]) or elements (x[rows, cols]); its
gradient scatter-adds in a fixed order, so repeated indices accumulate correctly and
the result is the same on every device."""
import numpy as np

from ..errors import DTypeError, IndexOutOfRange, ShapeError, node_message
from ..graph.basic import Apply, Constant, Variable, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Subtensor", "IncSubtensor", "AdvancedSubtensor", "AdvancedIncSubtensor", "parse_index"]


def _int_scalar(v, what):
    v = as_variable(v)
    if v.ndim != 0 or np.dtype(v.dtype).kind not in "iu":
        raise DTypeError(f"{what}: indices must be integer scalars, got {v.describe()}")
    return v


def parse_index(x, key):
    """Split a Python index into (idx_list, index inputs, new axes) for basic indexing.
    idx_list holds per indexed axis 'i' (an integer) or ('s', has_start, has_stop,
    has_step); the integer/slice bound values are the index inputs, in order."""
    if not isinstance(key, tuple):
        key = (key,)
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("an index can only have a single ellipsis")
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > x.ndim:
        raise IndexError(f"too many indices ({n_real}) for a variable of rank {x.ndim}")
    expanded = []
    for k in key:
        if k is Ellipsis:
            expanded += [slice(None)] * (x.ndim - n_real)
        else:
            expanded.append(k)
    idx_list, inputs, newaxes, axis = [], [], [], 0
    for k in expanded:
        if k is None:
            newaxes.append(len(idx_list) - sum(1 for e in idx_list if e == "i") + len(newaxes))
            continue
        if isinstance(k, slice):
            parts = [k.start, k.stop, k.step]
            if k.step is not None and isinstance(k.step, (int, np.integer)) and k.step == 0:
                raise ValueError("slice step cannot be zero")
            idx_list.append(("s",) + tuple(p is not None for p in parts))
            inputs += [_int_scalar(p, "slice") for p in parts if p is not None]
        else:
            idx_list.append("i")
            inputs.append(_int_scalar(k, "index"))
        axis += 1
    return tuple(idx_list), inputs, newaxes


def _resolve(idx_list, shape, values):
    """For concrete `shape` and index values: per input axis (kind, start, step, count),
    kind 'i' (dropped) or 's'. Raises IndexError for an integer out of range."""
    out, it = [], iter(values)
    for axis, entry in enumerate(idx_list):
        n = shape[axis]
        if entry == "i":
            i = int(next(it))
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            out.append(("i", i % n if n else 0, 1, 1))
        else:
            _, has_start, has_stop, has_step = entry
            parts = [int(next(it)) if h else None for h in (has_start, has_stop, has_step)]
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            start, stop, step = slice(*parts).indices(n)
            out.append(("s", start, step, len(range(start, stop, step))))
    for axis in range(len(idx_list), len(shape)):
        out.append(("s", 0, 1, shape[axis]))
    return out


class Subtensor(Op):
    """x[integers and slices]: a view."""

    view = True
    host_evaluable = True
    __props__ = ("idx_list",)

    def __init__(self, idx_list):
        self.idx_list = idx_list

    def __str__(self):
        parts = ["i" if e == "i" else ":".join("?" if h else "" for h in e[1:]) for e in self.idx_list]
        return "Subtensor[" + ", ".join(parts) + "]"

    @property
    def keeps_order(self):
        """True when a contiguous input stays contiguous: leading integers, then at
        most one slice without a step, then whole axes (data[i * bs:(i + 1) * bs])."""
        entries = list(self.idx_list)
        while entries and entries[0] == "i":
            entries.pop(0)
        if entries and entries[0] != "i" and not entries[0][3]:
            entries.pop(0)
        return all(e == ("s", False, False, False) for e in entries)

    def make_node(self, x, *indices):
        x = as_variable(x)
        bcast = []
        for axis, entry in enumerate(self.idx_list):
            if entry != "i":
                bcast.append(x.broadcastable[axis] and entry == ("s", False, False, False))
        bcast += list(x.broadcastable[len(self.idx_list):])
        return Apply(self, [x, *indices], [TensorType(x.dtype, bcast)])

    def _layout(self, node, shape, strides, offset, values):
        try:
            res = _resolve(self.idx_list, shape, values)
        except IndexError as exc:
            raise IndexOutOfRange(node_message(node, f"{self}: {exc} (input shape {tuple(shape)})")) from None
        out_shape, out_strides = [], []
        for (kind, start, step, count), stride in zip(res, strides):
            if count:
                offset += start * stride
            if kind == "s":
                out_shape.append(count)
                out_strides.append(stride * step)
        return tuple(out_shape), tuple(out_strides), offset

    def infer_shape(self, node, shapes, values):
        idx_values = values[1:]
        if any(v is None for v in idx_values):
            raise ShapeError(node_message(node, f"{self}: the index must be known before the call runs (a "
                                                "Python int, an integer scalar input of the function, or "
                                                "computed from shapes); for indices computed on the device "
                                                "use integer-vector indexing"))
        return [self._layout(node, shapes[0], [0] * len(shapes[0]), 0, idx_values)[0]]

    def view_of(self, shape, strides, offset, values):
        return self._layout(None, shape, strides, offset, values[1:])

    def perform(self, node, inputs):
        x, idx = inputs[0], iter(inputs[1:])
        key = []
        for entry in self.idx_list:
            if entry == "i":
                key.append(int(next(idx)))
            else:
                key.append(slice(*[int(next(idx)) if h else None for h in entry[1:]]))
        return [np.asarray(x[tuple(key)])]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        x, indices = inputs[0], inputs[1:]
        # (a gradient has its variable's shape: here the region's)
        gx = IncSubtensor(self.idx_list, set_instead_of_inc=False, fits=True)(T.zeros_like(x), output_grads[0],
                                                                               *indices)
        return [gx] + [None] * len(indices)


class IncSubtensor(Op):
    """A copy of x with x[idx] incremented by (or set to) y, broadcast as numpy does."""

    family = "incsubtensor"
    __props__ = ("idx_list", "set_instead_of_inc", "fits")

    def __init__(self, idx_list, set_instead_of_inc, fits=False):
        # fits: y has the region's shape, not one broadcast to it (the gradient of a
        # slice: rewrite/slice_gradients.py may then join such pieces)
        self.idx_list, self.set_instead_of_inc, self.fits = idx_list, set_instead_of_inc, fits

    def __str__(self):
        return ("SetSubtensor" if self.set_instead_of_inc else "IncSubtensor") + str(Subtensor(self.idx_list))[9:]

    def make_node(self, x, y, *indices):
        x = as_variable(x)
        y = _value_for(self, x, y, Subtensor(self.idx_list).make_node(x, *indices).outputs[0])
        return Apply(self, [x, y, *indices], [x.type])

    def infer_shape(self, node, shapes, values):
        x_shape, y_shape = shapes[0], shapes[1]
        sub_node = Subtensor(self.idx_list).make_node(node.inputs[0], *node.inputs[2:])
        sub_node.trace = node.trace
        (sub_shape,) = Subtensor(self.idx_list).infer_shape(sub_node, [x_shape] + list(shapes[2:]),
                                                            [None] + list(values[2:]))
        _check_region(node, y_shape, sub_shape)
        return [tuple(x_shape)]

    def resolve(self, x_shape, values):
        return _resolve(self.idx_list, x_shape, values)

    def perform(self, node, inputs):
        x, y, idx = inputs[0].copy(), inputs[1], iter(inputs[2:])
        key = tuple(int(next(idx)) if e == "i" else slice(*[int(next(idx)) if h else None for h in e[1:]])
                    for e in self.idx_list)
        if self.set_instead_of_inc:
            x[key] = y
        else:
            x[key] += y
        return [x]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        x, y, indices = inputs[0], inputs[1], inputs[2:]
        (gz,) = output_grads
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.idx_list, True)(gz, T.zeros_like(y), *indices)
        else:
            gx = gz
        gy = Subtensor(self.idx_list)(gz, *indices)
        gy = _sum_to(gy, y)
        return [gx, gy] + [None] * len(indices)


def _value_for(op, x, y, region):
    """The value stored by a set/inc op: at most the region's rank, in x's dtype."""
    y = as_variable(y)
    if y.ndim > region.ndim:
        raise ShapeError(f"{op}: the value has rank {y.ndim}, more than the indexed region's {region.ndim}")
    if y.dtype != x.dtype:
        from ..tensor.basic import cast
        if not np.can_cast(y.dtype, x.dtype, "same_kind") and not (isinstance(y, Constant) and y.weak):
            raise DTypeError(f"{op}: cannot store {y.dtype} values into a {x.dtype} tensor")
        y = cast(y, x.dtype)
    return y


def _check_region(node, y_shape, region_shape):
    """The value must broadcast to the indexed region (statically broadcastable axes only)."""
    y_b = node.inputs[1].broadcastable
    lead = len(region_shape) - len(y_shape)
    for k, n in enumerate(y_shape):
        if n != region_shape[lead + k] and not y_b[k]:
            raise ShapeError(node_message(node, f"{node.op}: a value of shape {tuple(y_shape)} cannot be "
                                                f"broadcast to the indexed region of shape {tuple(region_shape)} "
                                                "(a length-1 axis broadcasts only when its type is broadcastable)"))


def _sum_to(g, like):
    """Sum the gradient of a broadcast value back to the value's rank and pattern."""
    from ..tensor import basic as T
    extra = g.ndim - like.ndim
    if extra:
        g = T.sum(g, axis=tuple(range(extra)))
    axes = [d for d in range(like.ndim) if like.broadcastable[d] and not g.broadcastable[d]]
    if axes:
        g = T.sum(g, axis=axes, keepdims=True)
    if any(gb and not lb for gb, lb in zip(g.broadcastable, like.broadcastable)):
        g = T.second(like, g)
    return T.cast(g, like.dtype) if g.dtype != like.dtype else g


class AdvancedSubtensor(Op):
    """x[v0, ..., v(k-1)] with k integer vectors of equal length m (numpy advanced
    indexing of the first k axes): shape (m,) + x.shape[k:]. x[idx] is k = 1.
    Indices are read on the device; an out-of-range index raises IndexOutOfRange
    after the call, and the call changes nothing."""

    family = "take"
    checks_indices = True
    __props__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __str__(self):
        return f"AdvancedSubtensor{self.k}"

    def make_node(self, x, *indices):
        x = as_variable(x)
        indices = [as_variable(i) for i in indices]
        if len(indices) != self.k or self.k > x.ndim:
            raise IndexError(f"{self}: {len(indices)} index vectors for a variable of rank {x.ndim}")
        for i in indices:
            if i.ndim != 1 or np.dtype(i.dtype).kind not in "iu":
                raise DTypeError(f"{self}: index arrays must be integer vectors, got {i.describe()}")
        return Apply(self, [x, *indices], [TensorType(x.dtype, (False,) + x.broadcastable[self.k:])])

    def infer_shape(self, node, shapes, values):
        lengths = {s[0] for s in shapes[1:]}
        if len(lengths) > 1:
            raise ShapeError(node_message(node, f"{self}: index vectors of different lengths "
                                                f"{[s[0] for s in shapes[1:]]}"))
        return [(lengths.pop(),) + tuple(shapes[0][self.k:])]

    def perform(self, node, inputs):
        return [inputs[0][tuple(inputs[1:])]]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        x, indices = inputs[0], inputs[1:]
        return [AdvancedIncSubtensor(self.k, False)(T.zeros_like(x), output_grads[0], *indices)] + \
            [None] * len(indices)


class AdvancedIncSubtensor(Op):
    """A copy of x with y added at (or stored to) x[v0, ..., v(k-1)]; with repeated
    indices the additions accumulate (numpy's np.add.at), in index order."""

    family = "put"
    checks_indices = True
    __props__ = ("k", "set_instead_of_inc")

    def __init__(self, k, set_instead_of_inc):
        self.k, self.set_instead_of_inc = k, set_instead_of_inc

    def __str__(self):
        return f"Advanced{'Set' if self.set_instead_of_inc else 'Inc'}Subtensor{self.k}"

    def make_node(self, x, y, *indices):
        x = as_variable(x)
        y = _value_for(self, x, y, AdvancedSubtensor(self.k).make_node(x, *indices).outputs[0])
        return Apply(self, [x, y, *indices], [x.type])

    def infer_shape(self, node, shapes, values):
        taken_node = AdvancedSubtensor(self.k).make_node(node.inputs[0], *node.inputs[2:])
        taken_node.trace = node.trace
        (taken,) = AdvancedSubtensor(self.k).infer_shape(taken_node, [shapes[0]] + list(shapes[2:]), values)
        _check_region(node, shapes[1], taken)
        return [tuple(shapes[0])]

    def perform(self, node, inputs):
        x, y, idx = inputs[0].copy(), inputs[1], tuple(inputs[2:])
        if self.set_instead_of_inc:
            x[idx] = y
        else:
            np.add.at(x, idx, y)
        return [x]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        x, y, indices = inputs[0], inputs[1], inputs[2:]
        (gz,) = output_grads
        gx = AdvancedIncSubtensor(self.k, True)(gz, T.zeros_like(y), *indices) if self.set_instead_of_inc else gz
        gy = _sum_to(AdvancedSubtensor(self.k)(gz, *indices), y)
        return [gx, gy] + [None] * len(indices)
