"""Conv family: the im2col and col2im data movements of ops/conv.py -> conv2d.cl.mako.

Filter size, padding, strides, dilation and image size are kernel arguments read from
host values (x.shape, w.shape), so one kernel serves every size; only the dtype, the
direction and the filter flip are compiled in. The matrix product between them is
the GEMM family's (with its epilogue)."""
import numpy as np

from ...graph.types import ctype
from ...ops.conv import Im2Col

__all__ = ["ConvKernel"]

i64 = np.int64


class ConvKernel:
    template = "conv2d.cl.mako"
    family = "conv"
    needs_values = True  # launch() gets the filter (and image) shape

    def __init__(self, name, node):
        self.name, self.op = name, node.op
        self.mode = "im2col" if isinstance(node.op, Im2Col) else "col2im"
        src = node.inputs[0]
        self.buffer_inputs = [src]
        self.dtypes = {src.dtype}
        self.kwargs = dict(name=name, mode=self.mode, ctype=ctype(src.dtype), flip=self.op.geometry.flip)
        self.arg_dtypes = [i64] * 18 + [None, i64, None, i64]

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays, values):
        geo = self.op.geometry
        (src,), (out,) = in_arrays, out_arrays
        fshape = [int(s) for s in values[-1]]
        _, c, kh, kw = fshape
        if self.mode == "im2col":
            x, cols = src, out
        else:
            x, cols = out, src
        n, _, h, w = x.shape
        oh, ow = cols.shape[2:]
        (ph, pw), (sh, sw), (dh, dw) = geo.pads((kh, kw)), geo.subsample, geo.dilation
        args = [i64(v) for v in (c, kh, kw, n, oh, ow, h, w, sh, sw, dh, dw, ph, pw)]
        args += [i64(s) for s in src.strides]
        args += [src.buffer, i64(src.offset), out.buffer, i64(out.offset)]
        size = c * kh * kw * n if self.mode == "im2col" else n * c * h
        return int(size), None, args
