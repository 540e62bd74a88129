"""Gemm family: one Dot node -> gemm.cl.mako, rendered as 1-2 kernel variants, and the
launch that picks a variant, an orientation and a work split for the concrete operands.

Transposed operands are never copied. Each variant is specialised on which axis of A
and of B has unit stride, predicted when the graph is built (sources are contiguous,
DimShuffle views permute axes); launch() checks the real strides and falls back to
the generic variant (rendered only when the prediction is uncertain). When the
operands suit the kernel better the other way round (a.T.dot(b.T)), launch() computes
C^T = B^T A^T instead: the same kernel, operands and strides swapped, no copy.
On a GPU one local-memory kernel reads any strides."""
import math

import numpy as np

from ...graph.types import ctype
from ...ops.shape import DimShuffle

from .elemwise import VECTOR_WIDTH, epilogue_body, vector_width

__all__ = ["GemmKernel"]

# PoCL on x86 compiles vectors of one AVX register (32 bytes) best
VECTOR_BYTES = 32
# CPU micro-tile: 6 rows x 2 vectors = 12 accumulators of the 16 vector registers
CPU_MR, CPU_NV = 6, 2
# the private copy of a B panel (kc rows x nr columns) that stays in L1
PANEL_BYTES = 16384
# row blocks of one work-item: enough rows to reuse each B panel many times
MAX_ROW_BLOCKS = 32
# B panels per work-item when A is copied from its columns
M_PANELS = 4
GPU_TILE = 64


class GemmKernel:
    template = "gemm.cl.mako"
    family = "gemm"
    #: 'cpu' or 'gpu' forces that kernel kind (tests run the GPU kernel on a CPU device)
    force_kind = None

    def __init__(self, name, node, epilogue=(), epilogue_inputs=(), epilogue_outputs=()):
        from ...runtime import device as _device
        a, b = node.inputs
        dtype = node.outputs[0].dtype
        self.name, self.dtypes, self.buffer_inputs = name, {dtype}, [a, b]
        self.nsum = node.op.nsum
        self.nkeep = a.ndim - 2 - self.nsum
        dev = _device.current()
        self.units = max(1, dev.cl_device.max_compute_units)
        self.kind = self.force_kind or ("gpu" if dev.is_gpu else "cpu")
        self.vw = max(1, min(16, VECTOR_BYTES // np.dtype(dtype).itemsize))
        self.epi = self._epilogue(node.outputs[0], list(epilogue), list(epilogue_inputs),
                                  list(epilogue_outputs) or [epilogue[-1].outputs[0]]) if epilogue else None
        a_units, b_units = _unit_axes(a), _unit_axes(b)
        a_unit = _pick(a_units, a.ndim, {"k": 1, "m": 2})
        b_unit = _pick(b_units, b.ndim, {"n": 1, "k": 2})
        swapped = (_SWAP_A.get(b_unit), _SWAP_B.get(a_unit))
        if self.kind == "cpu" and _SCORE.get(swapped, 0) > _SCORE.get((a_unit, b_unit), 0):
            a_unit, b_unit = swapped  # launch() runs it as C^T = B^T A^T
        wanted = [(a_unit, b_unit)]
        if self.kind == "cpu" and (a_units is None or b_units is None) and wanted[0] != (None, None):
            wanted.append((None, None))  # the layout is only known at run time
        self._variants = [self._variant(au, bu) for au, bu in wanted]
        nargs = 4 + 4 * self.nkeep + 3 * self.nsum
        extra = len(self.epi["inputs"]) + len(self.epi["more"]) if self.epi else 0
        self.arg_dtypes = [np.int64] * nargs + [None, np.int64, np.int64, np.int64] * 3 \
            + ([None] + [np.int64] * (3 + self.nkeep)) * extra
        #: the kernels this step's program holds; launch() names the one to run
        self.variants = [v["name"] for v in self._variants]
        self.kwargs = dict(variants=self._variants, ctype=ctype(dtype), vw=self.vw, nkeep=self.nkeep,
                           nsum=self.nsum, epi=self.epi)

    def _epilogue(self, product, nodes, inputs, outputs):
        """An elementwise group applied to the product (bias, activation) as it is
        stored: the template evaluates it per output element, reading the group's other
        operands at (m, n) through their strides (0 where they broadcast). The first
        result goes to C (which also holds the partial sums between k-panels), further
        results (an optimizer's two updates) to their own arrays."""
        epi = epilogue_body(product, nodes, inputs, outputs, lambda v: "strided")
        # The CPU kernel applies it to vectors when every value has the product's dtype:
        # PoCL leaves a loop of scalar tanh() calls scalar (4x slower at 256x64x64)
        width = vector_width(epi["inputs"], epi["consts"], epi["stmts"])
        epi["vector"] = self.kind == "cpu" and width > 1 and width == VECTOR_WIDTH.get(product.dtype) == self.vw
        self.buffer_inputs += [o.variable for o in epi["inputs"]]
        self.dtypes |= epi["dtypes"]
        return epi

    def _variant(self, a_unit, b_unit):
        """Template parameters of one kernel. An A with unit stride along m is copied
        `ch` rows at a time (a multiple of the vector width and of CPU_MR) and used for
        M_PANELS panels of B: the copy reads lines far apart, so it must be reused.
        Those panels take the private bytes of one deep panel: shallower k-blocks
        (private memory stays under 32 KiB, the default limit of some CPU drivers)."""
        kc = PANEL_BYTES // (CPU_NV * VECTOR_BYTES)
        ch = CPU_MR * self.vw // math.gcd(CPU_MR, self.vw)
        while ch < 4 * CPU_MR:
            ch *= 2
        panels = M_PANELS if a_unit == "m" else 1
        if a_unit == "m":
            kc //= panels  # the same B bytes as one deep panel
        tag = f"{self.kind}_{a_unit or 's'}{b_unit or 's'}"
        return dict(name=f"{self.name}_{tag}", kind=self.kind, a_unit=a_unit, b_unit=b_unit, mr=CPU_MR, nv=CPU_NV,
                    kc=kc, ch=ch, panels=panels)

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        (a, b), extra, (c, *more) = in_arrays[:2], in_arrays[2:], out_arrays
        nk, ns = self.nkeep, self.nsum
        M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
        # batch axes: a length-1 side of a broadcast axis is read with stride 0
        sizes = list(c.shape[:nk]) + [0 if 0 in (x, y) else max(x, y)
                                      for x, y in zip(a.shape[nk:nk + ns], b.shape[nk:nk + ns])]
        ast = [0 if n == 1 else s for n, s in zip(a.shape, a.strides[:nk + ns])]
        bst = [0 if n == 1 else s for n, s in zip(b.shape, b.strides[:nk + ns])]
        cst = list(c.strides[:nk])
        g = dict(M=M, N=N, K=K, a_sm=a.strides[-2], a_sk=a.strides[-1], b_sk=b.strides[-2], b_sn=b.strides[-1],
                 c_sm=c.strides[-2], c_sn=c.strides[-1])
        keep = [[sizes[d], ast[d], bst[d], cst[d]] for d in range(nk)]
        summed = [[sizes[d], ast[d], bst[d]] for d in range(nk, nk + ns)]
        if any(n == 0 for n, *_ in summed):  # nothing to add up: C is zeros
            g["K"], summed = 0, [[1, 0, 0] for _ in summed]
        # epilogue operands and results at (m, n): [sm, sn, keep strides]
        epi = [[0 if n == 1 else st for n, st in zip(arr.shape[-2:], arr.strides[-2:])]
               + [0 if arr.shape[d] == 1 else arr.strides[d] for d in range(nk)] for arr in extra + more]
        _fold_keep_into_m(g, keep, epi)
        _fold_sum_into_k(g, summed)
        variant, swap = self._choose(g)
        if swap:
            g = dict(M=g["N"], N=g["M"], K=g["K"], a_sm=g["b_sn"], a_sk=g["b_sk"], b_sk=g["a_sk"], b_sn=g["a_sm"],
                     c_sm=g["c_sn"], c_sn=g["c_sm"])
            keep = [[n, bs, as_, cs] for n, as_, bs, cs in keep]
            summed = [[n, bs, as_] for n, as_, bs in summed]
            a, b = b, a
        batch = int(np.prod([k[0] for k in keep], dtype=np.int64))
        M, N = g["M"], g["N"]
        if variant["kind"] == "gpu":
            rows = 1
            gsize = (-(-N // GPU_TILE) * 16, -(-M // GPU_TILE) * 16, batch)
            lsize = (16, 16, 1)
        else:
            nr = variant["nv"] * self.vw * variant["panels"]
            panels, blocks = -(-N // nr), -(-M // variant["mr"])
            groups = -(-4 * self.units // max(1, panels * batch))  # enough work-items for every core
            rows = min(MAX_ROW_BLOCKS, max(1, -(-blocks // groups)))
            if variant["a_unit"] == "m":
                # a work-item copies A `ch` rows at a time: give it whole copies (x.T.dot(g)
                # with 20 rows of x.T: one work-item, 18 us, instead of four that copy
                # the same 24 rows and B panel, 31 us)
                per_copy = variant["ch"] // variant["mr"]
                rows = -(-rows // per_copy) * per_copy
            if blocks:
                rows = -(-blocks // -(-blocks // rows))  # the same share for every row group
            gsize, lsize = (panels, -(-blocks // rows), batch), (1, 1, 1)
        i64 = np.int64
        args = [i64(M), i64(N), i64(g["K"]), i64(rows)]
        for item in keep + summed:
            args += [i64(v) for v in item]
        args += [a.buffer, i64(a.offset), i64(g["a_sm"]), i64(g["a_sk"]),
                 b.buffer, i64(b.offset), i64(g["b_sk"]), i64(g["b_sn"]),
                 c.buffer, i64(c.offset), i64(g["c_sm"]), i64(g["c_sn"])]
        for arr, (sm, sn, *kst) in zip(extra + more, epi):  # at (m, n) of the kernel's orientation
            args += [arr.buffer, i64(arr.offset)] + ([i64(sn), i64(sm)] if swap else [i64(sm), i64(sn)])
            args += [i64(st) for st in kst]
        return gsize, lsize, args, variant["name"]

    def _choose(self, g):
        """(variant, swap) for these strides: the best-scoring variant whose unit-stride
        axes the operands have, as given or as C^T = B^T A^T. Between equal scores, the
        orientation that fills more vector lanes along n: x.T.dot(g) of a (64, 2)
        gradient runs 3x faster as C^T, 2 rows of 64 columns, than as 64 rows of 2."""
        if self.kind == "gpu":
            return self._variants[0], False
        a = {"m": g["a_sm"] == 1 or g["M"] <= 1, "k": g["a_sk"] == 1 or g["K"] <= 1}
        b = {"k": g["b_sk"] == 1 or g["K"] <= 1, "n": g["b_sn"] == 1 or g["N"] <= 1}
        swapped_a = {"m": b["n"], "k": b["k"]}  # A' = B^T, B' = A^T
        swapped_b = {"k": a["k"], "n": a["m"]}
        best = None
        for var in self._variants:
            for swap, ua, ub in ((False, a, b), (True, swapped_a, swapped_b)):
                if (var["a_unit"] is None or ua[var["a_unit"]]) and (var["b_unit"] is None or ub[var["b_unit"]]):
                    lanes = min(g["M"] if swap else g["N"], CPU_NV * self.vw)
                    score = (_SCORE.get((var["a_unit"], var["b_unit"]), 0), lanes)
                    if best is None or score > best[0]:
                        best = (score, var, swap)
        if best is None:
            from ...errors import ClgraphError
            raise ClgraphError(f"internal error: no gemm variant of {self.name} for strides {g}")
        return best[1], best[2]


# CPU layouts, best first (measured): rows of A contiguous and B copied with vector
# loads; A copied from columns is the slowest specialised case
_SCORE = {("k", "n"): 5, ("k", "k"): 4, ("m", "n"): 3, ("m", "k"): 2, ("k", None): 1, ("m", None): 1}
# the unit axis of an operand of C^T = B^T A^T, from the unit axis of the other one
_SWAP_A = {"k": "k", "n": "m"}   # A' = B^T
_SWAP_B = {"k": "k", "m": "n"}   # B' = A^T


def _fold_keep_into_m(g, keep, epi=()):
    """Kept batch axes that B broadcasts and that continue A's, C's (and the epilogue
    operands') rows become rows: tensor3.dot(matrix) is one GEMM, not a batch of small
    ones. `epi`: [sm, sn, keep strides] per epilogue operand, updated alike."""
    for d in reversed(range(len(keep))):
        n, a_st, b_st, c_st = keep[d]
        if n != 1:
            if b_st != 0:
                break
            if g["M"] == 1:
                g["a_sm"], g["c_sm"] = a_st, c_st
                for e in epi:
                    e[0] = e[2 + d]
            elif a_st != g["M"] * g["a_sm"] or c_st != g["M"] * g["c_sm"] \
                    or any(e[2 + d] != g["M"] * e[0] for e in epi):
                break
            g["M"] *= n
        keep[d] = [1, 0, 0, 0]
        for e in epi:
            e[2 + d] = 0


def _fold_sum_into_k(g, summed):
    """Summed batch axes that continue both operands along k lengthen K instead."""
    for d in reversed(range(len(summed))):
        n, a_st, b_st = summed[d]
        if n != 1:
            if g["K"] == 1:
                g["a_sk"], g["b_sk"] = a_st, b_st
            elif a_st != g["K"] * g["a_sk"] or b_st != g["K"] * g["b_sk"]:
                break
            g["K"] *= n
        summed[d] = [1, 0, 0]


def _contiguous(var):
    node = var.owner
    if node is None or not node.op.view:
        return True
    return bool(getattr(node.op, "keeps_order", False)) and _contiguous(node.inputs[0])


def _unit_axes(var):
    """Axes of `var` that surely have unit stride (or length 1), known when the graph
    is built; None when a view hides the layout."""
    if _contiguous(var):
        axes = set()
        for d in reversed(range(var.ndim)):
            axes.add(d)
            if not var.broadcastable[d]:
                break
        return axes | {d for d in range(var.ndim) if var.broadcastable[d]}
    node = var.owner
    if isinstance(node.op, DimShuffle):
        inner = _unit_axes(node.inputs[0])
        if inner is not None:
            return {d for d, src in enumerate(node.op.new_order) if src == "x" or src in inner}
    return None


def _pick(axes, ndim, names):
    """The preferred unit-stride axis name among the last two axes (None if neither)."""
    for name, back in names.items():
        if axes is not None and ndim - back in axes:
            return name
    return None
