"""concatenate: one kernel writes the output, each element read from the input that
covers its position along the axis (inputs are read through their strides)."""
import numpy as np

from ..errors import DTypeError, ShapeError, node_message
from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Join"]


class Join(Op):
    family = "join"
    __props__ = ("axis", "n")

    def __init__(self, axis, n):
        self.axis, self.n = axis, n

    def __str__(self):
        return f"Join{{axis={self.axis}}}"

    def make_node(self, *tensors):
        from ..tensor.basic import cast
        tensors = [as_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if any(t.ndim != ndim for t in tensors) or not 0 <= self.axis < ndim:
            raise ShapeError(f"concatenate: all inputs need the same rank and axis {self.axis} must exist; "
                             f"ranks {[t.ndim for t in tensors]}")
        try:
            dtype = np.result_type(*[t.dtype for t in tensors]).name
        except TypeError as exc:
            raise DTypeError(f"concatenate: {exc}") from None
        tensors = [cast(t, dtype) for t in tensors]
        bcast = [all(t.broadcastable[d] for t in tensors) if d != self.axis else False for d in range(ndim)]
        if len(tensors) == 1:
            bcast[self.axis] = tensors[0].broadcastable[self.axis]
        return Apply(self, tensors, [TensorType(dtype, bcast)])

    def infer_shape(self, node, shapes, values):
        first = shapes[0]
        for s in shapes[1:]:
            if any(a != b for d, (a, b) in enumerate(zip(first, s)) if d != self.axis):
                raise ShapeError(node_message(node, f"concatenate: shapes {[tuple(s) for s in shapes]} differ "
                                                    f"outside axis {self.axis}"))
        out = list(first)
        out[self.axis] = sum(s[self.axis] for s in shapes)
        return [tuple(out)]

    def perform(self, node, inputs):
        return [np.concatenate(inputs, axis=self.axis)]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor.basic import add
        (gz,) = output_grads
        grads, start = [], 0
        for x in inputs:
            stop = add(start, x.shape[self.axis])  # known on the host: a slice, no copy
            key = (slice(None),) * self.axis + (slice(start, stop),)
            grads.append(gz[key])
            start = stop
        return grads
