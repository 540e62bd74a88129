"""Philox family: one PhiloxDraw node -> philox.cl.mako parameters and its launch.
A work-item computes LANES Philox blocks with vector instructions; constant
parameters become literals, symbolic scalars are read from their buffers."""
import numpy as np

from ...graph.basic import Constant
from ...graph.types import ctype, literal
from ...ops.random import DISTRIBUTIONS

__all__ = ["PhiloxKernel"]

LANES = 8  # 4 for double: an 8-wide double vector exceeds AVX2 registers (and the ABI)


class PhiloxKernel:
    template = "philox.cl.mako"
    family = "philox"

    def __init__(self, name, node):
        op = node.op
        state, _size, *params = node.inputs
        out = node.outputs[0]
        self.name, self.per_block = name, op.per_block
        self.lanes = LANES // 2 if op.compute_dtype == "float64" or out.dtype in ("float64", "int64", "uint64") \
            else LANES
        self.buffer_inputs = [state] + [p for p in params if not isinstance(p, Constant)]
        real = op.compute_dtype
        specs = []
        for pname, p in zip(DISTRIBUTIONS[op.dist], params):
            if isinstance(p, Constant):
                specs.append((pname, literal(p.data.item(), real), None))
            else:
                specs.append((pname, None, ctype(p.dtype)))
        self.kwargs = dict(name=name, dist=op.dist, out_ctype=ctype(out.dtype), real=ctype(real) if real else None,
                           per_block=op.per_block, trials=op.trials, params=specs, lanes=self.lanes)
        self.dtypes = {out.dtype, "uint32"} | ({real} if real else set()) | \
            {p.dtype for p in params if not isinstance(p, Constant)}

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        state, *params = in_arrays
        sample, new_state = out_arrays
        i64 = np.int64
        n = sample.size
        nblocks = -(-n // self.per_block)
        args = [i64(n), i64(nblocks), state.buffer, i64(state.offset), i64(state.strides[0])]
        for p in params:
            args += [p.buffer, i64(p.offset)]
        args += [sample.buffer, i64(sample.offset), new_state.buffer, i64(new_state.offset)]
        # at least one work-item: it writes the new state even for an empty sample
        return max(-(-nblocks // self.lanes), 1), None, args
