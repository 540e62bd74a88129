"""Repeated calls of a compiled function, replayed from a recording of one.

A generic call (Plan.enqueue) walks every step: views, buffers by liveness, launch
recipes, argument lists; some 20 us of Python per kernel, several times what PoCL
needs to run a small one. Calls of one signature (the same shapes everywhere, the same
layout of the shared variables) launch the same kernels with the same arguments except
for the buffers of the inputs, of the shared variables (swapped after a call) and of the
updates about to be swapped in, and for the offsets of views that move with host values
(the minibatch slice data[i * bs:(i + 1) * bs]). A Replay records one generic call, with
buffers of its own for the intermediates, notes where those few arguments sit, and a
later call puts them in and enqueues; a kernel whose arguments did not change is not
given them again.

A Replay keeps its intermediate buffers, and two buffers per update that it writes in
turn, until it is dropped (compile/function.py keeps a few signatures per function). Calls that check indices on the device, profile, or run
under the NaN guard always take the generic path."""
import numpy as np

from ..graph.basic import Constant
from ..runtime.arrays import DeviceArray
from ..shared import SharedVariable
from .steps import KernelStep, ViewStep

__all__ = ["Replay", "Memo"]

# where a patched argument comes from on each call
SHARED, INPUT, FRESH, OFFSET = range(4)
_LOOP = object()  # the "kernel" of a loop's entry in Replay.launches


class Memo(dict):
    """Results of the host-side index arithmetic by the host values they came from:
    ~1 us to look up against ~30 us of Python to redo it (the minibatch slices of an
    epoch's every step, again in the next epoch). Emptied when it is full."""
    LIMIT = 1 << 14

    def remember(self, key, value):
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = value
        return value


class Replay:
    """One signature's recorded launches. Plan.enqueue records into it (alloc, give,
    upload, launch, refuse); Function then calls finish() and, on later calls,
    activate() (once), offsets(), parity_for_call(), run() and array()."""

    def __init__(self, plan, pool, inputs, updates, dynamic):
        self.plan, self.pool = plan, pool
        self.input_index = {v: k for k, v in enumerate(inputs)}
        self.fresh = set(updates)  # updates not written in place (finish: those of kernels)
        self.dynamic = set(dynamic)  # host values that change between calls of the signature
        self.in_place = {}  # update result -> the shared variable it is written into
        self.refused = None  # why this call cannot be replayed, if it cannot
        self.owned, self._free = [], {}
        self.launches = []  # [(cl kernel, global size, local size, args, patches)]
        self.base, self.moving = {}, []  # view -> the variable owning its buffer; views whose offset moves
        self.moving_vars = moving = set()
        for step in plan.steps:
            if type(step) is ViewStep:  # (not a HostStep)
                node = step.node
                src, out = node.inputs[0], node.outputs[0]
                self.base[out] = self.base.get(src, src)
                if src in moving or any(i in self.dynamic for i in node.inputs[1:]):
                    moving.add(out)
                    self.moving.append((node, src))
            elif isinstance(step, KernelStep) and getattr(step.kernel, "needs_values", False):
                if any(i in self.dynamic for i in step.nodes[-1].inputs):
                    self.refuse("a kernel's launch depends on a host value that changes between calls")
        self.layouts = {}  # variable -> (shape, strides, offset) in the recorded call
        self.uploads, self._arrays, self.pairs, self.active = [], {}, {}, False
        self._offsets_memo = Memo()

    # -- recording (called by Plan.enqueue) -------------------------------------------
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
        """A result's last reader is enqueued: later steps of the call may reuse it."""
        self._free.setdefault(buffer.size, []).append(buffer)

    def upload(self, queue, value, keep=None):
        arr = self.pool.upload(queue, value, keep)
        self.owned.append(arr.buffer)
        return arr

    def launch(self, step, kernel, gsize, lsize, args, note):
        """Note one launch: which arguments change between calls, and from where."""
        slots, offsets_follow = note
        operands = step.inputs + step.outputs
        patches = []
        for pos, src, with_offset in slots:
            if src >= len(operands):
                continue  # a scratch buffer: this replay's own
            var = operands[src]
            source = self._source(self.base.get(var, var))
            if source is not None:
                patches.append((pos,) + source)
            if var in self.moving_vars:
                if not (with_offset and offsets_follow):
                    self.refuse(f"{step.name} takes a moving view without its offset")
                patches.append((pos + 1, OFFSET, var))
        self.launches.append((kernel, gsize, lsize, args, tuple(patches)))

    def record_loop(self, step, ins, n, outs):
        """Note a loop (compile/loop.py): a replayed call runs it again, with this call's
        buffers for its inputs and the replay's own for its outputs (its steps replay
        their own launches). Not for a loop whose length or inputs move with host values
        (nor, see Plan.enqueue, for one with `until`)."""
        node = step.node
        if node.inputs[0] in self.dynamic or node.inputs[0] in self.plan.host_input_set:
            self.refuse("a loop whose length is a host value that changes between calls")
        patches = []
        for pos, var in enumerate(node.inputs[1:]):
            if var in self.moving_vars:
                self.refuse("a loop reads a view that moves with host values")
            source = self._source(self.base.get(var, var))
            if source is not None:
                patches.append((pos,) + source)
        self.launches.append((_LOOP, step, n, [list(ins), outs], tuple(patches)))

    def _source(self, base):
        """(kind, key) of a buffer that changes between calls; None for a fixed one."""
        if isinstance(base, SharedVariable):
            return SHARED, base
        if base in self.in_place:
            return SHARED, self.in_place[base]
        if base in self.input_index:
            return INPUT, self.input_index[base]
        if base in self.fresh:
            return FRESH, base
        if base in self.plan.host_input_set or base in self.dynamic:
            self.refuse("a kernel reads a host value that changes between calls")
        return None

    def finish(self, env, inputs, out_vars, update_vars, updated):
        """After the recorded call: what each later call must upload, read and swap
        (`updated`: the shared variable of each update). Returns self, or None when this
        signature cannot be replayed."""
        if self.refused is None:
            for node, src in self.moving:
                for var in (src, node.outputs[0]):
                    arr = env[var]
                    self.layouts[var] = (arr.shape, arr.strides, arr.offset)
            self.uploads = [k for k, v in enumerate(inputs) if v in env and v not in self.plan.host_input_set]
            kernel_results = {v for s in self.plan.steps if isinstance(s, KernelStep) for v in s.outputs}
            self.fresh = {v for v in update_vars if v in kernel_results and v not in self.in_place}
            self._fresh_layouts = {v: (env[v].buffer.size, env[v].shape, env[v].dtype) for v in self.fresh}
            # (shared variable, update) of the updates written to pair buffers
            self.swapped = [(s, v) for s, v in zip(updated, update_vars) if v in self.fresh]
            for v in list(out_vars) + list(update_vars):
                if v not in env:
                    if v in update_vars:
                        self.refuse("an update is computed on the host")
                    continue  # an output computed on the host: its value comes with the shapes
                arr = env[v]
                base = self.base.get(v, v)
                source = self._source(base)
                self._arrays[v] = (source, arr.buffer if source is None else None, arr.shape, arr.strides,
                                   arr.offset, arr.dtype, v in self.layouts)
            # the common case, swapped without the general bookkeeping: each update is
            # one of the replay's pair buffers or was written in place
            self.swaps_fresh_only = len(set(update_vars)) == len(update_vars) and all(
                v in self.fresh or v in self.in_place for v in update_vars)
        if self.refused is not None:
            self.release()
            return None
        return self

    def activate(self):
        """Prepare for replaying, on the first replayed call (a signature seen once, such
        as the short last batch of a single epoch, costs no more than this):

        Two buffers of the replay's own per new update, used in turn: a call writes one
        while its shared variable holds the other: a call allocates nothing for its
        updates, and swapping them in is setting a container. The pool holds the buffers
        for the replay until it is released, so they never go back to the pool while it
        may use them. (A second kernel object per parity, whose arguments would then
        stay set, costs more to make, ~1 ms each, than giving a few buffers saves.)"""
        self.active = True
        self.pairs = {}
        for v, (nbytes, shape, dtype) in self._fresh_layouts.items():
            pair = []
            for _ in range(2):
                buf = self.pool.take(nbytes)
                self.pool.hold(buf)
                pair.append(DeviceArray(buf, shape, dtype))
            self.pairs[v] = pair
        self.fresh_buffers = [{v: pair[p].buffer for v, pair in self.pairs.items()} for p in (0, 1)]
        self.parity = 1

    def parity_for_call(self):
        """The buffer parity of this call: not the buffers the shared variables of the
        new updates hold now. None if both are taken (the generic path then runs)."""
        for p in (1 - self.parity, self.parity):
            if all(s.container.buffer is not self.pairs[v][p].buffer for s, v in self.swapped):
                self.parity = p
                return p
        return None

    def release(self):
        """Give this replay's buffers back to the pool (a later call that gets one writes
        it after the kernels already enqueued: the queue runs in order)."""
        for buf in self.owned:
            self.pool.give(buf)
        for pair in self.pairs.values():
            for arr in pair:
                self.pool.release(arr.buffer)
        self.owned, self._free, self.launches, self.pairs = [], {}, [], {}

    # -- replaying -------------------------------------------------------------------------
    def offsets(self, values, host_key=None):
        """{moving view: (shape, strides, offset)} for this call's host values; None if a
        view's shape or strides differ from the recording (then the generic path runs).
        `host_key`: the host input values `values` were computed from, to look them up."""
        if host_key is not None:
            known = self._offsets_memo.get(host_key, False)
            if known is False:
                known = self._offsets_memo.remember(host_key, self.offsets(values))
            return known
        layouts = {}
        for node, src in self.moving:
            shape, strides, offset = layouts.get(src) or self.layouts[src]
            args = [i.data if isinstance(i, Constant) else values.get(i) for i in node.inputs]
            if any(a is None for a in args[1:]):
                return None  # (a value computed from shapes, such as reshape(x, (x.shape[0], ...)) of a
                # givens slice: the quick path has only the host inputs' arithmetic; the caller
                # infers the shapes and tries again)
            got = node.op.view_of(shape, strides, offset, args)
            want = self.layouts[node.outputs[0]]
            if tuple(got[0]) != want[0] or tuple(got[1]) != want[1]:
                return None
            layouts[node.outputs[0]] = (want[0], want[1], int(got[2]))
        return layouts

    def run(self, queue, inputs, layouts, parity):
        """Enqueue every recorded launch with this call's buffers and offsets. A kernel
        that holds this launch's arguments from its last call is given only the buffers
        that changed (set_arg: 0.2 us; a scalar that way costs 11 us, so a moved offset
        sets all arguments at once: typed set_args, ~1 us)."""
        import pyopencl as cl
        enqueue, owner, fresh = cl.enqueue_nd_range_kernel, self.plan.arg_owner, self.fresh_buffers[parity]
        for kernel, gsize, lsize, args, patches in self.launches:
            if kernel is _LOOP:
                self._run_loop(queue, gsize, lsize, args, patches, inputs, fresh)
                continue
            every = owner.get(kernel) is not args
            for pos, kind, key in patches:
                if kind == OFFSET:
                    value = layouts[key][2]
                    if args[pos] != value:
                        args[pos], every = value, True
                    continue
                value = key.container.buffer if kind == SHARED else fresh[key] if kind == FRESH else inputs[key]
                if args[pos] is not value:
                    args[pos] = value
                    if not every:
                        kernel.set_arg(pos, value)
            if every:
                kernel.set_args(*args)
                owner[kernel] = args
            enqueue(queue, kernel, gsize, lsize)

    def _run_loop(self, queue, step, n, arrays, patches, inputs, fresh):
        ins, outs = arrays
        for pos, kind, key in patches:
            rec = ins[pos]
            buf = key.container.buffer if kind == SHARED else fresh[key] if kind == FRESH else inputs[key]
            if rec.buffer is not buf:
                ins[pos] = DeviceArray(buf, rec.shape, rec.dtype, rec.offset, rec.strides)
        shapes = {v: a.shape for v, a in zip(step.node.outputs, outs)}
        step.loop.run(step.node, ins, shapes, queue, self.pool, [], n, outs)

    def array_known(self, var):
        """Whether array() gives `var` (not a value computed on the host)."""
        return var in self._arrays

    def array(self, var, inputs, layouts, parity):
        """The DeviceArray of an output or update in this call (None: a host value)."""
        entry = self._arrays.get(var)
        if entry is None:
            return None
        source, buffer, shape, strides, offset, dtype, moves = entry
        if source is not None:
            kind, key = source
            if kind == FRESH:
                return self.pairs[key][parity]
            buffer = key.container.buffer if kind == SHARED else inputs[key]
        if moves:
            offset = layouts[var][2]
        return DeviceArray(buffer, shape, dtype, offset, strides)
