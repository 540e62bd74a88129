"""The one loop mechanism: a Scan node's step graph, compiled once into an inner Plan
(rewrites, fusion, GEMM epilogues: like any function), enqueued once per step.

Step 0 runs the inner plan's generic path with a LoopRecorder: its intermediates come
from buffers the recorder keeps for the whole loop (the in-order queue makes reuse
across steps safe), its outputs are written straight into their rows of the stacked
output buffers, and every launch is noted with the argument slots that move from step
to step: the offsets of the sequence rows, of the state rows the taps read, and of the
rows written (and of views of them), each a fixed number of elements per step. Steps
1..n-1 only patch those offsets and enqueue: no host round trip, no shape inference,
no allocation (a loop with `until` reads its condition after each step). A step whose
launches cannot be patched (a kernel that takes an operand without its offset, a
nested loop) runs the generic path for every step instead."""
import numpy as np

from ..errors import ClgraphError
from ..runtime.arrays import DeviceArray
from .steps import KernelStep, ViewStep

__all__ = ["Loop"]


class Loop:
    """A compiled Scan node: its inner plan and how its buffers line up."""

    def __init__(self, node, device):
        from ..rewrite import rewrite
        from ..tensor.basic import identity
        from .plan import Plan
        op = self.op = node.op
        roots, seen = [], set()
        for r in rewrite(op.inner_roots):
            if r in seen:  # (two outputs that a rewrite merged: each needs its own rows)
                r = identity(r)
            seen.add(r)
            roots.append(r)
        self.roots = roots
        self.plan = Plan(roots, device)
        produced = {v for s in self.plan.steps if isinstance(s, KernelStep) for v in s.outputs}
        hosted = {o for n in self.plan.hosted for o in n.outputs}
        for r in roots:
            if r not in produced and r not in hosted:
                raise ClgraphError(f"internal error: {op}: step output {r!r} is not computed by a kernel")
        self.host_roots = [r for r in roots if r in hosted]
        self._constants = None
        self.replayed = None  # after a run: True if steps 1.. replayed step 0's launches

    def kernels(self):
        """The step's kernels (a nested loop's follow, named after it)."""
        from ..codegen.render import Kernel
        out = list(self.plan.kernels)
        for loop in self.plan.loops():
            out += [Kernel(f"{loop.op}/{k.name}", k.source, k.template, k.family) for k in loop.kernels()]
        return out

    def _constant_arrays(self, queue, pool):
        if self._constants is None:
            # (kept for the plan's lifetime, as a function's constants are)
            self._constants = {c: pool.upload(queue, c.data) for c in self.plan.constants()}
        return self._constants

    def run(self, node, ins, shapes, queue, pool, taken, n, outs=None):
        """Enqueue the loop; `ins` are the node's inputs after n_steps (DeviceArrays),
        `n` the number of steps, `outs` the output arrays when the caller gives them (a
        replayed call: compile/replay.py). Returns the outer output arrays and, with
        `until`, the number of steps run."""
        import pyopencl as cl
        op, plan = self.op, self.plan
        _, seqs, inits, nonseqs = op.split([None] + list(ins))
        if outs is None:
            outs = []
            for var in node.outputs[:len(node.outputs) - (op.cond is not None)]:
                arr = pool.alloc(shapes[var], var.dtype)
                taken.append(arr.buffer)
                outs.append(arr)
        states, nitsots = outs[:op.n_states], outs[op.n_states:]
        for init, buf in zip(inits, states):  # the initial rows
            if init.size:
                if not init.is_contiguous:
                    raise ClgraphError(f"internal error: {op}: initial rows are not contiguous")
                item = init.dtype.itemsize
                cl.enqueue_copy(queue, buf.buffer, init.buffer, byte_count=init.size * item,
                                src_offset=init.offset * item, dst_offset=0)
        if n == 0:
            return outs, 0
        known = op.inner_known([()] + [a.shape for a in ins])
        inner_shapes, inner_values = plan.infer_shapes(known)
        cond = None
        if op.cond is not None:
            cond = pool.alloc((n,), op.cond.dtype)
            taken.append(cond.buffer)
        # where each inner variable lies at step 0, and how far it moves per step
        env, moving = dict(self._constant_arrays(queue, pool)), {}
        for v, a in zip(op.seqs, seqs):
            env[v] = a.view(a.shape[1:], a.strides[1:], a.offset)
            moving[v] = a.strides[0]
        for t, buf, lag in zip(op.taps, states, op.lags):
            row = buf.strides[0]
            for k, v in t:
                env[v] = buf.view(buf.shape[1:], buf.strides[1:], (lag + k) * row)
                moving[v] = row
        for v, a in zip(op.nonseqs, nonseqs):
            env[v] = a
        preset = {}
        targets = [(buf, lag) for buf, lag in zip(states, op.lags)] + [(a, 0) for a in nitsots]
        if cond is not None:
            targets.append((cond, 0))
        for r, (buf, first) in zip(self.roots, targets):
            if r in inner_values:  # the same value every step: written once, to every row
                value = np.broadcast_to(np.asarray(inner_values[r], buf.dtype), (n,) + buf.shape[1:])
                row = buf.strides[0]
                cl.enqueue_copy(queue, buf.buffer, np.ascontiguousarray(value),
                                dst_offset=first * row * buf.dtype.itemsize, is_blocking=True)
                continue
            preset[r] = buf.view(buf.shape[1:], buf.strides[1:], first * buf.strides[0])
            moving[r] = buf.strides[0]
        recorder = LoopRecorder(plan, pool, moving)
        step_env = dict(env)
        flag = plan.enqueue(step_env, inner_shapes, inner_values, queue, pool, taken, recorder=recorder,
                            preset=preset)
        count = n
        self.replayed = recorder.refused is None
        self.refused = recorder.refused
        try:
            if cond is not None and _stops(queue, cond, 0):
                count = 1
            elif recorder.refused is None:
                for i in range(1, n):
                    recorder.replay(queue, i)
                    if cond is not None and _stops(queue, cond, i):
                        count = i + 1
                        break
            else:
                for i in range(1, n):
                    step_env = dict(env)
                    for v, d in moving.items():
                        if v in env:
                            step_env[v] = env[v].view(env[v].shape, env[v].strides, env[v].offset + i * d)
                    step_preset = {r: a.view(a.shape, a.strides, a.offset + i * moving[r])
                                   for r, a in preset.items()}
                    plan.enqueue(step_env, inner_shapes, inner_values, queue, pool, taken, preset=step_preset)
                    if cond is not None and _stops(queue, cond, i):
                        count = i + 1
                        break
        finally:
            recorder.release()
        if flag is not None:
            value = flag.enqueue_read(queue)
            queue.finish()
            if value[0]:
                raise plan.index_error(value[0])
        return outs, count


def _stops(queue, cond, i):
    """Whether the until condition of step i holds (a read: the loop waits for the step)."""
    import pyopencl as cl
    host = np.empty(1, cond.dtype)
    cl.enqueue_copy(queue, host, cond.buffer, src_offset=i * cond.dtype.itemsize, is_blocking=True)
    return bool(host[0])


class LoopRecorder:
    """Plan.enqueue's recorder for step 0 of a loop (the interface of replay.Replay):
    intermediates from buffers kept for the loop, launches noted with the offsets that
    move per step."""

    def __init__(self, plan, pool, moving):
        self.plan, self.pool = plan, pool
        self.fresh, self.in_place = set(), {}
        self.refused = None
        self.owned, self._free, self.launches = [], {}, []
        self.delta = dict(moving)  # base variable -> elements moved per step
        self.base = {}
        for step in plan.steps:
            if type(step) is ViewStep:
                src, out = step.node.inputs[0], step.node.outputs[0]
                self.base[out] = self.base.get(src, src)

    def refuse(self, why):
        if self.refused is None:
            self.refused = why

    def alloc(self, shape, dtype):
        dtype = np.dtype(dtype)
        nbytes = max(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize, 4)
        stack = self._free.get(nbytes)
        if stack:
            return DeviceArray(stack.pop(), shape, dtype)
        arr = self.pool.alloc(shape, dtype)
        self.owned.append(arr.buffer)
        return arr

    def give(self, buffer):
        self._free.setdefault(buffer.size, []).append(buffer)

    def upload(self, queue, value, keep=None):
        arr = self.pool.upload(queue, value, keep)
        self.owned.append(arr.buffer)
        return arr

    def launch(self, step, kernel, gsize, lsize, args, note):
        slots, offsets_follow = note
        operands = step.inputs + step.outputs
        patches = []
        for pos, src, with_offset in slots:
            if src >= len(operands):
                continue  # a scratch buffer: the loop's own
            var = operands[src]
            d = self.delta.get(self.base.get(var, var))
            if d is None:
                continue
            if not offsets_follow:
                self.refuse(f"{step.name} takes a moving operand without its offset")
                return
            if not with_offset:
                continue  # (its buffer again, its offset passed before: a reduce's unused partials)
            patches.append((pos + 1, int(args[pos + 1]), d))
        self.launches.append((kernel, gsize, lsize, list(args), tuple(patches)))

    def replay(self, queue, i):
        """Enqueue step i: the recorded launches with their offsets moved i steps."""
        import pyopencl as cl
        enqueue, owner = cl.enqueue_nd_range_kernel, self.plan.arg_owner
        for kernel, gsize, lsize, args, patches in self.launches:
            for pos, first, d in patches:
                args[pos] = first + i * d
            kernel.set_args(*args)
            owner[kernel] = None
            enqueue(queue, kernel, gsize, lsize)

    def release(self):
        """Give the loop's buffers back (later kernels that get one run after this loop's:
        the queue runs in order)."""
        for buf in self.owned:
            self.pool.give(buf)
        self.owned, self._free, self.launches = [], {}, []
