"""Join family: concatenate -> join.cl.mako."""
import numpy as np

from ...graph.types import ctype

__all__ = ["JoinKernel"]


class JoinKernel:
    template = "join.cl.mako"
    family = "join"

    def __init__(self, name, node):
        out = node.outputs[0]
        self.name, self.axis = name, node.op.axis
        self.buffer_inputs = node.inputs
        self.dtypes = {out.dtype}
        self.kwargs = dict(name=name, ctype=ctype(out.dtype), ndim=out.ndim, axis=self.axis,
                           n_inputs=len(node.inputs))

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        (out,) = out_arrays
        i64 = np.int64
        args = [i64(out.size)] + [i64(s) for s in out.shape]
        bound = 0
        for arr in in_arrays:
            bound += arr.shape[self.axis]
            args += [arr.buffer, i64(arr.offset), i64(bound)]
            args += [i64(0 if n == 1 else s) for n, s in zip(arr.shape, arr.strides)]
        args += [out.buffer, i64(out.offset)]
        return out.size, None, args
