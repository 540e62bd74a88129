"""Reduce family: one Reduce node, with the elementwise group that computes its input
fused in as a prologue (sum(x ** 2) is one pass) -> reduce.cl.mako parameters, and
the launch for concrete operands."""
import numpy as np

from ...graph.types import ctype, literal
from ...ops.shape import is_contiguous
from .elemwise import build_body, vector_width

__all__ = ["ReduceKernel"]

ARG_KINDS = ("argmax", "argmin")


def _neutral(kind, dtype):
    is_float = np.dtype(dtype).kind == "f"
    if kind in ("sum", "mean"):
        return literal(0, dtype)
    if kind == "prod":
        return literal(1, dtype)
    big = kind in ("max", "argmax")
    if is_float:
        return literal(-np.inf if big else np.inf, dtype)
    if dtype == "bool":
        return "0" if big else "1"
    info = np.iinfo(dtype)
    return literal(info.min if big else info.max, dtype)


class ReduceKernel:
    template = "reduce.cl.mako"
    family = "reduce"

    def __init__(self, name, node, prologue=(), prologue_inputs=None):
        op = node.op
        x, out = node.inputs[0], node.outputs[0]
        self.name, self.ndim = name, x.ndim
        self.red = list(op.axes)
        self.keep = [a for a in range(x.ndim) if a not in self.red]
        last = x.ndim - 1

        def access(v):
            if x.ndim and v.broadcastable[last] and v.ndim == x.ndim:
                return "splat"  # constant along the last axis
            if x.ndim and v.ndim == x.ndim and is_contiguous(v):
                return "vec"  # unit stride along the last axis
            return "strided"
        inputs = prologue_inputs if prologue else [x]
        self.operands, consts, stmts, names = build_body(list(prologue), inputs, access)
        self.buffer_inputs = [a.variable for a in self.operands]
        result = names[x]
        acc = op.acc_dtype_of(x.dtype)
        width = vector_width(self.operands, consts, stmts)
        along_last = all(a.access in ("vec", "splat") for a in self.operands) and x.ndim > 0
        if width > 1 and along_last and op.kind not in ARG_KINDS and acc == x.dtype:
            self.variant = "inner" if last in self.red else "outer"
        else:
            self.variant, width = "general", 1
        self.width = width
        # independent accumulators per work-item: enough to hide the add latency
        self.unroll = {"inner": 4, "outer": 2}.get(self.variant, 1)
        self.dtypes = {a.dtype for a in self.operands} | {k.dtype for k in consts} | \
            {s.out_dtype for s in stmts} | {s.compute for s in stmts} | {acc, out.dtype}
        self.kwargs = dict(name=name, variant=self.variant, width=width, unroll=self.unroll, ndim=x.ndim, keep=self.keep, red=self.red,
                           inputs=self.operands, consts=consts, stmts=stmts, result=result, kind=op.kind,
                           acc_ctype=ctype(acc), out_ctype=ctype(out.dtype), neutral=_neutral(op.kind, acc),
                           is_float=np.dtype(acc).kind == "f")

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        (out,) = out_arrays
        i64 = np.int64
        # the iteration space is the reduced input's shape: the widest operand's
        shape = _loop_shape(in_arrays, self.ndim, out.shape, self.keep)
        n = out.size
        if self.variant == "outer":
            rows = n // shape[-1] if shape[-1] else 0
            n = rows * (-(-shape[-1] // (self.width * self.unroll)))
        args = [i64(n)] + [i64(s) for s in shape]
        for arr in in_arrays:
            args += [arr.buffer, i64(arr.offset)]
            strides = [0 if size == 1 else st for size, st in zip(arr.shape, arr.strides)]
            args += [i64(s) for s in [0] * (self.ndim - len(strides)) + strides]
        args += [out.buffer, i64(out.offset)]
        return n, None, args


def _loop_shape(in_arrays, ndim, out_shape, keep):
    shape = [1] * ndim
    for arr in in_arrays:
        lead = ndim - len(arr.shape)
        for d, size in enumerate(arr.shape):
            if size != 1:
                shape[lead + d] = size
    for k, d in enumerate(keep):  # kept axes of length 1 in every operand
        shape[d] = out_shape[k]
    return shape
