"""Elemwise: a ScalarOp applied to every element, with numpy broadcasting and dtype
promotion. Broadcasting is static, as in Theano: an axis of length 1 broadcasts only
when its type says it is broadcastable (T.row, dimshuffle('x', ...), a Python number).
A connected region of Elemwise nodes is rendered as one kernel by the fusion planner."""
import numpy as np

from ..errors import DTypeError, ShapeError, node_message
from ..graph import trace as _trace
from ..graph.basic import Apply, Constant, as_variable
from ..graph.types import TensorType
from .base import Op
from .shape import DimShuffle

__all__ = ["Elemwise"]


def _dummy(var, all_weak=False):
    """What decides numpy's result dtype: the Python value for a weak constant (NEP 50),
    a 0-d array otherwise. Among weak constants only, a float one that has already
    taken a dtype keeps it: the exponent of x ** 2's gradient, 2 - 1 with the 2 taken
    as float32 from x, stays float32 (as a Python float it would be float64, and the
    whole gradient would run in double)."""
    if isinstance(var, Constant) and var.weak:
        if all_weak and np.dtype(var.dtype).kind == "f":
            return np.zeros((), var.dtype)
        return var.data.item()
    return np.zeros((), var.dtype)


def user_shape(var, shape):
    """The shape the user sees for an operand padded to a higher rank by make_node."""
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.op.implicit:
        return shape[len(shape) - node.inputs[0].ndim:]
    return shape


class Elemwise(Op):
    family = "elemwise"
    host_evaluable = True
    __props__ = ("scalar_op",)

    def __init__(self, scalar_op):
        self.scalar_op = scalar_op

    def __str__(self):
        return self.scalar_op.name

    def make_node(self, *inputs):
        sop = self.scalar_op
        if len(inputs) != sop.nin:
            raise TypeError(f"{sop.name} takes {sop.nin} inputs, got {len(inputs)}")
        inputs = [as_variable(i) for i in inputs]
        all_weak = all(isinstance(v, Constant) and v.weak for v in inputs)
        args = [_dummy(v, all_weak) for v in inputs]
        where = _trace.capture()
        described = ", ".join(v.dtype + (" (Python number)" if isinstance(v, Constant) and v.weak else "")
                              for v in inputs)
        try:
            out_dtype = sop.output_dtype(args)
        except (TypeError, ValueError, OverflowError) as exc:
            raise DTypeError(f"{sop.name} is not defined for dtypes {described}: {exc}\n  created at {where}"
                             if where else f"{sop.name} is not defined for dtypes {described}: {exc}") from None
        compute = sop.compute_dtype(args, out_dtype)
        in_dtypes = [compute if isinstance(v, Constant) and v.weak else v.dtype for v in inputs]
        casts = sop.input_casts(in_dtypes, compute)
        if sop.expression(np.dtype(compute).kind) is None:
            raise DTypeError(node_message(_Where(where),
                                          f"{sop.name} is not implemented for dtype {compute} (inputs: {described})"))
        # Weak Python numbers take the dtype they are computed in.
        inputs = [_fix_weak(v, t) for v, t in zip(inputs, casts)]
        ndim = max(v.ndim for v in inputs)
        inputs = [_pad(v, ndim) for v in inputs]
        bcast = tuple(all(v.broadcastable[d] for v in inputs) for d in range(ndim))
        return Apply(self, inputs, [TensorType(out_dtype, bcast)], trace=where)

    def perform(self, node, inputs):
        with np.errstate(all="ignore"):
            out = np.asarray(self.scalar_op.ref(*inputs))
        return [out.astype(node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        ndim = node.outputs[0].ndim
        out = []
        for d in range(ndim):
            sizes = {s[d] for v, s in zip(node.inputs, shapes) if not v.broadcastable[d]}
            if len(sizes) > 1:
                shown = " and ".join(str(tuple(user_shape(v, s))) for v, s in zip(node.inputs, shapes))
                hint = ""
                if 1 in sizes:
                    hint = (" (a length-1 axis broadcasts only when its type is broadcastable: "
                            "use a row/col type or dimshuffle('x', ...))")
                raise ShapeError(node_message(node, f"{self}: shapes {shown} do not broadcast together; "
                                                    f"axis {d - ndim} has lengths {sorted(sizes)}{hint}"))
            out.append(sizes.pop() if sizes else 1)
        return [tuple(out)]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        gz = output_grads[0]
        grads = self.scalar_op.grad(inputs, outputs[0], gz)
        result = []
        for x, g in zip(inputs, grads):
            if g is None or np.dtype(x.dtype).kind != "f":
                result.append(None)
                continue
            g = as_variable(g)
            axes = [d for d in range(x.ndim) if x.broadcastable[d] and not g.broadcastable[d]]
            if axes:
                g = T.sum(g, axis=axes, keepdims=True)
            if g.dtype != x.dtype:
                g = T.cast(g, x.dtype)
            if any(gb and not xb for gb, xb in zip(g.broadcastable, x.broadcastable)):
                g = T.second(x, g)  # a gradient that is constant along an axis of x
            result.append(g)
        return result


class _Where:
    """Adapter so node_message can print a captured trace."""

    def __init__(self, trace):
        self.trace = trace


def _fix_weak(var, dtype):
    if isinstance(var, Constant) and var.weak and var.dtype != dtype:
        value = var.data.item()
        data = np.asarray(value).astype(dtype)
        if np.dtype(dtype).kind in "iu" and data.item() != value:
            raise DTypeError(f"Python integer {value} does not fit in {dtype}")
        return Constant(TensorType(dtype, var.broadcastable), data, weak=True)
    return var


def _pad(var, ndim):
    if var.ndim == ndim:
        return var
    if isinstance(var, Constant):  # constants are reshaped, so they stay literals
        shape = (1,) * (ndim - var.ndim) + var.data.shape
        bcast = (True,) * (ndim - var.ndim) + var.broadcastable
        return Constant(TensorType(var.dtype, bcast), var.data.reshape(shape), name=var.name, weak=var.weak)
    pattern = ["x"] * (ndim - var.ndim) + list(range(var.ndim))
    return DimShuffle(var.broadcastable, pattern, implicit=True)(var)
