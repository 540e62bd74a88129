"""Pool family: one node of ops/pool.py (Pool, PoolGrad, MaxPoolGradGrad) ->
pool2d.cl.mako parameters and its launch.

The source depends on the kernel ('pool': a work-item per output cell, 'grad': a
work-item per input cell), the mode, the dtypes, the number of leading axes and the
op's window, strides and pads (constants of the op: compiled in, the window loops have
constant trip counts, which PoCL vectorises); every size and stride is an argument, so
one compiled kernel serves every image and batch size. Operands are read through their strides (a
dimshuffled or sliced input needs no copy; a broadcast gz has stride 0)."""
import numpy as np

from ...graph.types import ctype

__all__ = ["PoolKernel"]


class PoolKernel:
    template = "pool2d.cl.mako"
    family = "pool"

    def __init__(self, name, node):
        op, out = node.op, node.outputs[0]
        self.name, self.op = name, op
        x = node.inputs[0]
        if op.kernel == "grad":
            # max: (x, maxout, gz); sum / averages: (x, gz) with x giving only the shape
            names = ["x", "z", "g"] if op.mode == "max" else [None, "g"]
        else:
            names = ["x", "g"] if op.mode == "max_gradgrad" else ["x"]
        self.names = [n for n in names if n]
        self.buffer_inputs = [v for n, v in zip(names, node.inputs) if n]
        self.n_lead = x.ndim - 2
        # the max gradient of windows that tile the image (stride = window, no pad) is
        # one work-item per window, writing its cells: a cell has at most one window
        self.tiled = op.kernel == "grad" and op.mode == "max" and op.stride == op.ws and op.pad == (0, 0)
        # (and where the windows cover the image exactly, a kernel without the leftover cells)
        self.exact = self.tiled and op.ignore_border
        if self.exact:
            self.variants = [name, name + "_exact"]
        self.dtypes = {out.dtype} | {v.dtype for v in self.buffer_inputs}
        self.kwargs = dict(name=name, kernel=op.kernel, mode=op.mode, n_lead=self.n_lead,
                           operands=[(n, ctype(v.dtype)) for n, v in zip(self.names, self.buffer_inputs)],
                           out_ctype=ctype(out.dtype), ws=op.ws, stride=op.stride, pad=op.pad,
                           tiled=self.tiled, inside=op.pad == (0, 0) and op.ignore_border, exact=self.exact)

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        i64 = np.int64
        (out,) = out_arrays
        op = self.op
        # x's shape is the input's: the output's for 'grad', the first operand's else
        x_shape = out.shape if op.kernel == "grad" else in_arrays[0].shape
        pooled = out.shape if op.kernel == "pool" else op.pooled_shape(None, x_shape)
        full = {"x": x_shape, "z": pooled, "g": pooled if op.kernel == "grad" else x_shape}

        def strides(n, arr):  # 0 along an axis the operand broadcasts over
            return [0 if s == 1 and t != 1 else st for s, t, st in zip(arr.shape, full[n], arr.strides)]
        st = {n: strides(n, a) for n, a in zip(self.names, in_arrays)}
        # work-items: one per output cell, per input cell ('grad'), or per window (tiled),
        # as (columns, rows, planes); groups of 8 along a row: PoCL vectorises those
        grid = pooled if op.kernel == "pool" or self.tiled else x_shape
        planes = int(np.prod(grid[:-2], dtype=np.int64))
        gsize = (-(-grid[-1] // 8) * 8, grid[-2], planes)
        if 0 in gsize:
            gsize = (8, 1, 1)  # (nothing to compute: one group that returns at once)
        args = [i64(planes)]
        for d in range(self.n_lead):
            args += [i64(x_shape[d])] + [i64(st[n][d]) for n in self.names]
        args += [i64(v) for v in x_shape[-2:] + pooled[-2:]]
        for n in self.names:
            args += [i64(st[n][-2]), i64(st[n][-1])]
        for a in in_arrays:
            args += [a.buffer, i64(a.offset)]
        args += [out.buffer, i64(out.offset)]
        if self.exact and x_shape[-2] == pooled[-2] * op.ws[0] and x_shape[-1] == pooled[-1] * op.ws[1]:
            return gsize, (8, 1, 1), args, self.name + "_exact"
        return gsize, (8, 1, 1), args, self.name if self.exact else None
