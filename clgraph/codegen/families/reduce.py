"""Reduce family: one Reduce node -> reduce.cl.mako parameters and its launch."""
import numpy as np

from ...graph.types import ctype, literal

__all__ = ["ReduceKernel"]


class ReduceKernel:
    template = "reduce.cl.mako"
    family = "reduce"

    def __init__(self, name, node):
        op = node.op
        x, out = node.inputs[0], node.outputs[0]
        self.name, self.axes, self.ndim = name, op.axes, x.ndim
        self.buffer_inputs = [x]
        acc = out.dtype if op.kind == "sum" else x.dtype
        is_float = np.dtype(acc).kind == "f"
        if op.kind == "sum":
            neutral = literal(0, acc)
        elif is_float:
            neutral = literal(-np.inf if op.kind == "max" else np.inf, acc)
        elif acc == "bool":
            neutral = "0" if op.kind == "max" else "1"
        else:
            info = np.iinfo(acc)
            neutral = literal(info.min if op.kind == "max" else info.max, acc)
        self.kwargs = dict(name=name, in_ctype=ctype(x.dtype), out_ctype=ctype(out.dtype), acc_ctype=ctype(acc),
                           kind=op.kind, n_keep=x.ndim - len(op.axes), n_red=len(op.axes), neutral=neutral,
                           is_float=is_float)
        self.dtypes = {x.dtype, out.dtype, acc}

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        (x,), (out,) = in_arrays, out_arrays
        shape = out.shape
        i64 = np.int64
        keep = [a for a in range(self.ndim) if a not in self.axes]
        n = int(np.prod(shape, dtype=np.int64))
        args = [i64(n)]
        for a in keep:
            args += [i64(x.shape[a]), i64(x.strides[a])]
        for a in self.axes:
            args += [i64(x.shape[a]), i64(x.strides[a])]
        args += [x.buffer, i64(x.offset), out.buffer, i64(out.offset)]
        return n, None, args
