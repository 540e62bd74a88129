"""Philox family: one or more PhiloxDraw nodes -> philox.cl.mako parameters and their
launch (one, for every draw).
A work-item computes LANES Philox blocks with vector instructions; constant
parameters become literals, symbolic scalars are read from their buffers."""
import numpy as np

from ...graph.basic import Constant
from ...graph.types import ctype, literal
from ...ops.random import DISTRIBUTIONS

__all__ = ["PhiloxKernel"]

LANES = 8  # 4 for double: an 8-wide double vector exceeds AVX2 registers (and the ABI)


class PhiloxKernel:
    """The draws of one or more PhiloxDraw nodes in one launch (the plan gives it a
    function's independent draws together: a training step's dropout masks)."""
    template = "philox.cl.mako"
    family = "philox"

    def __init__(self, name, node, *more):
        self.name, self.nodes = name, [node, *more]
        self.buffer_inputs, self.draws, self.dtypes = [], [], set()
        for nd in self.nodes:
            op = nd.op
            state, _size, *params = nd.inputs
            out = nd.outputs[0]
            lanes = LANES // 2 if op.compute_dtype == "float64" or out.dtype in ("float64", "int64", "uint64") \
                else LANES
            self.buffer_inputs += [state] + [p for p in params if not isinstance(p, Constant)]
            real = op.compute_dtype
            specs = []
            for pname, p in zip(DISTRIBUTIONS[op.dist], params):
                if isinstance(p, Constant):
                    specs.append((pname, literal(p.data.item(), real), None))
                else:
                    specs.append((pname, None, ctype(p.dtype)))
            self.draws.append(dict(dist=op.dist, out_ctype=ctype(out.dtype), real=ctype(real) if real else None,
                                   per_block=op.per_block, trials=op.trials, params=specs, lanes=lanes))
            self.dtypes |= {out.dtype, "uint32"} | ({real} if real else set()) | \
                {p.dtype for p in params if not isinstance(p, Constant)}
        self.kwargs = dict(name=name, draws=self.draws)

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        i64 = np.int64
        args, items = [], 0
        ins, outs = list(in_arrays), list(out_arrays)
        for nd, draw in zip(self.nodes, self.draws):
            n_params = sum(1 for p in nd.inputs[2:] if not isinstance(p, Constant))
            state, params = ins[0], ins[1:1 + n_params]
            del ins[:1 + n_params]
            sample, new_state = outs[:2]
            del outs[:2]
            n = sample.size
            nblocks = -(-n // draw["per_block"])
            args += [i64(n), i64(nblocks), state.buffer, i64(state.offset), i64(state.strides[0])]
            for p in params:
                args += [p.buffer, i64(p.offset)]
            args += [sample.buffer, i64(sample.offset), new_state.buffer, i64(new_state.offset)]
            # at least one work-item per draw: it writes the new state even for an empty sample
            items += max(-(-nblocks // draw["lanes"]), 1)
        return items, None, args
