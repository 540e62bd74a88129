"""Reductions over a set of axes (sum, mean, prod, max, min, argmax, argmin), rendered
by the reduce template, which also computes an elementwise prologue in the same pass."""
import numpy as np

from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Reduce", "REDUCERS"]

# kind -> numpy reference
REDUCERS = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
            "argmax": None, "argmin": None}


def _arg_reference(kind, x, axes):
    """Flat index within the reduced axes (C order), numpy's argmax for one axis."""
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes)).reshape([x.shape[a] for a in keep] + [-1])
    return (np.argmax if kind == "argmax" else np.argmin)(moved, axis=-1)


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

    def acc_dtype_of(self, dtype):
        """The dtype the kernel accumulates in (numpy's result dtype, or acc_dtype)."""
        if self.kind in ("argmax", "argmin", "max", "min"):
            return dtype
        if self.acc_dtype:
            return self.acc_dtype
        return np.asarray(REDUCERS[self.kind](np.zeros(1, dtype))).dtype.name

    def make_node(self, x):
        x = as_variable(x)
        if self.kind in ("argmax", "argmin"):
            dtype = "int64"
        elif self.kind == "mean" and np.dtype(x.dtype).kind in "iub":
            dtype = self.acc_dtype or "float64"  # (mean(dtype='float32') of a bool vector: float32)
        else:
            dtype = self.acc_dtype_of(x.dtype)
        bcast = [b for a, b in enumerate(x.broadcastable) if a not in self.axes]
        return Apply(self, [x], [TensorType(dtype, bcast)])

    def perform(self, node, inputs):
        if self.kind in ("argmax", "argmin"):
            out = _arg_reference(self.kind, inputs[0], self.axes)
        else:
            out = REDUCERS[self.kind](inputs[0], axis=self.axes)
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        from ..errors import ShapeError, node_message
        shape = shapes[0]
        if self.kind not in ("sum", "prod", "mean") and any(shape[a] == 0 for a in self.axes):
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
        if self.kind in ("argmax", "argmin"):
            return [None]
        if self.kind == "sum":
            return [T.cast(T.second(x, gz_b), x.dtype)]
        if self.kind == "mean":
            count = T.cast(_reduced_count(x, self.axes), x.dtype)
            return [T.cast(T.second(x, gz_b) / count, x.dtype)]
        if self.kind == "prod":
            return [T.cast(_prod_grad(x, z.dimshuffle(*pattern), gz_b, self.axes, pattern), x.dtype)]
        # max/min: the gradient goes to the elements equal to the extremum
        hit = T.cast(T.eq(x, z.dimshuffle(*pattern)), x.dtype)
        return [T.cast(gz_b * hit, x.dtype)]


def _reduced_count(x, axes):
    """The number of elements each output reduces over (known on the host)."""
    from ..tensor import basic as T
    count = 1
    for a in axes:
        count = T.mul(count, x.shape[a])
    return count


def _prod_grad(x, prod_b, gz_b, axes, pattern):
    """d prod / d x_i = prod of the others: prod / x_i when no element is zero; where
    exactly one is zero, only that element gets the product of the rest; else 0."""
    from ..tensor import basic as T
    zero = T.eq(x, 0)
    n_zero = T.sum(T.cast(zero, "int64"), axis=axes, keepdims=True)
    prod_others = T.dimshuffle(T.prod(T.switch(zero, 1, x), axis=axes), *pattern)
    safe_x = T.switch(zero, 1, x)
    g = T.switch(T.eq(n_zero, 0), prod_b / safe_x, T.switch(T.eq(n_zero, 1) & zero, prod_others, 0))
    return gz_b * g
