"""bn_stats family: one BatchStats node (ops/bn.py) -> bn_stats.cl.mako parameters and
its launch.

Work-items loop over the reduced axes through x's strides (any layout, no copy): a
batch's statistics are few (a value per feature), each over many elements, and
reading x once for both moments is the point. Which kernel, how many chunks and what
work-group size are chosen per launch from the sizes and strides (the class doc).
Constant eps and running-average factors are literals; symbolic ones are read from
their buffers."""
import numpy as np

from ...graph.basic import Constant
from ...graph.types import ctype, literal

__all__ = ["BatchStatsKernel"]


# a work-item reads at least this many elements before the reduction is split in
# chunks (partial sums and a second launch cost nothing then)
CHUNK_MIN = 8192
# below this many elements per work-item, CPU work-groups of 64 (PoCL runs a group's
# work-items in turn on one core); above, a work-item per group spreads the few heavy
# ones over the cores
HEAVY = 2048


class BatchStatsKernel:
    """One BatchStats node. At launch: the `_cols` kernel when x's last axis is kept and
    contiguous (vector loads across neighbouring statistics); few statistics over many
    elements (a spatial batch norm of 16 channels) split in chunks of the first
    reduced axis, enough work-items to fill the device; reduced axes after the first
    that run contiguously into each other merged into one loop (the sizes say so:
    the kernels' structure does not change)."""
    template = "bn_stats.cl.mako"
    family = "bn_stats"
    multi_launch = True

    def __init__(self, name, node):
        from ...runtime import device as _device
        op = node.op
        x, eps = node.inputs[:2]
        self.name, self.running = name, op.running
        self.red = list(op.axes)
        self.keep = [a for a in range(x.ndim) if a not in self.red]
        dtype = self.acc_dtype = node.outputs[0].dtype
        self.vec = 4 if dtype == "float64" else 8
        self.cols = bool(self.keep) and self.keep[-1] == x.ndim - 1
        self.variants = [name] + ([name + "_cols"] if self.cols else []) + [name + "_final"]
        consts = {}
        self.buffer_inputs = [x]
        scalars = [("eps", eps)] + ([("factor", node.inputs[2])] if op.running else [])
        for key, v in scalars:
            if isinstance(v, Constant):
                consts[key] = literal(v.data.item(), dtype)
            else:
                consts[key] = None
                self.buffer_inputs.append(v)
        self.n_scalar_buffers = sum(v is None for v in consts.values())
        if op.running:
            rm, rv = node.inputs[3:]
            self.buffer_inputs += [rm, rv]
            self.full_running = [v.ndim == x.ndim for v in (rm, rv)]
        self.kwargs = dict(name=name, n_keep=len(self.keep), n_red=len(self.red), ctype=ctype(dtype), vec=self.vec,
                           cols=self.cols, running=op.running, eps=consts["eps"], factor=consts.get("factor"))
        self.dtypes = {dtype}
        dev = _device.current()
        self.units = max(1, dev.cl_device.max_compute_units)
        self.is_gpu = bool(dev.is_gpu)
        i64 = np.int64
        kept = [i64] * len(self.keep) * (4 if op.running else 2)
        red = [i64] * 2 * len(self.red)
        buffers = [None, i64] * (1 + self.n_scalar_buffers + (2 if op.running else 0) + 2 + len(node.outputs))
        self._arg_dtypes = {name: [i64] * 3 + kept + red + [i64] + buffers,
                            name + "_cols": [i64] * 4 + kept + red + [i64] + buffers,
                            name + "_final": [i64] * 2 + kept + [i64] + buffers}

    def kernel_arg_dtypes(self, kernel_name):
        return self._arg_dtypes[kernel_name]

    def render_kwargs(self):
        return self.kwargs

    def _reduced_loops(self, x):
        """(size, stride) of each reduced axis as the kernels loop over them: those after
        the first merged where one runs contiguously into the next."""
        dims = [(x.shape[a], x.strides[a]) for a in self.red]
        inner = len(dims) - 1
        for k in range(len(dims) - 2, 0, -1):
            (so, st_o), (si, st_i) = dims[k], dims[inner]
            if so == 1:
                dims[k] = (1, 0)
            elif si == 1 or st_o == si * st_i:
                dims[inner] = (so * si, st_o if si == 1 else st_i)
                dims[k] = (1, 0)
            else:
                inner = k
        return dims

    def _chunks(self, items, per_item, first):
        """How many chunks of the first reduced axis: enough work-items for the device,
        each reading at least CHUNK_MIN elements."""
        target = self.units * (256 if self.is_gpu else 4)
        if items >= target or per_item < 2 * CHUNK_MIN:
            return 1
        return int(max(1, min(-(-target // items), first, per_item // CHUNK_MIN)))

    def launch(self, in_arrays, out_arrays, scratch):
        i64 = np.int64
        ins = list(in_arrays)
        x = ins.pop(0)
        scalars = [ins.pop(0) for _ in range(self.n_scalar_buffers)]
        n_out = int(np.prod([x.shape[a] for a in self.keep], dtype=np.int64))
        count = int(np.prod([x.shape[a] for a in self.red], dtype=np.int64))
        if n_out == 0:
            return []
        running = [(arr, [arr.strides[a] for a in self.keep] if full else list(arr.strides))
                   for arr, full in zip(ins, self.full_running)] if self.running else []
        kept = []
        for k, a in enumerate(self.keep):
            kept += [i64(x.shape[a]), i64(x.strides[a])] + [i64(strides[k]) for _arr, strides in running]
        reads = [x.buffer, i64(x.offset)]
        for arr in scalars + [arr for arr, _ in running]:
            reads += [arr.buffer, i64(arr.offset)]
        results = []
        for arr in out_arrays:
            results += [arr.buffer, i64(arr.offset)]
        loops = self._reduced_loops(x)
        V = self.vec
        cols = self.cols and x.strides[-1] == 1 and x.shape[-1] >= V
        if cols:
            groups = -(-x.shape[-1] // V)
            items, lanes = n_out // x.shape[-1] * groups, V
        else:
            items, lanes = n_out, 1
        chunks = self._chunks(items, count * lanes, loops[0][0])
        chunk_len = -(-loops[0][0] // chunks) if chunks else 0
        if chunks > 1:
            ps, pq = scratch((chunks * n_out,), self.acc_dtype), scratch((chunks * n_out,), self.acc_dtype)
        else:  # (not written: the first result stands in)
            ps = pq = out_arrays[0]
        partials = [ps.buffer, i64(ps.offset), pq.buffer, i64(pq.offset)]
        args = [i64(n_out), i64(chunks), i64(chunk_len)] + ([i64(groups)] if cols else []) + kept
        for size, stride in loops:
            args += [i64(size), i64(stride)]
        args += [i64(count)] + reads + partials + results
        heavy = not self.is_gpu and count // chunks * lanes >= HEAVY
        launches = [(self.name + ("_cols" if cols else ""), items * chunks, (1,) if heavy else None, args)]
        if chunks > 1:
            launches.append((self.name + "_final", n_out, None,
                             [i64(n_out), i64(chunks)] + kept + [i64(count)] + reads + partials + results))
        return launches
