"""The kernel plan of a compiled function: which kernels run in which order, on which
buffers, and how every intermediate shape follows from the input shapes.

nodes (toposorted) -> steps:
  KernelStep  a fused group of Elemwise nodes, or one node of another family (reduce,
              gemm, ...), rendered from its template; all kernels form one program
  ViewStep    a view (DimShuffle, slices): new strides on the same buffer, no copy
  HostStep    a node computed on the host from shapes alone (x.shape, x.shape[0] * 2):
              its value is known before any launch and uploaded only if a kernel reads it
  LoopStep    an op that drives other kernels from the host (jacobian's rows)
"""
import re

import numpy as np

from ..codegen.families import FAMILIES
from ..codegen.families.elemwise import ElemwiseKernel
from ..codegen.lookup import template_file
from ..codegen.program import build_program
from ..codegen.render import Kernel, render
from ..errors import ClgraphError, node_message
from ..graph.basic import Constant, toposort
from ..codegen.families.gemm import GemmKernel  # noqa: E402  (after FAMILIES: import order)
from ..codegen.families.reduce import ReduceKernel
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce
from ..ops.shape import is_contiguous
from .fusion import elemwise_groups

__all__ = ["Plan", "infer_shapes", "host_nodes"]

# a host-computed value larger than this is not worth computing on the host
HOST_VALUE_LIMIT = 64


class KernelStep:
    """A driver with `variants` (kernel names) renders several kernels into the program;
    its launch() returns the name of the one to run as a fourth value. A driver with
    `arg_dtypes` (numpy dtypes of the scalar arguments, None for buffers) gets typed
    kernels, whose set_args is much faster than with untyped numpy scalars."""
    __slots__ = ("kernel", "cl_kernel", "inputs", "outputs", "nodes", "name", "variants", "launch_cache")

    def __init__(self, kernel, inputs, outputs, nodes):
        self.kernel, self.inputs, self.outputs, self.nodes = kernel, inputs, outputs, nodes
        self.name = kernel.name
        self.cl_kernel = None
        self.variants = {}
        self.launch_cache = {}


class ViewStep:
    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node


class HostStep(ViewStep):
    __slots__ = ()


class LoopStep(ViewStep):
    __slots__ = ()


def host_nodes(nodes, host_inputs=()):
    """Nodes whose outputs are known on the host before any launch: Shape nodes, and
    host-evaluable nodes whose inputs are such outputs, integer scalar inputs (the
    minibatch index of `givens`) or constants."""
    from_shapes, result = set(host_inputs), set()

    def small_constant(v):
        return isinstance(v, Constant) and v.data.size <= HOST_VALUE_LIMIT

    for node in nodes:
        op = node.op
        if getattr(op, "host_only", False) or (
                getattr(op, "host_evaluable", False)
                and all(i in from_shapes or small_constant(i) for i in node.inputs)
                and (any(i in from_shapes for i in node.inputs) or not op.view)):
            result.add(node)
            from_shapes.update(node.outputs)
    return result


def infer_shapes(nodes, known, hosted=frozenset(), known_values=None):
    """({var: shape}, {var: host value}) for every variable of `nodes` (toposorted),
    from the shapes of the free variables (and the values of host-known inputs)."""
    shapes, values = dict(known), dict(known_values or {})
    for node in nodes:
        in_shapes = [shapes[i] if i in shapes else _const_shape(i) for i in node.inputs]
        in_values = [values.get(i, i.data if isinstance(i, Constant) else None) for i in node.inputs]
        out = node.op.infer_shape(node, in_shapes, in_values)
        for var, shape in zip(node.outputs, out):
            shapes[var] = tuple(int(s) for s in shape)
        if node in hosted:
            op = node.op
            outs = op.host_value(node, in_shapes) if op.host_only else op.perform(node, in_values)
            for var, value in zip(node.outputs, outs):
                if np.size(value) > HOST_VALUE_LIMIT:
                    raise ClgraphError(node_message(node, f"{node.op}: a value computed from shapes has "
                                                          f"{np.size(value)} elements; that is not a shape"))
                values[var] = np.asarray(value, dtype=var.dtype)
    return shapes, values


class Plan:
    def __init__(self, roots, device, host_inputs=()):
        self.device = device
        self.roots = roots
        self.nodes = toposort(roots)
        self.host_inputs = list(host_inputs)
        self.hosted = host_nodes(self.nodes, self.host_inputs)
        self.steps = self._make_steps()
        self.checks_indices = any(getattr(s.kernel, "checks_indices", False) for s in self.steps
                                  if isinstance(s, KernelStep))
        self.kernels, self.program_source = self._render()
        self._build()
        self._shape_cache = {}
        self._value_split = self._split_value_nodes()
        self._release_after = self._plan_releases()
        self._in_place = {}  # filled by plan_in_place
        self._uploaded = {}  # (variable, value bytes) -> DeviceArray of a host-computed value

    # -- planning --------------------------------------------------------------------
    def _make_steps(self):
        device_nodes = [n for n in self.nodes if n not in self.hosted]
        groups = elemwise_groups(device_nodes)
        unit_of = {n: ("g", k) for k, g in enumerate(groups) for n in g}
        self._fuse_prologues(device_nodes, groups, unit_of)
        epilogue_of = self._fuse_epilogues(device_nodes, groups, unit_of)
        units = {}
        for node in self.nodes:
            unit_of.setdefault(node, ("n", id(node)))
            units.setdefault(unit_of[node], []).append(node)
        used_outside = set(self.roots)
        for node in self.nodes:
            for inp in node.inputs:
                if inp.owner is not None and unit_of[inp.owner] != unit_of[node]:
                    used_outside.add(inp)
        steps = []
        for members in self._schedule(units, unit_of):
            node = members[-1]
            k = sum(isinstance(s, KernelStep) for s in steps)
            op = node.op
            if node in self.hosted:
                steps.append(HostStep(node))
            elif epilogue_of.intersection(members):
                (dot,) = epilogue_of.intersection(members)
                tail = [m for m in members if m is not dot]
                kern = GemmKernel(f"k{k}_gemm", dot, tail, _external_inputs(tail))
                outputs = [tail[-1].outputs[0]]
                steps.append(KernelStep(kern, kern.buffer_inputs, outputs, members))
            elif isinstance(op, Elemwise):
                inputs = _external_inputs(members)
                outputs = [n.outputs[0] for n in members if n.outputs[0] in used_outside]
                name = f"k{k}_" + "_".join(dict.fromkeys(str(n.op) for n in members))
                kern = ElemwiseKernel(re.sub(r"\W", "_", name)[:48], members, inputs, outputs, is_contiguous)
                steps.append(KernelStep(kern, kern.buffer_inputs, outputs, members))
            elif op.view:
                steps.append(ViewStep(node))
            elif getattr(op, "host_loop", False):
                steps.append(LoopStep(node))
            elif isinstance(op, Reduce) and len(members) > 1:
                prologue = members[:-1]
                kern = ReduceKernel(f"k{k}_reduce", node, prologue, _external_inputs(prologue))
                steps.append(KernelStep(kern, kern.buffer_inputs, node.outputs, members))
            elif op.family in FAMILIES:
                name = re.sub(r"\W", "_", f"k{k}_{op.family}")
                kern = FAMILIES[op.family](name, node)
                steps.append(KernelStep(kern, kern.buffer_inputs, node.outputs, [node]))
            else:
                raise ClgraphError(node_message(node, f"{op} has no OpenCL implementation in clgraph yet"))
        return steps

    def _fuse_prologues(self, nodes, groups, unit_of):
        """An elementwise group whose only result feeds one reduction runs inside the
        reduction kernel: sum(x ** 2) reads x once and writes nothing in between."""
        consumers = {}
        for node in self.nodes:
            for i in node.inputs:
                consumers.setdefault(i, []).append(node)
        roots = set(self.roots)
        for node in nodes:
            if not isinstance(node.op, Reduce):
                continue
            x = node.inputs[0]
            unit = unit_of.get(x.owner)
            if unit is None or unit[0] != "g" or x in roots or consumers.get(x) != [node]:
                continue
            members = groups[unit[1]]
            inside = set(members)
            needed = [n.outputs[0] for n in members
                      if n.outputs[0] in roots or any(c not in inside for c in consumers.get(n.outputs[0], []))]
            if needed == [x]:
                for n in members:
                    unit_of[n] = ("n", id(node))
                unit_of[node] = ("n", id(node))

    def _fuse_epilogues(self, nodes, groups, unit_of):
        """An elementwise group that consumes a matrix product and nothing else needs
        runs as the GEMM kernel's epilogue: tanh(dot(x, W) + b) is one kernel that
        writes only its result. The product must feed only that group, and the group
        must leave one result, of the product's dtype and broadcast pattern."""
        consumers = {}
        for node in self.nodes:
            for i in node.inputs:
                consumers.setdefault(i, []).append(node)
        roots, fused, claimed = set(self.roots), set(), set()
        for node in nodes:
            if node.op.family != "gemm" or node.outputs[0].ndim != 2 or node.inputs[0].ndim != 2 \
                    or node.inputs[1].ndim != 2:
                continue
            d = node.outputs[0]
            users = consumers.get(d, [])
            unit = unit_of.get(users[0]) if users else None
            if d in roots or unit is None or unit[0] != "g" or unit in claimed \
                    or any(unit_of.get(u) != unit for u in users):
                continue  # (a group that sums two products takes only the first as its epilogue)
            members = groups[unit[1]]
            inside = set(members)
            needed = [n.outputs[0] for n in members
                      if n.outputs[0] in roots or any(c not in inside for c in consumers.get(n.outputs[0], []))]
            if len(needed) != 1 or needed[0] is not members[-1].outputs[0] or needed[0].dtype != d.dtype \
                    or needed[0].broadcastable != d.broadcastable:
                continue
            unit_of[node] = unit
            fused.add(node)
            claimed.add(unit)
        return fused

    def _schedule(self, units, unit_of):
        """Units (fused groups or single nodes) in an order that respects data flow."""
        # a host node (x.shape) is computed before any launch: it waits for no kernel
        deps = {u: {unit_of[i.owner] for n in ns if n not in self.hosted for i in n.inputs
                    if i.owner is not None} - {u}
                for u, ns in units.items()}
        where = {n: k for k, n in enumerate(self.nodes)}
        pos = {u: min(where[n] for n in ns) for u, ns in units.items()}
        done, order = set(), []
        pending = sorted(units, key=pos.__getitem__)
        while pending:
            for u in pending:
                if deps[u] <= done:
                    break
            else:
                raise ClgraphError("internal error: fused kernels depend on each other in a cycle")
            pending.remove(u)
            done.add(u)
            order.append(units[u])
        return order

    def _render(self):
        kernels, texts, helpers, fp64 = [], [], set(), False
        bodies, self._same_code = {}, {}
        for step in self.steps:
            if not isinstance(step, KernelStep):
                continue
            kern = step.kernel
            text = render(kern.template, **kern.render_kwargs())
            k_helpers = set(re.findall(r"\bclg_\w+", text))
            k_fp64 = "float64" in kern.dtypes
            if k_fp64:
                self.device.require_fp64(node_message(step.nodes[-1], f"{step.nodes[-1].op}"))
            # a body already in the program (the same update for six parameters) is
            # compiled once: this step's kernels are made from the first one's
            body = text.replace(step.name, "\0")
            first = bodies.setdefault(body, step.name)
            if first == step.name:
                texts.append(text)
            else:
                self._same_code[step] = first
            helpers |= k_helpers
            fp64 |= k_fp64
            source = render("program.cl.mako", kernels=[text], fp64=k_fp64, helpers=k_helpers)
            kernels.append(Kernel(kern.name, source.strip() + "\n", template_file(kern.template), kern.family))
        program = render("program.cl.mako", kernels=texts, fp64=fp64, helpers=helpers) if texts else ""
        return kernels, program

    def _build(self):
        if not self.program_source:
            return
        import pyopencl as cl
        program = build_program(self.device, self.program_source)
        self._typed = set()  # kernels whose argument types pyopencl knows
        for step in self.steps:
            if isinstance(step, KernelStep):
                names = getattr(step.kernel, "variants", None)
                first = self._same_code.get(step, step.name)
                if names:
                    step.variants = {n: cl.Kernel(program, n.replace(step.name, first, 1)) for n in names}
                else:
                    step.cl_kernel = cl.Kernel(program, first)
                # typed arguments: set_args costs well under 1 us per argument instead of ~10
                typed = getattr(step.kernel, "kernel_arg_dtypes", None)
                dtypes = getattr(step.kernel, "arg_dtypes", None)
                for kname, k in step.variants.items() if names else [(step.name, step.cl_kernel)]:
                    if typed or dtypes:
                        k.set_scalar_arg_dtypes(typed(kname) if typed else dtypes)
                        self._typed.add(k)

    # -- shapes ------------------------------------------------------------------------
    def _split_value_nodes(self):
        """The nodes whose results depend on the values of host-known inputs (index
        arithmetic, and the slices it feeds: data[i * bs:(i + 1) * bs]), and the rest,
        whose shapes follow from the shapes alone. None when the first group needs a
        shape from the second (then nothing is cached by shape)."""
        value_vars, first = set(self.host_inputs), []
        for node in self.nodes:
            if any(i in value_vars for i in node.inputs):
                first.append(node)
                if node in self.hosted:
                    value_vars.update(node.outputs)
        inside = set(first)
        for node in first:
            for i in node.inputs:
                if i.owner is not None and i.owner not in inside:
                    return None
        return first, [n for n in self.nodes if n not in inside]

    def infer_shapes(self, known, known_values=None):
        """(shapes, host values) of every variable, given {variable: shape} for the free
        ones and the values of host-known inputs. The value-dependent nodes are
        evaluated on each call (a few index computations); the rest is cached by the
        shapes they see, so the calls of an epoch (same batch size, a new index each
        time) do no other shape arithmetic."""
        known_values = known_values or {}
        if self._value_split is None or not known_values:
            key = tuple(known.values()) + tuple(v.item() for v in known_values.values())
            cached = self._shape_cache.get(key)
            if cached is None:
                cached = infer_shapes(self.nodes, known, self.hosted, known_values)
                self._remember(key, cached)
            return cached
        first, rest = self._value_split
        shapes, values = infer_shapes(first, known, self.hosted, known_values)
        key = tuple(shapes.values())
        cached = self._shape_cache.get(key)
        if cached is None:
            cached = infer_shapes(rest, shapes, self.hosted, {})
            self._remember(key, cached)
        merged = dict(cached[0])
        merged.update(shapes)
        values.update(cached[1])
        return merged, values

    def _remember(self, key, entry):
        if len(self._shape_cache) > 64:
            self._shape_cache.clear()
        self._shape_cache[key] = entry

    # -- running -----------------------------------------------------------------------
    def enqueue(self, env, shapes, values, queue, pool, taken, on_launch=None, in_place=True):
        """Launch every step; `env` maps variables to DeviceArrays and is filled in.
        Buffers allocated here are appended to `taken`. Returns the index-error flag
        (a DeviceArray to read after the queue finishes) or None. `on_launch(step,
        events, ins, outs)` runs after each kernel step (events: one per launch made,
        none for an empty result): the profiler and the NaN guard hook in there.
        `in_place=False` swaps every update (a NaN guard may stop the call midway)."""
        import pyopencl as cl
        flag = None
        if self.checks_indices:
            flag = pool.upload(queue, np.zeros(1, np.int32))
            taken.append(flag.buffer)

        def host_value(var):
            return var.data if isinstance(var, Constant) else values.get(var)

        def operand(var):
            arr = env.get(var)
            if arr is None:  # a host-computed value that a kernel reads (a batch size):
                value = values[var]  # uploaded once per distinct value, kept by the plan
                key = (var, value.tobytes())
                arr = self._uploaded.get(key)
                if arr is None:
                    if len(self._uploaded) >= 256:
                        for old in self._uploaded.values():
                            pool.give(old.buffer)
                        self._uploaded.clear()
                    arr = self._uploaded[key] = pool.upload(queue, value)
                env[var] = arr
            return arr

        release_after = self._release_after
        for k, step in enumerate(self.steps):
            kind = type(step)
            if kind is HostStep:
                continue
            if kind is LoopStep:
                step.node.op.run(step.node, env, shapes, queue, pool, taken, self.device)
                continue
            if kind is ViewStep:
                node = step.node
                src = operand(node.inputs[0])
                shape, strides, offset = node.op.view_of(src.shape, src.strides, src.offset,
                                                         [host_value(i) for i in node.inputs])
                env[node.outputs[0]] = src.view(shape, strides, offset)
                continue
            outs = []
            for var in step.outputs:
                arr = self._in_place_target(var, shapes[var], pool) if in_place else None
                if arr is None:
                    arr = pool.alloc(shapes[var], var.dtype)
                    taken.append(arr.buffer)
                env[var] = arr
                outs.append(arr)
            ins = [operand(v) for v in step.inputs]
            events = []
            for name, gsize, lsize, args in self._launches(step, ins, outs, host_value, pool, taken, flag):
                if gsize and all(gsize if isinstance(gsize, tuple) else (gsize,)):
                    kernel = step.variants[name] if name else step.cl_kernel
                    if kernel not in self._typed:
                        _type_arguments(kernel, args)
                        self._typed.add(kernel)
                    kernel.set_args(*args)
                    events.append(cl.enqueue_nd_range_kernel(
                        queue, kernel, gsize if isinstance(gsize, tuple) else (gsize,), lsize))
            if on_launch is not None:
                on_launch(step, events, ins, outs)
            for var in release_after.get(k, ()):
                # its last reader is enqueued: the in-order queue runs any later
                # kernel that gets this buffer after that reader
                buf = env[var].buffer
                taken.remove(buf)
                pool.give(buf)
        return flag

    def plan_in_place(self, updates, outputs):
        """Updates that their kernel may write straight into the shared variable's
        buffer: the update is a result of an elementwise kernel that reads the shared
        value (if at all) at the same index it writes, no later step reads the old
        value, and the caller does not get the old value back. {update var: shared}.
        (A call can then only fail before its first launch: functions that check
        indices on the device keep swapping.)"""
        if self.checks_indices:
            return
        base = {}
        for step in self.steps:
            if isinstance(step, ViewStep):
                src = step.node.inputs[0]
                base[step.node.outputs[0]] = base.get(src, src)
        targets = {}
        for shared, var in updates:
            targets.setdefault(var, []).append(shared)
        # values read after the last kernel: outputs, and updates that are another
        # variable's old value (updates=[(a, b), (b, a + 1)])
        returned = {base.get(v, v) for v in list(outputs) + [var for _, var in updates]}
        for shared, var in updates:
            if len(targets[var]) != 1 or shared in returned or var.dtype != shared.dtype:
                continue
            k = next((k for k, st in enumerate(self.steps) if isinstance(st, KernelStep) and var in st.outputs), None)
            if k is None or not isinstance(self.steps[k].kernel, ElemwiseKernel):
                continue
            step = self.steps[k]
            reads_here = [a for a in step.kernel.inputs if base.get(a.variable, a.variable) is shared]
            if any(a.variable is not shared or a.access != "flat" for a in reads_here):
                continue
            later = [st for st in self.steps[k + 1:] if isinstance(st, (KernelStep, LoopStep))]
            if any(base.get(v, v) is shared for st in later
                   for v in (st.inputs if isinstance(st, KernelStep) else st.node.inputs)):
                continue
            self._in_place[var] = shared

    def _plan_releases(self):
        """{step index: kernel results whose buffer is free once that step is
        enqueued}: buffers reused within a call by liveness. A view keeps its source's
        buffer alive; results the caller gets (outputs, updates) are never released."""
        base, produced, last = {}, {}, {}
        for k, step in enumerate(self.steps):
            if isinstance(step, ViewStep):
                src = step.node.inputs[0]
                base[step.node.outputs[0]] = base.get(src, src)
                reads = [src]
            elif isinstance(step, KernelStep):
                reads = step.inputs
                for var in step.outputs:
                    produced[var] = k
                    last[var] = k
            elif isinstance(step, LoopStep):
                reads = step.node.inputs
            else:
                continue
            for var in reads:
                last[base.get(var, var)] = k
        keep = {base.get(r, r) for r in self.roots}
        releases = {}
        for var, k in last.items():
            if var in produced and var not in keep:
                releases.setdefault(k, []).append(var)
        return releases

    def _in_place_target(self, var, shape, pool):
        """The shared variable's own array when this update may be written in place
        now: same shape, contiguous, and held by no other shared variable."""
        shared = self._in_place.get(var)
        if shared is None:
            return None
        arr = shared.container
        if arr.shape != shape or arr.offset or not arr.is_contiguous or pool.held_count(arr.buffer) != 1:
            return None
        return arr

    def _launches(self, step, ins, outs, host_value, pool, taken, flag):
        """[(kernel name or None, global size, local size, args)] of one kernel step.
        A driver's launch() returns one launch, with the variant's name as an optional
        fourth value, or (multi_launch drivers) a list of them; those get a scratch
        allocator for buffers that live until the end of the call.

        The result is cached per layout of the operands (shapes, strides, offsets,
        which of them share a buffer, and the host values a driver reads): a repeated
        call only puts this call's buffers into the recorded argument lists."""
        kern = step.kernel
        values = [host_value(i) for i in step.nodes[-1].inputs] if getattr(kern, "needs_values", False) else None
        arrays = ins + outs
        first = {}
        # a step whose driver passes each operand's offset right after its buffer is
        # replayed for any offsets (a minibatch slice moves on every call)
        offsets = step.launch_cache.get("offsets", True)
        key = (tuple((a.shape, a.strides, a.offset if offsets else None, first.setdefault(id(a.buffer), k))
                     for k, a in enumerate(arrays)),
               None if values is None else tuple(None if v is None else np.asarray(v).tobytes() for v in values))
        recipe = step.launch_cache.get(key)
        if recipe is None:
            recipe = self._record_launches(step, ins, outs, values, pool)
            if len(step.launch_cache) >= 16:
                step.launch_cache.clear()
            if offsets and recipe[3]:  # from now on, keyed without offsets
                step.launch_cache.clear()
                step.launch_cache["offsets"] = False
                key = (tuple((a.shape, a.strides, None, k2) for a, (_, _, _, k2) in zip(arrays, key[0])), key[1])
            step.launch_cache[key] = recipe
        launches, slots, scratch_shapes, patch_offsets = recipe
        buffers = [a.buffer for a in arrays]
        for shape, dtype in scratch_shapes:
            arr = pool.alloc(shape, dtype)
            taken.append(arr.buffer)
            buffers.append(arr.buffer)
        result = []
        n_arrays = len(arrays)
        for (name, gsize, lsize, args), arg_slots in zip(launches, slots):
            args = list(args)
            for pos, src in arg_slots:
                args[pos] = buffers[src]
                if patch_offsets and src < n_arrays:
                    args[pos + 1] = np.int64(arrays[src].offset)
            if getattr(kern, "checks_indices", False):
                args += [flag.buffer, np.int32(self.steps.index(step) + 1)]
            result.append((name, gsize, lsize, args))
        return result

    def _record_launches(self, step, ins, outs, values, pool):
        """Run the driver once and note, for every buffer argument, which operand (or
        scratch buffer) it is: (launches, buffer slots per launch, scratch shapes)."""
        import pyopencl as cl
        kern = step.kernel
        scratch_arrays, scratch_shapes = [], []
        if getattr(kern, "multi_launch", False):
            def scratch(shape, dtype):
                arr = pool.alloc(shape, dtype)
                scratch_arrays.append(arr)
                scratch_shapes.append((tuple(shape), dtype))
                return arr
            launches = kern.launch(ins, outs, scratch)
        else:
            if values is not None:
                gsize, lsize, args, *variant = kern.launch(ins, outs, values)
            else:
                gsize, lsize, args, *variant = kern.launch(ins, outs)
            launches = [(variant[0] if variant else None, gsize, lsize, args)]
        for arr in scratch_arrays:  # recorded only: each call allocates its own
            pool.give(arr.buffer)
        launches = [(name, *_fixed_local_size(gsize, lsize), args) for name, gsize, lsize, args in launches]
        arrays = ins + outs + scratch_arrays
        n_operands = len(ins) + len(outs)
        slots, offset_follows = [], True
        for _name, _g, _l, args in launches:
            arg_slots = []
            for pos, arg in enumerate(args):
                if not isinstance(arg, cl.MemoryObjectHolder):
                    continue
                same = [k for k, a in enumerate(arrays) if a.buffer is arg]
                nxt = args[pos + 1] if pos + 1 < len(args) else None
                exact = [k for k in same if isinstance(nxt, (int, np.integer)) and int(nxt) == arrays[k].offset]
                if same[0] < n_operands and len(exact) != 1:
                    offset_follows = False  # no offset after it, or not one operand's alone
                arg_slots.append((pos, exact[0] if len(exact) == 1 else same[0]))
            slots.append(arg_slots)
        return launches, slots, scratch_shapes, offset_follows

    def index_error(self, flag_value):
        """The error for a nonzero index flag: which node read out of range."""
        from ..errors import IndexOutOfRange
        node = self.steps[int(flag_value) - 1].nodes[-1]
        return IndexOutOfRange(node_message(node, f"{node.op}: an index is out of range for the indexed axis "
                                                  "(nothing was read or written outside the tensor; the call "
                                                  "changed no shared variable)"))

    def constants(self):
        """Constants read from a buffer (not inlined as literals)."""
        consts = []
        for step in self.steps:
            inputs = step.inputs if isinstance(step, KernelStep) else step.node.inputs
            if isinstance(step, HostStep):
                continue
            consts += [v for v in inputs if isinstance(v, Constant) and v not in consts]
        consts += [v for v in self.roots if isinstance(v, Constant) and v not in consts]
        return consts


#: work-group size of 1-D launches whose driver leaves it open: the driver would pick
#: one per global size, and PoCL compiles a kernel anew for each work-group size it
#: meets (0.1-1 s each): the last, shorter batch of an epoch would stall. Kernels
#: ignore work-items past their size, so the global size is rounded up to a multiple.
LOCAL_SIZE = 64


def _fixed_local_size(gsize, lsize):
    if lsize is not None or isinstance(gsize, tuple) and len(gsize) != 1:
        return gsize, lsize
    n = gsize[0] if isinstance(gsize, tuple) else gsize
    return (-(-n // LOCAL_SIZE) * LOCAL_SIZE,), (LOCAL_SIZE,)


def _type_arguments(kernel, args):
    """Tell pyopencl the kernel's argument types, read off its first launch (buffers,
    numpy scalars): set_args then costs well under 1 us per argument instead of ~10."""
    import pyopencl as cl
    dtypes = [None if isinstance(a, cl.MemoryObjectHolder) or a is None else np.asarray(a).dtype for a in args]
    kernel.set_scalar_arg_dtypes(dtypes)


def _external_inputs(nodes):
    """Inputs of a group of nodes that are not computed inside it, in first-use order."""
    inside, inputs = set(nodes), []
    for n in nodes:
        for i in n.inputs:
            if i.owner not in inside and i not in inputs:
                inputs.append(i)
    return inputs


def _const_shape(var):
    if isinstance(var, Constant):
        return var.data.shape
    raise KeyError(var)
