"""Reductions over a set of axes (sum, max, min), rendered by the reduce template."""
import numpy as np

from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Reduce", "REDUCERS"]

# kind -> (numpy function, neutral element name understood by the template)
REDUCERS = {"sum": np.sum, "max": np.max, "min": np.min}


class Reduce(Op):
    family = "reduce"
    host_evaluable = True
    __props__ = ("kind", "axes", "acc_dtype")

    def __init__(self, kind, axes, acc_dtype=None):
        if kind not in REDUCERS:
            raise ValueError(f"unknown reduction {kind!r}")
        self.kind, self.axes, self.acc_dtype = kind, tuple(sorted(axes)), acc_dtype

    def __str__(self):
        return f"{self.kind}{{{','.join(map(str, self.axes))}}}"

    def make_node(self, x):
        x = as_variable(x)
        if self.kind == "sum":
            dtype = self.acc_dtype or np.sum(np.zeros(1, x.dtype)).dtype.name
        else:
            dtype = x.dtype
        bcast = [b for a, b in enumerate(x.broadcastable) if a not in self.axes]
        return Apply(self, [x], [TensorType(dtype, bcast)])

    def perform(self, node, inputs):
        out = REDUCERS[self.kind](inputs[0], axis=self.axes)
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        from ..errors import ShapeError, node_message
        shape = shapes[0]
        if self.kind != "sum" and any(shape[a] == 0 for a in self.axes):
            raise ShapeError(node_message(node, f"{self}: cannot take the {self.kind} over an empty axis "
                                                f"(input shape {shape})"))
        return [tuple(n for a, n in enumerate(shape) if a not in self.axes)]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        (x,), (z,), (gz,) = inputs, outputs, output_grads
        if np.dtype(x.dtype).kind != "f":
            return [None]
        pattern, k = [], 0
        for a in range(x.ndim):
            if a in self.axes:
                pattern.append("x")
            else:
                pattern.append(k)
                k += 1
        gz_b = gz.dimshuffle(*pattern)
        if self.kind == "sum":
            return [T.cast(T.second(x, gz_b), x.dtype)]
        # max/min: the gradient goes to the elements equal to the extremum
        hit = T.cast(T.eq(x, z.dimshuffle(*pattern)), x.dtype)
        return [T.cast(gz_b * hit, x.dtype)]
