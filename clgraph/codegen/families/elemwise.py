"""Elemwise family: a fused group of Elemwise nodes -> elemwise.cl.mako parameters, and
the launch (global size and arguments) for concrete operands."""
import math
from types import SimpleNamespace

import numpy as np

from ...graph.basic import Constant
from ...graph.types import ctype, literal

__all__ = ["ElemwiseKernel"]

# elements per work-item in vectorised code, by dtype
VECTOR_WIDTH = {"float32": 8, "float64": 4}


class Stmt:
    """`var = op(args)` for one node of the group, rendered for a vector width."""

    def __init__(self, var, out_dtype, scalar_op, compute, operands):
        self.var, self.out_dtype, self.scalar_op, self.compute = var, out_dtype, scalar_op, compute
        self.operands = operands  # [(C variable, its dtype, dtype it is converted to)]

    def code(self, width, idx):
        suffix = str(width) if width > 1 else ""
        args = [name if have == want else _convert(name, want) for name, have, want in self.operands]
        expr = self.scalar_op.expression(np.dtype(self.compute).kind).format(*args, T=ctype(self.compute) + suffix,
                                                                         idx=idx)
        if self.out_dtype != self.compute:
            expr = _convert(expr, self.out_dtype)
        return f"const {ctype(self.out_dtype)}{suffix} {self.var} = {expr};"


def _convert(expr, dtype):
    return f"(({expr}) != 0)" if dtype == "bool" else f"(({ctype(dtype)}){expr})"


def build_body(nodes, inputs, access):
    """The C body of a fused group: buffer operands (with their `access` kind), scalar
    constants as literals, and one Stmt per node. Returns (inputs, consts, stmts,
    names) where names maps each Variable to its C variable."""
    names, operands, consts, stmts = {}, [], [], []
    for v in inputs:
        if isinstance(v, Constant) and v.data.size == 1:
            text = literal(v.data.reshape(()).item(), v.dtype)
            same = [k for k in consts if (k.dtype, k.literal) == (v.dtype, text)]
            if not same:
                same = [SimpleNamespace(var=f"c{len(consts)}", ctype=ctype(v.dtype), dtype=v.dtype, literal=text)]
                consts.append(same[0])
            names[v] = same[0].var
            continue
        k = len(operands)
        names[v] = f"v{k}"
        operands.append(SimpleNamespace(name=f"in{k}", var=names[v], ctype=ctype(v.dtype), dtype=v.dtype,
                                        access=access(v), variable=v))
    for node in nodes:
        if node.op.scalar_op.name == "second":  # its shape operand is not read
            names.setdefault(node.inputs[0], "0")
        out = node.outputs[0]
        names[out] = f"t{len(stmts)}"
        sop = node.op.scalar_op
        in_dtypes = [i.dtype for i in node.inputs]
        compute = sop.compute_dtype([np.zeros((), d) for d in in_dtypes], out.dtype)
        casts = sop.input_casts(in_dtypes, compute)
        stmts.append(Stmt(names[out], out.dtype, sop, compute,
                          [(names[i], i.dtype, c) for i, c in zip(node.inputs, casts)]))
    return operands, consts, stmts, names


def epilogue_body(value, nodes, inputs, outputs, access, prefix="epi"):
    """The template parameters of an elementwise tail that another kernel (GEMM, reduce)
    applies to each `value` it computes: operands other than `value` (buffers named
    prefix0, prefix1, ... so they cannot meet the host kernel's), constants, statements,
    the C name of `value` ('acc'), of the first result ('result', written where the host
    kernel writes) and the further results ('more': res1, res2, ...)."""
    operands, consts, stmts, names = build_body(nodes, inputs, access)
    others = [o for o in operands if o.variable is not value]
    for k, o in enumerate(others):
        o.name = f"{prefix}{k}"
    (acc,) = [o.var for o in operands if o.variable is value]
    more = [SimpleNamespace(name=f"res{k}", var=names[v], ctype=ctype(v.dtype)) for k, v in enumerate(outputs[1:], 1)]
    return dict(acc=acc, inputs=others, consts=consts, stmts=stmts, result=names[outputs[0]], more=more,
                dtypes={o.dtype for o in others} | {c.dtype for c in consts} | {st.out_dtype for st in stmts}
                | {st.compute for st in stmts})


def vector_width(operands, consts, stmts):
    """The vector width for a body: 8 floats / 4 doubles when every value has that one
    dtype and every op has a vector form, else 1."""
    dtypes = {a.dtype for a in operands} | {k.dtype for k in consts} | \
        {s.out_dtype for s in stmts} | {s.compute for s in stmts}
    if len(dtypes) == 1 and dtypes <= set(VECTOR_WIDTH) and all(s.scalar_op.vectorizable for s in stmts):
        return VECTOR_WIDTH[dtypes.pop()]
    return 1


def _last_axis(var, ndim):
    """How a strided operand varies along the loop's last axis, known when the graph is
    built: 'splat' (broadcast along it), 'unit' (unit stride: a contiguous array, a
    dimshuffle of one that keeps its last axis last, such as a bias row, or a slice of
    one without a step along the last axis, such as an LSTM's gate z[:, u:2 * u]),
    else None."""
    from ...ops.shape import DimShuffle, is_contiguous
    from ...ops.subtensor import Subtensor
    if var.ndim != ndim:
        return None
    if var.broadcastable[-1]:
        return "splat"
    while True:
        if is_contiguous(var):
            return "unit"
        node = var.owner
        src = node.inputs[0] if node is not None else None
        if src is None or not src.ndim:
            return None
        if isinstance(node.op, DimShuffle):
            if node.op.new_order[-1] != src.ndim - 1:
                return None
        elif isinstance(node.op, Subtensor):
            entries = node.op.idx_list
            if len(entries) == src.ndim and (entries[-1] == "i" or entries[-1][3]):
                return None  # the last axis dropped, or stepped
        else:
            return None
        var = src


class ElemwiseKernel:
    template = "elemwise.cl.mako"
    family = "elemwise"

    def __init__(self, name, nodes, inputs, outputs, is_contiguous):
        self.name = name
        self.ndim = outputs[0].ndim
        loop_bcast = outputs[0].broadcastable

        def access(v):
            if all(v.broadcastable):
                return "scalar"
            return "flat" if v.broadcastable == loop_bcast and is_contiguous(v) else "strided"
        self.inputs, self.consts, self.stmts, names = build_body(nodes, inputs, access)
        self.buffer_inputs = [a.variable for a in self.inputs]
        self.outputs = [SimpleNamespace(name=f"out{k}", var=names[o], ctype=ctype(o.dtype), dtype=o.dtype)
                        for k, o in enumerate(outputs)]
        self.mode = "nd" if any(a.access == "strided" for a in self.inputs) else "flat"
        vectorizable = self.mode == "flat" and not all(loop_bcast)
        self.width = vector_width(self.inputs, self.consts, self.stmts) if vectorizable else 1
        for a in self.inputs:
            a.last = _last_axis(a.variable, self.ndim) if a.access == "strided" else None
        if self.mode == "nd" and self.ndim >= 2 and not loop_bcast[-1] and \
                all(a.last for a in self.inputs if a.access == "strided"):
            self.width = vector_width(self.inputs, self.consts, self.stmts)
            if self.width > 1:
                self.mode = "rows"
        self.dtypes = {a.dtype for a in self.inputs} | {k.dtype for k in self.consts} | \
            {s.out_dtype for s in self.stmts} | {s.compute for s in self.stmts}
        # the kernel's parameter types, so that setting arguments costs little per call
        i64, nd = np.int64, self.ndim if self.mode in ("nd", "rows") else 0
        self.arg_dtypes = [i64] + [i64] * nd
        for a in self.inputs:
            self.arg_dtypes += [None, i64] + ([i64] * self.ndim if a.access == "strided" else [])
        self.arg_dtypes += [None, i64] * len(self.outputs)

    def render_kwargs(self):
        return dict(name=self.name, mode=self.mode, width=self.width, ndim=self.ndim, inputs=self.inputs,
                    consts=self.consts, stmts=self.stmts, outputs=self.outputs)

    def launch(self, in_arrays, out_arrays):
        """(global size, local size, kernel arguments) for concrete operands."""
        shape = out_arrays[0].shape
        n = math.prod(shape)
        i64 = np.int64
        gsize = -(-n // self.width)
        if self.mode == "rows":
            gsize = (n // shape[-1] if shape[-1] else 0) * -(-shape[-1] // self.width)
        args = [i64(gsize if self.mode == "rows" else n)]
        if self.mode in ("nd", "rows"):
            args += [i64(s) for s in shape]
        for spec, arr in zip(self.inputs, in_arrays):
            args += [arr.buffer, i64(arr.offset)]
            if spec.access == "strided":
                # a length-1 axis is read with stride 0, which is what broadcasting means
                args += [i64(0 if size == 1 else st) for size, st in zip(arr.shape, arr.strides)]
        for arr in out_arrays:
            args += [arr.buffer, i64(arr.offset)]
        return gsize, None, args
