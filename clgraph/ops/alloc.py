"""Tensors made from sizes known on the host: alloc (a value broadcast to a shape,
which also gives zeros and ones) and arange. Both render through the elemwise
template: their kernel is an elementwise loop whose size comes from the shape."""
import numpy as np

from ..errors import ShapeError, node_message
from ..graph.basic import Apply, Constant, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Alloc", "ARange"]


def _static_ones(shape_var, ndim):
    """Which entries of a shape vector are the constant 1 (broadcastable axes)."""
    if isinstance(shape_var, Constant):
        return tuple(bool(s == 1) for s in shape_var.data)
    node = shape_var.owner
    if node is not None and type(node.op).__name__ == "MakeVector":
        return tuple(isinstance(i, Constant) and i.data.item() == 1 for i in node.inputs)
    return (False,) * ndim


def _need(node, values, what):
    if any(v is None for v in values):
        raise ShapeError(node_message(node, f"{node.op}: {what} must be known before the call runs (Python "
                                            "numbers, integer scalar inputs, or computed from shapes)"))


class Alloc(Op):
    """`value` broadcast to `shape`: T.alloc(value, *shape), T.zeros, T.ones."""

    family = "alloc"
    __props__ = ("ndim",)

    def __init__(self, ndim):
        self.ndim = ndim

    def make_node(self, value, shape):
        from ..tensor.basic import dimshuffle
        value = as_variable(value)
        if value.ndim > self.ndim:
            raise ShapeError(f"alloc: a value of rank {value.ndim} cannot fill a tensor of rank {self.ndim}")
        if value.ndim < self.ndim:
            value = dimshuffle(value, *(["x"] * (self.ndim - value.ndim) + list(range(value.ndim))))
        bcast = _static_ones(shape, self.ndim)
        return Apply(self, [value, shape], [TensorType(value.dtype, bcast)])

    def infer_shape(self, node, shapes, values):
        _need(node, values[1:], "the shape")
        target = tuple(int(s) for s in values[1])
        for axis, (n, b, t) in enumerate(zip(shapes[0], node.inputs[0].broadcastable, target)):
            if n != t and not b:
                raise ShapeError(node_message(node, f"alloc: a value of shape {tuple(shapes[0])} cannot be "
                                                    f"broadcast to {target} (axis {axis})"))
        if any(t < 0 for t in target):
            raise ShapeError(node_message(node, f"alloc: negative dimensions in {target}"))
        return [target]

    def perform(self, node, inputs):
        return [np.broadcast_to(inputs[0], [int(s) for s in inputs[1]]).copy()]

    def grad(self, inputs, outputs, output_grads):
        from .subtensor import _sum_to
        return [_sum_to(output_grads[0], inputs[0]), None]


class ARange(Op):
    """arange(start, stop, step) with bounds known on the host (numpy's dtype rules)."""

    family = "arange"
    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, start, stop, step):
        return Apply(self, [as_variable(start), as_variable(stop), as_variable(step)],
                     [TensorType(self.dtype, (False,))])

    def infer_shape(self, node, shapes, values):
        _need(node, values, "arange's start, stop and step")
        if values[2].item() == 0:
            raise ShapeError(node_message(node, "arange: step must not be zero"))
        return [(len(np.arange(values[0].item(), values[1].item(), values[2].item())),)]

    def perform(self, node, inputs):
        return [np.arange(inputs[0].item(), inputs[1].item(), inputs[2].item()).astype(self.dtype)]

    def grad(self, inputs, outputs, output_grads):
        return [None, None, None]
