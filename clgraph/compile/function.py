"""clgraph.function: from symbolic inputs/outputs/updates/givens to a callable.

1. Substitute `givens` into copies of the outputs and update expressions.
2. Check the graph: every free variable is an input, a shared variable or a constant;
   updates have their shared variable's dtype; inputs are used.
3. Plan (fusion, kernel order) and build all kernels as one OpenCL program.
A call converts and uploads the arguments, infers every shape (raising shape errors
that name the user's line), enqueues all kernels, reads the outputs once, and only then
swaps the updated buffers into the shared variables: a failed call changes nothing.
"""
import functools
import time
import warnings
from collections import OrderedDict

import numpy as np

from ..config import config
from ..errors import (ClgraphError, DTypeError, InputError, MissingInputError, ShapeError, UnusedInputError,
                      node_message)
from ..graph.basic import Constant, Variable, ancestors, as_variable, clone_replace
from ..ops.shape import Reshape
from ..rewrite import rewrite
from ..runtime import device as _device
from ..runtime.arrays import Holding, materialize
from ..shared import SharedVariable, _pool
from .inputs import unpack_inputs
from .nanguard import NanGuard, guard_mode
from .plan import Plan
from .profile import Profiler
from .replay import Memo, Replay

__all__ = ["function", "Function", "PendingCall"]

# signatures (shape classes) per function whose recorded calls are kept for replay
MAX_REPLAYS = 4
_MISSING = object()  # (an argument not given yet)


def function(inputs, outputs=None, updates=None, givens=None, name=None, profile=False,
             on_unused_input="raise", allow_input_downcast=False, mode=None):
    """Compile a callable that computes `outputs` from `inputs` on the OpenCL device."""
    return Function(inputs, outputs, updates, givens, name, profile, on_unused_input, allow_input_downcast, mode)


def _pairs(value, what):
    if value is None:
        return []
    if isinstance(value, (dict, OrderedDict)):
        return list(value.items())
    pairs = list(value)
    for p in pairs:
        if not (isinstance(p, (tuple, list)) and len(p) == 2):
            raise TypeError(f"{what} must be a list of (variable, expression) pairs or a dict, got {p!r}")
    return [tuple(p) for p in pairs]


class Function:
    def __init__(self, inputs, outputs, updates, givens, name, profile, on_unused_input, allow_input_downcast,
                 mode=None):
        if on_unused_input not in ("raise", "warn", "ignore"):
            raise ValueError("on_unused_input must be 'raise', 'warn' or 'ignore'")
        started = time.perf_counter()
        # (what pickling needs to compile this function again: graphs and shared variables
        # pickle with their values, the compiled kernels come back from the disk cache)
        self._spec = (inputs, outputs, updates, givens, name, profile, on_unused_input, allow_input_downcast, mode)
        self.name, self.profile = name, profile
        self.nan_guard = guard_mode(mode)
        self.allow_input_downcast = allow_input_downcast
        self.device = _device.current()
        inputs, self._defaults, self._input_names, self._downcast = unpack_inputs(inputs)
        self.inputs = self._check_inputs(inputs)
        self.single_output = outputs is not None and not isinstance(outputs, (list, tuple))
        outs = [] if outputs is None else [outputs] if self.single_output else list(outputs)
        self.outputs = [as_variable(o) for o in outs]
        self.updates = self._check_updates(_pairs(updates, "updates") + self._default_updates(updates))
        replace = self._check_givens(_pairs(givens, "givens"))
        roots = clone_replace(self.outputs + [e for _, e in self.updates], replace)
        self._out_vars = roots[:len(self.outputs)]
        self._update_vars = [_own_buffer(v) for v in roots[len(self.outputs):]]
        self._check_graph(self._out_vars + self._update_vars, on_unused_input)
        roots = rewrite(self._out_vars + self._update_vars)
        self._out_vars, self._update_vars = roots[:len(self.outputs)], roots[len(self.outputs):]
        # integer scalar inputs are known on the host at call time: indices and slice
        # bounds computed from them (givens={x: data[i * bs:(i + 1) * bs]}) need no sync
        self._host_inputs = [v for v in self.inputs if v.ndim == 0 and np.dtype(v.dtype).kind in "iub"]
        self.plan = Plan(roots, self.device, self._host_inputs)
        self.plan.plan_in_place([(s, v) for (s, _), v in zip(self.updates, self._update_vars)], self._out_vars)
        self._constants = {}
        pool = _pool(self.device)
        for c in self.plan.constants():
            self._constants[c] = pool.upload(self.device.queue, c.data)
        self._shared = [v for v in ancestors(self.plan.roots) if isinstance(v, SharedVariable)]
        self._replays = OrderedDict()  # signature -> Replay, or None where a call cannot be replayed
        self._quick = {}  # _quick_key -> [(signature, Replay)], the latest first
        self._host_memo = Memo()  # host input values -> their index arithmetic (a replayed call's)
        self.profiler = Profiler(name, [k.name for k in self.plan.kernels],
                                 time.perf_counter() - started) if profile else None

    # -- checks at compile time ---------------------------------------------------------
    def _check_inputs(self, inputs):
        if isinstance(inputs, Variable):
            inputs = [inputs]
        inputs = list(inputs)
        for i, v in enumerate(inputs):
            if not isinstance(v, Variable) or isinstance(v, Constant):
                raise TypeError(f"function: input {i} must be a symbolic variable, got {v!r}")
            if isinstance(v, SharedVariable):
                raise TypeError(f"function: input {i} ({v!r}) is a shared variable; shared variables are "
                                "implicit inputs: use them in the graph, or pass them via givens")
            if v.owner is not None:
                raise TypeError(f"function: input {i} ({v!r}) is computed by {v.owner.op}; inputs must be "
                                "free variables (T.matrix(), ...)")
        if len(set(inputs)) != len(inputs):
            raise ValueError("function: the same variable is given twice as an input")
        return inputs

    def _check_updates(self, pairs):
        seen, out = set(), []
        for shared_var, expr in pairs:
            if not isinstance(shared_var, SharedVariable):
                raise TypeError(f"updates: {shared_var!r} is not a shared variable; only shared variables "
                                "can be updated")
            if shared_var in seen:
                raise ValueError(f"updates: shared variable {shared_var!r} is updated twice")
            seen.add(shared_var)
            expr = as_variable(expr)
            if isinstance(expr, Constant):
                from ..graph.basic import constant
                from ..tensor.basic import second
                if expr.weak:
                    expr = constant(expr.data.item(), shared_var.dtype)
                expr = second(shared_var, expr) if expr.ndim <= shared_var.ndim else expr
            if expr.dtype != shared_var.dtype:
                raise DTypeError(node_message(expr, f"updates: the update of {shared_var!r} ({shared_var.dtype}) "
                                                    f"has dtype {expr.dtype}; cast it with .astype('{shared_var.dtype}')"))
            if expr.ndim != shared_var.ndim:
                raise ShapeError(node_message(expr, f"updates: the update of {shared_var!r} has ndim {expr.ndim}, "
                                                    f"the shared variable has ndim {shared_var.ndim}"))
            out.append((shared_var, expr))
        return out

    def _default_updates(self, updates):
        """(shared, shared.default_update) for shared variables the graph uses that
        carry one (random stream states) and that `updates` does not already name."""
        named = {s for s, _ in _pairs(updates, "updates")}
        pending = [as_variable(e) for _, e in _pairs(updates, "updates")] + list(self.outputs)
        found, seen = [], set()
        while pending:
            roots = [v for v in pending if v not in seen]
            pending = []
            for v in ancestors(roots):
                if v in seen:
                    continue
                seen.add(v)
                default = getattr(v, "default_update", None)
                if isinstance(v, SharedVariable) and default is not None and v not in named:
                    named.add(v)
                    found.append((v, default))
                    pending.append(default)
        return found

    def _check_givens(self, pairs):
        replace = {}
        for var, value in pairs:
            if not isinstance(var, Variable):
                raise TypeError(f"givens: {var!r} is not a symbolic variable")
            value = as_variable(value)
            if value.dtype != var.dtype or value.ndim != var.ndim:
                raise DTypeError(node_message(value, f"givens: {var.describe()} cannot be replaced by "
                                                     f"{value.describe()}: dtype and ndim must match"))
            replace[var] = value
        return replace

    def _check_graph(self, roots, on_unused_input):
        needed = ancestors(roots)
        given = set(self.inputs)
        for v in needed:
            if v.owner is None and not isinstance(v, (Constant, SharedVariable)) and v not in given:
                raise MissingInputError(node_message(
                    v, f"function: the graph needs {v.describe()}, which is not in the inputs "
                       "(add it to the inputs, or replace it with givens)"))
        for i, v in enumerate(self.inputs):
            if v not in needed:
                message = (f"function: input {i} ({v.describe()}) is not used to compute any output or update "
                           "(pass on_unused_input='ignore' to allow this)")
                if on_unused_input == "raise":
                    raise UnusedInputError(message)
                if on_unused_input == "warn":
                    warnings.warn(message, stacklevel=4)

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs, True)

    def call_async(self, *args, **kwargs):
        """Start a call; returns a PendingCall whose result() gives the outputs. A call
        replayed from a recording only enqueues its kernels and reads: its updates are
        already swapped in (the device runs calls in order), so the host can prepare the
        next call while the device runs this one. Other calls finish before returning.
        (A device failure found by result() then cannot undo the updates.)"""
        return self._call(args, kwargs, False)

    def _call(self, args, kwargs, wait):
        args = self._bind(args, kwargs)
        dev = self.device
        queue, pool = (self.profiler.begin(dev) if self.profiler else dev.queue), _pool(dev)
        on_launch = self._launch_hook(queue)
        arrays = [self._convert(i, v, a) for i, (v, a) in enumerate(zip(self.inputs, args))]
        host_values = {v: a for v, a in zip(self.inputs, arrays) if v in self.plan.host_input_set}
        replaying = on_launch is None and not self.plan.checks_indices and self.plan.kernels and config.replay_calls
        quick_key = self._quick_key(arrays) if replaying else None
        if quick_key in self._quick:
            # a recorded signature found without inferring any shape (see ShapeCache.values_alone);
            # the index arithmetic of these host values, and the views' offsets, as last time
            host_key = tuple(a.item() for a in host_values.values())
            values = self._host_memo.get(host_key)
            if values is None:
                values = self._host_memo.remember(host_key, self.plan.infer_shapes.host_values(host_values))
            for key, replay in self._quick[quick_key]:
                pending = self._replay(key, replay, arrays, values, queue, pool, wait, host_key)
                if pending is not None:
                    return pending.result() if wait else pending
        known = {v: a.shape for v, a in zip(self.inputs, arrays)}
        known.update((s, s.container.shape) for s in self._shared)
        shapes, values = self.plan.infer_shapes(known, host_values)
        recorder = None
        if replaying:
            # (no replay while two shared variables hold one buffer: _quick_key is None)
            key = self.plan.infer_shapes.key if quick_key is not None else None
            replay = self._replays.get(key, False) if key is not None else None
            if replay:
                pending = self._replay(key, replay, arrays, values, queue, pool, wait)
                if pending is not None:
                    return pending.result() if wait else pending
            elif replay is False:  # a new signature: record this call to replay the next
                recorder = Replay(self.plan, pool, self.inputs, self._update_vars, self.plan.infer_shapes.dynamic)
        if self.plan.dynamic:  # (the loop updates them: not the cached ones)
            shapes, values = dict(shapes), dict(values)
        # (a replayed call's shapes are its recording's, which passed this check)
        self._check_update_shapes(shapes)
        env = dict(self._constants)
        for s in self._shared:
            env[s] = s.container
        taken = Holding()
        try:
            for v, a in zip(self.inputs, arrays):
                if v in self.plan.host_input_set:
                    continue  # used on the host; uploaded by the plan if a kernel reads it
                arr = env[v] = pool.upload(queue, a)
                taken.append(arr.buffer)
            flag = self.plan.enqueue(env, shapes, values, queue, pool, taken, on_launch,
                                     in_place=not (self.nan_guard or config.nan_guard), recorder=recorder)
            for v in self._update_vars:
                if v not in env:  # an update computed from shapes alone
                    env[v] = pool.upload(queue, values[v])
                    taken.append(env[v].buffer)
            hosts = [env[v].enqueue_read(queue) if v in env else values[v].copy() for v in self._out_vars]
            flag_host = flag.enqueue_read(queue) if flag is not None else None
            queue.finish()
            if flag_host is not None and flag_host[0]:
                raise self.plan.index_error(flag_host[0])
            results = [materialize(h) for h in hosts]
        except BaseException:
            queue.finish()
            for b in taken:
                pool.give(b)
            if recorder is not None:
                recorder.release()
            if self.profiler:
                self.profiler.abort()
            raise
        if recorder is not None:
            replay = recorder.finish(env, self.inputs, self._out_vars, self._update_vars,
                                     [s for s, _ in self.updates])
            self._keep_replay(key, replay)
            if replay is not None and quick_key is not None and self.plan.infer_shapes.values_alone \
                    and all(replay.array_known(v) for v in self._out_vars):
                self._quick.setdefault(quick_key, []).insert(0, (key, replay))
        self._swap([env[var] for var in self._update_vars], taken, pool)
        if self.profiler:
            self.profiler.end()
        if not wait:
            return PendingCall(results, (), self.single_output)
        return results[0] if self.single_output else results

    def _quick_key(self, arrays):
        """The inputs' and shared variables' shapes, by which a replayed call finds its
        recording without inferring shapes; None when two shared variables hold one
        buffer (after updates=[(a, b)])."""
        containers = [s.container for s in self._shared]
        if len({id(c.buffer) for c in containers}) != len(containers):
            return None
        return tuple(a.shape for a in arrays), tuple(c.shape for c in containers)

    def _keep_replay(self, key, replay):
        """Keep the last few signatures' replays (None: this signature is not replayable)."""
        if len(self._replays) >= MAX_REPLAYS:
            old_key = next(iter(self._replays))
            old = self._replays.pop(old_key)
            if old is not None:
                for quick_key, entries in list(self._quick.items()):
                    entries[:] = [e for e in entries if e[1] is not old]
                    if not entries:
                        del self._quick[quick_key]
                # (kernels of a call still running may read its buffers: a later call that
                # gets one from the pool writes it after them, the queue runs in order)
                old.release()
        self._replays[key] = replay

    def _replay(self, key, replay, arrays, values, queue, pool, wait, host_key=None):
        """A call of a recorded signature (compile/replay.py) as a PendingCall; None when
        this call's moving views do not fit the recording (the caller then takes the
        generic path). Without `wait`, it returns once the kernels and reads are
        enqueued (after uploads, which pyopencl waits for, it waits anyway). Buffers go
        back to the pool before the device is done with them: the queue runs in order,
        so a later call that gets one writes it after this call's kernels."""
        layouts = replay.offsets(values, host_key)
        if layouts is None:
            return None
        self._replays.move_to_end(key)
        if not replay.active:
            replay.activate()
        parity = replay.parity_for_call()
        if parity is None:
            return None
        wait = wait or bool(replay.uploads)
        taken = Holding()
        try:
            inputs = {}
            for k in replay.uploads:
                arr = pool.upload(queue, arrays[k])
                taken.append(arr.buffer)
                inputs[k] = arr.buffer
            replay.run(queue, inputs, layouts, parity)
            hosts, events = [], []
            for v in self._out_vars:
                arr = replay.array(v, inputs, layouts, parity)
                if arr is None:
                    hosts.append(values[v].copy())
                elif arr.is_contiguous and arr.size:
                    host, event = arr.start_read(queue)
                    hosts.append(host)
                    events.append(event)
                else:
                    hosts.append(arr.enqueue_read(queue))
                    wait = True
            new = None if replay.swaps_fresh_only else \
                [replay.array(v, inputs, layouts, parity) for v in self._update_vars]
            if wait:
                queue.finish()
                events = ()
            elif not events:
                import pyopencl as cl
                events = [cl.enqueue_marker(queue)]
        except BaseException:
            queue.finish()
            for b in taken:
                pool.give(b)
            raise
        if new is not None:
            self._swap(new, taken, pool)
        else:
            # every update was written in place or into the replay's buffer of this
            # parity, which its shared variable now takes; the inputs' go back to the pool
            pairs = replay.pairs
            for shared_var, var in replay.swapped:
                shared_var.container = pairs[var][parity]
            for k in replay.uploads:
                pool.give(inputs[k])
        return PendingCall(hosts, events, self.single_output)

    def _swap(self, new, taken, pool):
        """Swap the updated arrays into their shared variables; give back the call's
        other buffers. Holding every new buffer first keeps a buffer that moves from one
        shared variable to another (updates=[(a, b), (b, a)]) from being freed."""
        for arr in new:
            pool.hold(arr.buffer)
        for (shared_var, _), arr in zip(self.updates, new):
            if shared_var.container is not arr:  # (written in place: nothing to swap)
                shared_var.container = arr
        for arr in new:
            pool.release(arr.buffer)
        adopted = {arr.buffer.int_ptr for arr in new}
        for b in taken:
            if b.int_ptr not in adopted:
                pool.give(b)

    def _launch_hook(self, queue):
        """What runs after each kernel launch (None, the fast path, when neither is on):
        the profiler's bookkeeping and the NaN guard."""
        guard = NanGuard(queue) if self.nan_guard or config.nan_guard else None
        record = self.profiler.record if self.profiler else None
        if guard and record:
            return lambda *launch: (record(*launch), guard(*launch))
        return guard or record

    def profile_report(self, file=None):
        """Per-kernel time, share, bytes and GB/s (GFLOP/s for GEMM) and the host
        overhead per call, as text (also written to `file` when given)."""
        if self.profiler is None:
            raise ClgraphError(f"{self._what()} was compiled without profiling; pass profile=True to "
                               "clgraph.function to get a profile report")
        return self.profiler.report(file)

    def _bind(self, args, kwargs):
        if kwargs or (self._defaults and len(args) < len(self.inputs)):
            given = len(args)
            args = list(args) + [_MISSING] * (len(self.inputs) - len(args))
            by_name = {name: k for k, name in enumerate(self._input_names) if name}
            for key, value in kwargs.items():
                if key not in by_name:
                    raise InputError(f"{self._what()} has no input named {key!r}; inputs: "
                                     f"{self._input_names}")
                if by_name[key] < given:
                    raise InputError(f"{self._what()}: input {key!r} given both by position and by name")
                args[by_name[key]] = value
            for k, value in self._defaults.items():  # (clgraph.In(x, value=...))
                if args[k] is _MISSING:
                    args[k] = value
            missing = [self._input_names[k] or str(k) for k, a in enumerate(args) if a is _MISSING]
            if missing:
                raise InputError(f"{self._what()}: missing input(s) {', '.join(missing)} (inputs: "
                                 f"{', '.join(v.describe() for v in self.inputs)})")
        if len(args) != len(self.inputs):
            raise InputError(f"{self._what()} takes {len(self.inputs)} argument(s) "
                             f"({', '.join(v.describe() for v in self.inputs) or 'none'}), got {len(args)}")
        return args

    def _what(self):
        return f"function {self.name!r}" if self.name else "the compiled function"

    def _convert(self, k, var, value):
        """The argument as a contiguous array of the input's dtype (lossless casts only,
        unless allow_input_downcast), with the input's rank."""
        want = np.dtype(var.dtype)
        downcast = self._downcast.get(k, self.allow_input_downcast)
        if type(value) is int and var.ndim == 0 and want.kind in "iu":  # (a minibatch index: the common case)
            low, high = _int_range(want)
            if low <= value <= high:
                return np.asarray(value, dtype=want)

        def where():  # (built only for an error: it costs more than the conversion)
            return f"{self._what()}: input {k} ({var.describe()})"
        python_value = not isinstance(value, np.ndarray) and not isinstance(value, np.generic)
        try:
            arr = np.asarray(value)
        except Exception as exc:
            raise InputError(f"{where()}: cannot convert {type(value).__name__} to an array: {exc}") from None
        if arr.dtype == object:
            raise InputError(f"{where()}: cannot use a {type(value).__name__} as a numeric array")
        if arr.dtype != want:
            ok = np.can_cast(arr.dtype, want, "safe")
            if not ok and (python_value or downcast):
                # Python numbers are converted by value (2 -> 2.0f), as in Theano
                converted = arr.astype(want)
                ok = downcast or (want.kind == "f" and arr.dtype.kind in "biuf") or \
                    np.array_equal(converted, arr)
                arr = converted if ok else arr
            if not ok:
                raise InputError(f"{where()}: got a {arr.dtype} array; converting it to {want} could lose "
                                 f"information (cast it first, or pass allow_input_downcast=True to function)")
            arr = arr.astype(want)
        if arr.ndim != var.ndim:
            raise InputError(f"{where()}: expected ndim {var.ndim}, got an array of shape {arr.shape}")
        for axis, (b, n) in enumerate(zip(var.broadcastable, arr.shape)):
            if b and n != 1:
                raise InputError(f"{where()}: axis {axis} is broadcastable and must have length 1, "
                                 f"got shape {arr.shape}")
        return arr

    def _check_update_shapes(self, shapes):
        for (shared_var, _), var in zip(self.updates, self._update_vars):
            shape = shapes.get(var, None)
            if shape is None:
                continue
            for axis, (b, n) in enumerate(zip(shared_var.broadcastable, shape)):
                if b and n != 1:
                    raise ShapeError(node_message(var, f"updates: {shared_var!r} is broadcastable on axis {axis} "
                                                       f"but its update has shape {shape}"))

    @property
    def kernels(self):
        """The kernels one call launches, in order: `.name`, `.source` (OpenCL C) and
        `.template` (the file it was rendered from). A loop's step kernels follow,
        named `<loop>/<kernel>` (`Scan{name}/k0_gemm`): each runs once per step."""
        from ..codegen.render import Kernel
        out = list(self.plan.kernels)
        for loop in self.plan.loops():
            out += [Kernel(f"{loop.op}/{k.name}", k.source, k.template, k.family) for k in loop.kernels()]
        return out

    def __reduce__(self):
        """Pickled as its inputs, outputs, updates and givens (shared variables with their
        values); unpickling compiles it again on the current device."""
        return (_rebuild, self._spec)

    def __repr__(self):
        return f"<clgraph Function {self.name or ''} ({len(self.kernels)} kernels on {self.device.name})>"


class PendingCall:
    """A started call (Function.call_async). result() waits for the call's reads (the
    last of them, or a marker, completes after every kernel of the call) and returns
    the outputs as __call__ would."""
    __slots__ = ("_hosts", "_events", "_single", "_results")

    def __init__(self, hosts, events, single):
        self._hosts, self._events, self._single, self._results = hosts, events, single, None

    def result(self):
        if self._results is None:
            for event in self._events:
                event.wait()
            self._results = [materialize(h) for h in self._hosts]
            self._hosts, self._events = None, ()
        return self._results[0] if self._single else self._results


@functools.lru_cache(maxsize=None)
def _int_range(dtype):
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _own_buffer(var):
    """An update must end in a buffer of its own, laid out contiguously: a view gets
    an explicit copy kernel (free variables and kernel results need none), except a
    reshape of a kernel result, which is that result's own contiguous buffer (conv2d's
    NCHW result is its product reshaped: no 6 MB copy per call)."""
    node = var.owner
    if node is not None and node.op.view:
        src = node.inputs[0].owner
        if isinstance(node.op, Reshape) and src is not None and not src.op.view and len(src.outputs) == 1:
            return var
        from ..tensor.basic import identity
        return identity(var)
    return var


def _rebuild(*spec):
    """A pickled Function compiled again (see Function.__reduce__)."""
    return Function(*spec)
