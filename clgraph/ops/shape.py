"""Views that change how a buffer is indexed without copying it."""
import numpy as np

from ..errors import ShapeError, node_message
from ..graph.basic import Apply
from ..graph.layout import contiguous_strides
from ..graph.types import TensorType
from .base import Op

__all__ = ["DimShuffle", "Shape", "MakeVector", "Reshape", "is_contiguous"]


def is_contiguous(var):
    """Known when the graph is built: inputs, shared variables and kernel results are
    contiguous; a view keeps them so when it keeps the element order."""
    node = var.owner
    if node is None or not node.op.view:
        return True
    return node.op.keeps_order and is_contiguous(node.inputs[0])


class DimShuffle(Op):
    """Reorder axes, add broadcastable axes ('x'), drop broadcastable axes, as Theano's
    `x.dimshuffle(...)`. A view: no kernel, the strides say how to read the buffer.
    `implicit` marks the padding that Elemwise inserts to align ranks (for messages)."""

    view = True
    host_evaluable = True
    __props__ = ("input_broadcastable", "new_order")

    def __init__(self, input_broadcastable, new_order, implicit=False, drop_any=False):
        self.input_broadcastable = tuple(input_broadcastable)
        self.new_order = tuple(new_order)
        self.implicit = implicit
        kept = [a for a in self.new_order if a != "x"]
        if len(set(kept)) != len(kept) or any(not 0 <= a < len(self.input_broadcastable) for a in kept):
            raise ValueError(f"dimshuffle{self.new_order}: invalid pattern for an input of rank "
                             f"{len(self.input_broadcastable)}")
        self.dropped = tuple(a for a in range(len(self.input_broadcastable)) if a not in kept)
        for a in self.dropped:
            if not self.input_broadcastable[a] and not drop_any:
                raise ValueError(f"dimshuffle{self.new_order}: axis {a} is dropped but is not broadcastable "
                                 f"(input pattern {self.input_broadcastable})")

    def __str__(self):
        return "DimShuffle{" + ",".join(map(str, self.new_order)) + "}"

    @property
    def keeps_order(self):
        """True when the view of a contiguous buffer is contiguous too."""
        kept = [a for a in self.new_order if a != "x"]
        return kept == sorted(kept)

    def make_node(self, x):
        if x.broadcastable != self.input_broadcastable:
            raise TypeError(f"{self}: input pattern {x.broadcastable} != {self.input_broadcastable}")
        bcast = [True if a == "x" else x.broadcastable[a] for a in self.new_order]
        return Apply(self, [x], [TensorType(x.dtype, bcast)])

    def perform(self, node, inputs):
        (x,) = inputs
        kept = [a for a in self.new_order if a != "x"]
        y = x.reshape([n for a, n in enumerate(x.shape) if a not in self.dropped]) if self.dropped else x
        rank = {a: i for i, a in enumerate(a for a in range(x.ndim) if a not in self.dropped)}
        y = y.transpose([rank[a] for a in kept])
        return [y.reshape([1 if a == "x" else x.shape[a] for a in self.new_order])]

    def infer_shape(self, node, shapes, values=None):
        (shape,) = shapes
        for a in self.dropped:
            if shape[a] != 1:
                raise ShapeError(node_message(node, f"{self}: axis {a} of an input of shape {shape} is dropped "
                                                    "but its length is not 1"))
        return [tuple(1 if a == "x" else shape[a] for a in self.new_order)]

    def view_of(self, shape, strides, offset, values):
        """(shape, strides, offset) in elements of the view of an input laid out so."""
        out_shape = tuple(1 if a == "x" else shape[a] for a in self.new_order)
        out_strides = tuple(0 if a == "x" else strides[a] for a in self.new_order)
        return out_shape, out_strides, offset

    def grad(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        order = [self.new_order.index(a) if a in self.new_order else "x" for a in range(x.ndim)]
        op = DimShuffle(gz.broadcastable, order, drop_any=True)
        g = op(gz)
        if g.broadcastable != x.broadcastable:
            from ..tensor import basic as T
            g = T.second(x, g) if any(gb and not xb for gb, xb in zip(g.broadcastable, x.broadcastable)) else g
        return [g]


class Shape(Op):
    """x.shape: an int64 vector known on the host before any kernel runs, so ops that
    take sizes (alloc, reshape, random streams) can use symbolic shapes."""

    host_only = True

    def make_node(self, x):
        from ..graph.types import TensorType
        return Apply(self, [x], [TensorType("int64", (False,))])

    def perform(self, node, inputs):
        return [np.asarray(np.shape(inputs[0]), dtype=np.int64)]

    def host_value(self, node, shapes):
        return [np.asarray(shapes[0], dtype=np.int64)]

    def infer_shape(self, node, shapes, values=None):
        return [(len(shapes[0]),)]


class MakeVector(Op):
    """A vector from scalars (T.stack of scalars), used to build shapes."""

    host_evaluable = True
    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, *scalars):
        from ..graph.basic import as_variable
        scalars = [as_variable(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise TypeError(f"MakeVector takes scalars, got {s.describe()}")
        return Apply(self, scalars, [TensorType(self.dtype, (False,))])

    def perform(self, node, inputs):
        return [np.asarray([np.asarray(v).item() for v in inputs], dtype=self.dtype)]

    def infer_shape(self, node, shapes, values=None):
        return [(len(node.inputs),)]


class Reshape(Op):
    """x.reshape(shape): a view of a contiguous x (T.reshape copies a strided x first).
    The shape is an int64 vector known on the host; one entry may be -1."""

    view = True
    keeps_order = True
    host_evaluable = True
    __props__ = ("ndim",)

    def __init__(self, ndim):
        self.ndim = ndim

    def __str__(self):
        return f"Reshape{{{self.ndim}}}"

    def make_node(self, x, shape, broadcastable=None):
        bcast = broadcastable if broadcastable is not None else (False,) * self.ndim
        return Apply(self, [x, shape], [TensorType(x.dtype, bcast)])

    def _target(self, node, in_shape, target):
        size = int(np.prod(in_shape, dtype=np.int64))
        target = [int(t) for t in target]
        if len(target) != self.ndim:
            raise ShapeError(node_message(node, f"{self}: got a shape of length {len(target)}"))
        if target.count(-1) > 1:
            raise ShapeError(node_message(node, f"{self}: only one dimension can be -1, got {tuple(target)}"))
        if -1 in target:
            known = int(np.prod([t for t in target if t != -1], dtype=np.int64))
            if known == 0 or size % known:
                raise ShapeError(node_message(node, f"{self}: cannot reshape an array of shape {tuple(in_shape)} "
                                                    f"into shape {tuple(target)}"))
            target[target.index(-1)] = size // known
        if int(np.prod(target, dtype=np.int64)) != size or any(t < 0 for t in target):
            raise ShapeError(node_message(node, f"{self}: cannot reshape an array of shape {tuple(in_shape)} "
                                                f"(size {size}) into shape {tuple(target)}"))
        for k, (b, t) in enumerate(zip(node.outputs[0].broadcastable if node else (), target)):
            if b and t != 1:
                raise ShapeError(node_message(node, f"{self}: axis {k} is broadcastable but has length {t}"))
        return tuple(target)

    def infer_shape(self, node, shapes, values):
        if values[1] is None:
            raise ShapeError(node_message(node, f"{self}: the new shape must be known before the call runs "
                                                "(Python ints, integer scalar inputs, or computed from shapes)"))
        return [self._target(node, shapes[0], values[1])]

    def view_of(self, shape, strides, offset, values):
        target = self._target(None, shape, values[1])
        return target, contiguous_strides(target), offset

    def perform(self, node, inputs):
        return [np.reshape(inputs[0], [int(t) for t in inputs[1]])]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor.shape import reshape
        x = inputs[0]
        return [reshape(output_grads[0], x.shape, ndim=x.ndim, broadcastable=x.broadcastable), None]
