"""Drivers for indexing kernels: incsubtensor (set/inc of a basic-indexed region),
take (gather by integer vectors), put (scatter by integer vectors, accumulating)."""
import numpy as np

from ...graph.types import ctype

__all__ = ["IncSubtensorKernel", "TakeKernel", "PutKernel"]

i64 = np.int64


def _aligned_strides(arr, ndim):
    """Strides of `arr` right-aligned to `ndim` axes, 0 where it broadcasts."""
    strides = [0 if n == 1 else s for n, s in zip(arr.shape, arr.strides)]
    return [0] * (ndim - len(strides)) + strides


class IncSubtensorKernel:
    template = "incsubtensor.cl.mako"
    family = "incsubtensor"

    def __init__(self, name, node):
        op, x = node.op, node.inputs[0]
        self.name, self.node = name, node
        self.buffer_inputs = node.inputs[:2]
        self.kinds = []
        for entry in op.idx_list:
            self.kinds.append("i" if entry == "i" else "full" if entry == ("s", False, False, False)
                              else "s" if entry[3] else "u")
        self.kinds += ["full"] * (x.ndim - len(self.kinds))
        self.dtypes = {x.dtype}
        self.kwargs = dict(name=name, ctype=ctype(x.dtype), ndim=x.ndim, kinds=self.kinds,
                           y_ndim=node.inputs[1].ndim, set_instead_of_inc=op.set_instead_of_inc)
        self.needs_values = True  # launch() gets the host values of the node's inputs

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays, values):
        x, y = in_arrays
        (out,) = out_arrays
        resolved = self.node.op.resolve(x.shape, values[2:])
        n = out.size
        args = [i64(n)]
        for d, (kind, (_, start, step, count)) in enumerate(zip(self.kinds, resolved)):
            args += [i64(x.shape[d]), i64(x.strides[d])]
            if kind != "full":
                args.append(i64(start))
            if kind == "s":
                args.append(i64(step))
            if kind in ("s", "u"):
                args.append(i64(count))
        kept = sum(1 for k in self.kinds if k != "i")
        args += [i64(s) for s in _aligned_strides(y, kept)]
        args += [x.buffer, i64(x.offset), y.buffer, i64(y.offset), out.buffer, i64(out.offset)]
        if not x.shape:
            return n, None, args
        last = x.shape[-1]
        return (last, n // last if last else 0), None, args


class TakeKernel:
    template = "take.cl.mako"
    family = "take"
    checks_indices = True

    def __init__(self, name, node):
        x, indices = node.inputs[0], node.inputs[1:]
        self.name, self.k = name, node.op.k
        self.rest = x.ndim - self.k
        self.buffer_inputs = node.inputs
        self.dtypes = {x.dtype}
        self.kwargs = dict(name=name, ctype=ctype(x.dtype), k=self.k, rest=self.rest,
                           index_ctypes=[ctype(i.dtype) for i in indices])

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        x, indices = in_arrays[0], in_arrays[1:]
        (out,) = out_arrays
        inner = int(np.prod(x.shape[self.k:], dtype=np.int64))
        args = [i64(out.size), i64(max(inner, 1))]
        for j, idx in enumerate(indices):
            args += [i64(x.shape[j]), i64(x.strides[j]), idx.buffer, i64(idx.offset), i64(idx.strides[0])]
        for d in range(self.rest):
            args += [i64(x.shape[self.k + d]), i64(x.strides[self.k + d])]
        args += [x.buffer, i64(x.offset), out.buffer, i64(out.offset)]
        return out.size, None, args


class PutKernel:
    template = "put.cl.mako"
    family = "put"
    checks_indices = True

    def __init__(self, name, node):
        op, x = node.op, node.inputs[0]
        self.name, self.k = name, op.k
        self.buffer_inputs = node.inputs
        self.dtypes = {x.dtype}
        self.kwargs = dict(name=name, ctype=ctype(x.dtype), k=op.k, ndim=x.ndim, y_rest=x.ndim - op.k,
                           index_ctypes=[ctype(i.dtype) for i in node.inputs[2:]],
                           set_instead_of_inc=op.set_instead_of_inc)

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        x, y, indices = in_arrays[0], in_arrays[1], in_arrays[2:]
        (out,) = out_arrays
        m = indices[0].shape[0]
        args = [i64(out.size), i64(m)]
        for d in range(len(x.shape)):
            args += [i64(x.shape[d]), i64(x.strides[d])]
        for idx in indices:
            args += [idx.buffer, i64(idx.offset), i64(idx.strides[0])]
        args += [i64(s) for s in _aligned_strides(y, 1 + len(x.shape) - self.k)]
        args += [x.buffer, i64(x.offset), y.buffer, i64(y.offset), out.buffer, i64(out.offset)]
        return out.size, None, args
