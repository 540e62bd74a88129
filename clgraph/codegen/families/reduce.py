"""Reduce family: one Reduce node, with the elementwise group that computes its input
fused in as a prologue (sum(x ** 2) is one pass) -> reduce.cl.mako parameters, and
the launch for concrete operands."""
import numpy as np

from ...graph.types import ctype, literal
from ...ops.shape import is_contiguous
from ...graph.layout import contiguous_strides
from .elemwise import build_body, epilogue_body, vector_width

__all__ = ["ReduceKernel"]

ARG_KINDS = ("argmax", "argmin")
# column sums of fewer elements than ROWS_SPLIT_MIN, over at most ROWS_UNSPLIT_MAX rows,
# run in one launch. Measured on PoCL (2 cores), call included: 256 x 64 takes 26 us so
# against 40 us split, 2048 x 512 the same; from 1M elements on the split is faster
# (4096 x 512: 442 against 846 us). Longer columns are split anyway: a chunk's rows are
# added without compensation, the chunks' sums with it (3000 rows: 2.4e-6 relative error
# in one pass)
ROWS_SPLIT_MIN, ROWS_UNSPLIT_MAX = 1 << 19, 512


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
    """One Reduce node (with its fused prologue). When every operand is contiguous and
    has the reduced value's shape, runs of reduced axes and of kept axes are merged
    (a full sum of a matrix is a sum of a vector). At launch, few outputs over a long
    reduction split into chunks: stage 1 computes one partial result per chunk, the
    `_final` kernel combines them (see reduce.cl.mako)."""
    template = "reduce.cl.mako"
    family = "reduce"
    #: launch() returns a list of (kernel name, global size, local size, args) and takes
    #: a scratch allocator
    multi_launch = True
    #: 'cpu' or 'gpu' forces that device kind's choices (tests run the GPU layout on a CPU)
    force_kind = None

    def __init__(self, name, node, prologue=(), prologue_inputs=None, epilogue=(), epilogue_inputs=(),
                 epilogue_outputs=(), inner=()):
        from ...runtime import device as _device
        op = node.op
        x, out = node.inputs[0], node.outputs[0]
        self.name, self.full_ndim = name, x.ndim
        red = list(op.axes)
        self.op_axes = set(red)  # the reduced axes before merging
        last = x.ndim - 1

        def access(v):
            if x.ndim and v.broadcastable[last] and v.ndim == x.ndim:
                return "splat"  # constant along the last axis
            if x.ndim and v.ndim == x.ndim and is_contiguous(v):
                return "vec"  # unit stride along the last axis
            return "strided"
        inputs = prologue_inputs if prologue else [x]
        self.operands, consts, stmts, names = build_body(list(prologue), inputs, access)
        # `inner`: argmax/argmin nodes over the last axis whose results the prologue reads;
        # the kernel reduces their rows itself (reduce.cl.mako, general variant)
        inner_of = {q.outputs[0]: q for q in inner}
        for a in self.operands:
            q = inner_of.get(a.variable)
            a.inner = q.op.kind if q is not None else None
            if q is not None:
                row = q.inputs[0]
                a.variable, a.dtype, a.ctype, a.access = row, row.dtype, ctype(row.dtype), "strided"
        self.buffer_inputs = [a.variable for a in self.operands]
        # merge neighbouring axes of the same role when every operand is a contiguous
        # array of the reduced value's shape (then the merged strides are plain products)
        self.segments = [[d] for d in range(x.ndim)]
        if x.ndim > 1 and all(a.access == "vec" and a.variable.broadcastable == x.broadcastable
                              for a in self.operands):
            self.segments = []
            for d in range(x.ndim):
                if self.segments and (d in red) == (self.segments[-1][-1] in red):
                    self.segments[-1].append(d)
                else:
                    self.segments.append([d])
        self.ndim = ndim = len(self.segments)
        self.red = [k for k, seg in enumerate(self.segments) if seg[0] in red]
        self.keep = [k for k in range(ndim) if k not in self.red]
        result = names[x]
        acc = op.acc_dtype_of(x.dtype)
        width = vector_width(self.operands, consts, stmts)
        along_last = all(a.access in ("vec", "splat") for a in self.operands) and ndim > 0
        dev = _device.current()
        self.units = max(1, dev.cl_device.max_compute_units)
        self.is_gpu = (self.force_kind or ("gpu" if dev.is_gpu else "cpu")) == "gpu"
        if width > 1 and along_last and op.kind not in ARG_KINDS and acc == x.dtype == out.dtype and not inner:
            if ndim - 1 in self.red:
                self.variant = "inner"
            else:
                self.variant = "outer" if self.is_gpu else "rows"
        else:
            self.variant, width = "general", 1
        self.width = width
        # independent accumulators per work-item: enough to hide the add latency
        self.unroll = {"inner": 4, "outer": 2, "rows": 4}.get(self.variant, 1)
        #: chunked launches need the final kernel (not argmax/argmin: the partials would
        #: need their positions)
        self.split = bool(self.red) and op.kind not in ARG_KINDS and self.variant != "outer"
        self.kahan = np.dtype(acc).kind == "f" and op.kind in ("sum", "mean")
        self.acc_dtype = acc
        self.variants = [name] + ([name + "_final"] if self.split else [])
        self.dtypes = {a.dtype for a in self.operands} | {k.dtype for k in consts} | \
            {s.out_dtype for s in stmts} | {s.compute for s in stmts} | {acc, out.dtype}
        i64 = np.int64
        self.epi = self._epilogue(out, list(epilogue), list(epilogue_inputs), list(epilogue_outputs)) \
            if epilogue else None
        n_epi = len(self.epi["inputs"]) + len(self.epi["more"]) if self.epi else 0
        operand_args = []
        for a in self.operands:
            operand_args += [None, i64] + [i64] * ndim + ([i64, i64] if a.inner else [])
        self.arg_dtypes = [i64] * (4 + ndim) + operand_args + [None, i64, None] + [None, i64] * n_epi
        self.final_arg_dtypes = [i64] * 5 + [None, None, i64] + [None, i64] * n_epi
        self.kwargs = dict(name=name, variant=self.variant, width=width, unroll=self.unroll, ndim=ndim, keep=self.keep,
                           red=self.red, inputs=self.operands, consts=consts, stmts=stmts, result=result,
                           kind=op.kind, acc_ctype=ctype(acc), out_ctype=ctype(out.dtype), neutral=_neutral(op.kind, acc),
                           is_float=np.dtype(acc).kind == "f", split=self.split, epi=self.epi)

    def _epilogue(self, result, nodes, inputs, outputs):
        """An elementwise group applied to each reduced value as it is written (a bias
        gradient and the optimizer's update of the bias): operands are one element per
        output (contiguous, the result's pattern) or scalars; the first result goes to
        `out`, further ones to their own arrays."""
        epi = epilogue_body(result, nodes, inputs, outputs, lambda v: "scalar" if all(v.broadcastable) else "flat")
        self.buffer_inputs = self.buffer_inputs + [o.variable for o in epi["inputs"]]
        self.dtypes |= epi["dtypes"]
        return epi

    def render_kwargs(self):
        return self.kwargs

    def kernel_arg_dtypes(self, kernel_name):
        return self.final_arg_dtypes if kernel_name.endswith("_final") else self.arg_dtypes

    def _collapse(self, shape):
        return [int(np.prod([shape[d] for d in seg], dtype=np.int64)) for seg in self.segments]

    def _operand_strides(self, arr, shape):
        """Strides of an operand in the (merged) loop; 0 along its length-1 axes."""
        merged = len(self.segments) != self.full_ndim  # then contiguous, the reduced value's shape
        sizes, strides = (shape, contiguous_strides(tuple(shape))) if merged else (arr.shape, arr.strides)
        strides = [0 if size == 1 else st for size, st in zip(sizes, strides)]
        return [0] * (self.ndim - len(strides)) + strides

    def _parts(self, n_out, shape):
        """Chunks of the first reduced axis: enough work-items to fill the device,
        but chunks long enough that partial results cost nothing."""
        if not self.split:
            return 1
        length = int(np.prod([shape[d] for d in self.red], dtype=np.int64))
        first = shape[self.red[0]]
        if self.variant == "rows":
            if length <= ROWS_UNSPLIT_MAX and length * n_out < ROWS_SPLIT_MIN:
                return 1  # one pass is faster than two launches (the bias gradient of a batch)
            # each work-item streams whole rows: a few per core
            want = -(-16 * self.units // max(n_out // max(shape[-1], 1), 1))
            return int(max(1, min(want, first // 64)))
        target = self.units * (64 if self.is_gpu else 128)
        if n_out >= target or length < 16384:
            return 1
        want = -(-target // n_out)
        return int(max(1, min(want, first, length // (1024 if self.is_gpu else 8192))))

    def launch(self, in_arrays, out_arrays, scratch):
        out, more = out_arrays[0], out_arrays[1:]
        n_main = len(self.operands)
        in_arrays, epi_arrays = in_arrays[:n_main], in_arrays[n_main:]
        # an inner operand's rows: its leading axes are the loop's, its last is reduced
        inner_rows = [(arr.shape[-1], arr.strides[-1]) if a.inner else None
                      for a, arr in zip(self.operands, in_arrays)]
        in_arrays = [arr.view(arr.shape[:-1], arr.strides[:-1]) if a.inner else arr
                     for a, arr in zip(self.operands, in_arrays)]
        epi_args = []
        for arr in list(epi_arrays) + list(more):
            epi_args += [arr.buffer, np.int64(arr.offset)]
        i64 = np.int64
        # the iteration space is the reduced input's shape: the widest operand's
        shape = self._collapse(_loop_shape(in_arrays, self.full_ndim, out.shape,
                                           [d for d in range(self.full_ndim) if d not in self.op_axes]))
        n_out = out.size
        if n_out == 0:
            return []
        parts = self._parts(n_out, shape)
        cblock = 1
        if self.variant == "outer":
            rows = n_out // shape[-1] if shape[-1] else 0
            n = rows * (-(-shape[-1] // (self.width * self.unroll)))
        elif self.variant == "rows":
            cblock = min(shape[-1], 4096) if shape[-1] else 1
            n = (n_out // shape[-1]) * parts * (-(-shape[-1] // cblock))
        else:
            n = n_out * parts
        chunk = -(-shape[self.red[0]] // parts) if self.red else 0
        args = [i64(n), i64(parts), i64(chunk), i64(cblock)] + [i64(s) for s in shape]
        for arr, row in zip(in_arrays, inner_rows):
            args += [arr.buffer, i64(arr.offset)] + [i64(s) for s in self._operand_strides(arr, shape)]
            if row is not None:
                args += [i64(row[0]), i64(row[1])]
        K = 2 if self.kahan and self.variant != "rows" else 1
        part = scratch((n_out * parts * K,), self.acc_dtype) if parts > 1 else out
        args += [out.buffer, i64(out.offset), part.buffer] + epi_args
        # a few heavy work-items: one per work-group, so they spread over the cores
        local = (1,) if self.variant == "rows" and not self.is_gpu else None
        launches = [(self.name, n, local, args)]
        if parts > 1:
            C = shape[-1] if self.variant == "rows" else 1
            count = int(np.prod([shape[d] for d in self.red], dtype=np.int64))
            launches.append((self.name + "_final", n_out, None,
                             [i64(n_out), i64(C), i64(parts), i64(K), i64(count), part.buffer, out.buffer,
                              i64(out.offset)] + epi_args))
        return launches


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
