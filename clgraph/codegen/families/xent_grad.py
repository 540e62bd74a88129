"""xent_grad family: the fused softmax cross-entropy gradient (ops/xent_grad.py) ->
xent_grad.cl.mako parameters and its launch.

As the softmax family: one work-item per row of the last axis, the leading axes
unravelled in the kernel, every input read through its strides."""
import numpy as np

from ...graph.types import ctype

__all__ = ["XentGradKernel"]


class XentGradKernel:
    template = "xent_grad.cl.mako"
    family = "xent_grad"

    def __init__(self, name, node):
        gz, x, y = node.inputs
        out = node.outputs[0]
        self.name = name
        self.buffer_inputs = [gz, x, y]
        self.n_lead = x.ndim - 1
        self.kwargs = dict(name=name, n_lead=self.n_lead, acc_ctype=ctype(x.dtype), g_ctype=ctype(gz.dtype),
                           x_ctype=ctype(x.dtype), y_ctype=ctype(y.dtype), out_ctype=ctype(out.dtype))
        self.dtypes = {gz.dtype, x.dtype, y.dtype, out.dtype}

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        i64 = np.int64
        gz, x, y = in_arrays
        (out,) = out_arrays
        lead, ncol = x.shape[:-1], x.shape[-1]
        n_rows = int(np.prod(lead, dtype=np.int64))
        args = [i64(n_rows)]
        for d in range(self.n_lead):
            args += [i64(lead[d]), i64(gz.strides[d]), i64(x.strides[d]), i64(y.strides[d])]
        args += [i64(ncol), gz.buffer, i64(gz.offset), i64(x.strides[-1]), x.buffer, i64(x.offset),
                 y.buffer, i64(y.offset), out.buffer, i64(out.offset)]
        return n_rows, None, args
