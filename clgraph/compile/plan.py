"""The kernel plan of a compiled function: which kernels run in which order, on which
buffers, and how every intermediate shape follows from the input shapes.

nodes (toposorted) -> steps:
  KernelStep  a fused group of Elemwise nodes, or one node of another family (reduce,
              gemm, ...), rendered from its template; all kernels form one program
  ViewStep    a view (DimShuffle, slices): new strides on the same buffer, no copy
  HostStep    a node computed on the host from shapes alone (x.shape, x.shape[0] * 2):
              its value is known before any launch and uploaded only if a kernel reads it
  LoopStep    a Scan node: its step compiled into an inner plan, enqueued once per step
              (compile/loop.py)
"""
import re
import time
import weakref

import numpy as np

from ..codegen.families import FAMILIES
from ..codegen.families.elemwise import ElemwiseKernel
from ..codegen.lookup import template_file
from ..codegen.program import build_program
from ..codegen.render import Kernel, render
from ..errors import ClgraphError, node_message
from ..graph.basic import Constant, toposort
from ..runtime import parallel_compile
from ..codegen.families.gemm import GemmKernel  # noqa: E402  (after FAMILIES: import order)
from ..codegen.families.reduce import ReduceKernel
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce
from ..ops.shape import is_contiguous
from .fusion import cheap, elemwise_groups, value_inputs, value_readers
from .launch import launches, type_arguments
from .loop import Loop
from .memory import in_place_target, plan_in_place, plan_releases
from .shapes import ShapeCache, host_nodes, infer_shapes
from .steps import HostStep, KernelStep, LoopStep, ViewStep

__all__ = ["Plan", "infer_shapes", "host_nodes", "KernelStep", "ViewStep", "HostStep", "LoopStep"]


class Plan:
    def __init__(self, roots, device, host_inputs=()):
        self.device = device
        self.roots = roots
        self.nodes = toposort(roots)
        self.host_inputs = list(host_inputs)
        self.hosted = host_nodes(self.nodes, self.host_inputs)
        self.steps = self._make_steps()
        # a loop with `until` sets shapes after it as it runs (Plan._steps_run)
        self.dynamic = any(isinstance(s, LoopStep) and s.node.op.cond is not None for s in self.steps)
        # helper processes for parallel code generation start now, while the program is
        # rendered and built (runtime/parallel_compile.py)
        n_kernels = sum(isinstance(s, KernelStep) for s in self.steps)
        self._helpers = parallel_compile.CompileHelpers(device) \
            if parallel_compile.may_help(device, n_kernels) else None
        self.checks_indices = any(getattr(s.kernel, "checks_indices", False) for s in self.steps
                                  if isinstance(s, KernelStep))
        try:
            self.kernels, self.program_source = self._render()
        except BaseException:
            if self._helpers is not None:
                self._helpers.stop()
            raise
        self._build()
        self.infer_shapes = ShapeCache(self.nodes, self.hosted, self.host_inputs)
        self._release_after = plan_releases(self.steps, self.roots)
        self._in_place = {}  # filled by plan_in_place
        self._uploaded = {}  # (variable, value bytes) -> DeviceArray of a host-computed value
        self.host_input_set = set(self.host_inputs)  # (integer scalar inputs, known on the host)
        # cl.Kernel -> the recorded launch (compile/replay.py) whose arguments it holds
        # now, None after a generic launch set them
        self.arg_owner = {}

    # -- planning --------------------------------------------------------------------
    def _make_steps(self, unfused=frozenset()):
        """Steps in launch order. `unfused`: nodes kept out of any fusion (after one made
        two kernels wait for each other)."""
        self._prologue_members, self._inner_members, self._root_set = {}, {}, set(self.roots)
        consumers, claimed = self._value_consumers(), set()
        # (a node whose values nothing reads is planned alone, and then not launched)
        device_nodes = [n for n in self.nodes if n not in self.hosted and
                        any(o in consumers or o in self._root_set for o in n.outputs)]
        groups = elemwise_groups(device_nodes, apart=unfused)
        unit_of = {n: ("g", k) for k, g in enumerate(groups) for n in g}
        anchors = [n for n in device_nodes if n not in unfused]
        self._fuse_prologues(anchors, groups, unit_of, consumers)
        epilogue_of = self._fuse_epilogues(anchors, groups, unit_of, consumers, claimed)
        self._fuse_reduce_epilogues(anchors, groups, unit_of, consumers, claimed)
        units = {}
        for node in self.nodes:
            unit_of.setdefault(node, ("n", id(node)))
            units.setdefault(unit_of[node], []).append(node)
        self._absorb_broadcast_producers(units, unit_of, consumers)
        self._join_draws(units, unit_of)
        cycle = self._unit_cycle(units, unit_of)
        if cycle:
            # A fusion looks at the nodes it joins, not at the kernels around them: a
            # kernel can end up waiting for itself through others (a weight penalty
            # computed beside the update, while the gradient depends on the loss). The
            # nodes of the fused kernels on the cycle are then planned one by one.
            undo = {n for key in cycle if len(units[key]) > 1 for n in units[key]} - unfused
            if not undo:
                raise ClgraphError("internal error: fused kernels depend on each other in a cycle: " + "; ".join(
                    "+".join(str(n.op) for n in units[key]) for key in cycle))
            return self._make_steps(unfused | undo)
        used_outside = set(self.roots)
        for var, nodes in consumers.items():
            if var.owner is not None and any(unit_of[n] != unit_of[var.owner] for n in nodes):
                used_outside.add(var)
        steps = []
        for members in self._schedule(units, unit_of):
            if not any(o in consumers or o in self._root_set for n in members for o in n.outputs):
                continue  # no value of this unit is read (a rewrite left it giving a shape)
            node = members[-1]
            k = sum(isinstance(s, KernelStep) for s in steps)
            op = node.op
            if node in self.hosted:
                steps.append(HostStep(node))
            elif epilogue_of.intersection(members):
                (dot,) = epilogue_of.intersection(members)
                tail = [m for m in members if m is not dot]
                outputs = [n.outputs[0] for n in tail if n.outputs[0] in used_outside]
                kern = GemmKernel(f"k{k}_gemm", dot, tail, _external_inputs(tail), outputs)
                steps.append(KernelStep(kern, kern.buffer_inputs, outputs, members))
            elif len(members) > 1 and any(isinstance(m.op, Reduce) for m in members):
                # (the inner reductions its prologue reads come before it: members are in order)
                red = [m for m in members if isinstance(m.op, Reduce)][-1]
                inner = self._inner_members.get(red, [])
                pro = [m for m in members if m in self._prologue_members.get(red, ())]
                tail = [m for m in members if m is not red and m not in pro and m not in inner]
                outputs = [n.outputs[0] for n in tail if n.outputs[0] in used_outside] if tail else red.outputs
                kern = ReduceKernel(f"k{k}_reduce", red, pro, _external_inputs(pro) if pro else None, tail,
                                    _external_inputs(tail), outputs, inner)
                steps.append(KernelStep(kern, kern.buffer_inputs, outputs, members))
            elif isinstance(op, Elemwise):
                inputs = _external_inputs(members)
                outputs = [n.outputs[0] for n in members if n.outputs[0] in used_outside]
                name = f"k{k}_" + "_".join(dict.fromkeys(str(n.op) for n in members))
                kern = ElemwiseKernel(re.sub(r"\W", "_", name)[:48], members, inputs, outputs, is_contiguous)
                steps.append(KernelStep(kern, kern.buffer_inputs, outputs, members))
            elif op.view:
                steps.append(ViewStep(node))
            elif getattr(op, "is_loop", False):
                steps.append(LoopStep(node, Loop(node, self.device)))
            elif op.family in FAMILIES:
                name = re.sub(r"\W", "_", f"k{k}_{op.family}")
                drawn = members if op.family == "philox" else [node]  # (draws made together: _join_draws)
                kern = FAMILIES[op.family](name, *drawn)
                steps.append(KernelStep(kern, kern.buffer_inputs, [o for n in drawn for o in n.outputs], drawn))
            else:
                raise ClgraphError(node_message(node, f"{op} has no OpenCL implementation in clgraph yet"))
        return steps

    def _value_consumers(self):
        """{variable: the nodes that read its values, in order}: x.shape (a host-only
        node) and second(x, g) read only x's shape, which is known without computing x;
        nodes whose values nothing reads read nothing (see fusion.value_readers)."""
        return {v: nodes[::-1] for v, nodes in value_readers(self.nodes, self.roots).items()}

    def _fuse_prologues(self, nodes, groups, unit_of, consumers):
        """An elementwise group whose only result feeds one reduction runs inside the
        reduction kernel: sum(x ** 2) reads x once and writes nothing in between."""
        anchors = set(nodes)
        for node in nodes:
            if not isinstance(node.op, Reduce):
                continue
            x = node.inputs[0]
            unit = unit_of.get(x.owner)
            if unit is None or unit[0] != "g" or x in self._root_set or consumers.get(x) != [node]:
                continue
            members = groups[unit[1]]
            if self._needed(members, consumers) == [x] and not _reads_a_shape_only(members):
                for n in members:
                    unit_of[n] = ("n", id(node))
                unit_of[node] = ("n", id(node))
                self._prologue_members[node] = set(members)
                self._fuse_inner_reductions(node, members, anchors, unit_of, consumers)

    def _fuse_inner_reductions(self, red, members, anchors, unit_of, consumers):
        """An argmax/argmin over the last axis that only `red`'s prologue reads runs
        inside `red`'s kernel, a row for each element the prologue computes: Keras'
        accuracy, mean(eq(argmax(y, -1), argmax(p, -1))), is one kernel, not three."""
        inside = set(members)
        for n in members:
            for v in value_inputs(n):
                q = v.owner
                if q is None or q in inside or q not in anchors or not isinstance(q.op, Reduce) \
                        or q.op.kind not in ("argmax", "argmin") or q in self._prologue_members \
                        or q.op.axes != (q.inputs[0].ndim - 1,) or v.ndim != red.inputs[0].ndim \
                        or v in self._root_set or any(c not in inside for c in consumers.get(v, ())) \
                        or q in self._inner_members.get(red, ()):
                    continue
                unit_of[q] = ("n", id(red))
                self._inner_members.setdefault(red, []).append(q)

    def _fuse_epilogues(self, nodes, groups, unit_of, consumers, claimed):
        """An elementwise group that consumes a matrix product and nothing else needs
        runs as the GEMM kernel's epilogue: tanh(dot(x, W) + b) is one kernel that
        writes only its result. The product must feed only that group, and the group
        must leave results of the product's dtype and broadcast pattern (an optimizer's
        new velocity and parameter from the weight gradient)."""
        fused = set()
        for node in nodes:
            if node.op.family != "gemm" or node.op.nsum:
                continue  # (a product with kept batch axes, a convolution's, may have one too)
            # (a group that sums two products takes only the first as its epilogue)
            unit = self._tail_group(node.outputs[0], groups, unit_of, consumers, claimed)
            if unit is not None:
                unit_of[node] = unit
                fused.add(node)
                claimed.add(unit)
        return fused

    def _fuse_reduce_epilogues(self, nodes, groups, unit_of, consumers, claimed):
        """An elementwise group that consumes a reduction's result and nothing else needs
        runs as the reduction writes it: a bias gradient and the optimizer's update of
        the bias are one kernel. Its other operands must hold one element per result
        (contiguous, the result's pattern) or be scalars; its results must have the
        reduction's dtype and pattern."""
        for node in nodes:
            op = node.op
            if not isinstance(op, Reduce) or op.kind not in ("sum", "mean", "prod", "max", "min"):
                continue
            d = node.outputs[0]
            unit = self._tail_group(d, groups, unit_of, consumers, claimed)
            if unit is None:
                continue
            members = groups[unit[1]]
            operands = [v for v in _external_inputs(members) if v is not d]
            if not all(all(v.broadcastable) or (v.ndim == d.ndim and v.broadcastable == d.broadcastable
                                                 and is_contiguous(v)) for v in operands):
                continue
            target = unit_of.get(node, ("n", id(node)))
            unit_of[node] = target
            for m in members:
                unit_of[m] = target
            claimed.add(unit)

    def _tail_group(self, d, groups, unit_of, consumers, claimed):
        """The unit of the one elementwise group, not yet taken by another fusion, that
        holds every node reading `d` and leaves results of d's dtype and pattern (what an
        epilogue can write); else None."""
        users = consumers.get(d, [])
        unit = unit_of.get(users[0]) if users else None
        if d in self._root_set or unit is None or unit[0] != "g" or unit in claimed \
                or any(unit_of.get(u) != unit for u in users):
            return None
        needed = self._needed(groups[unit[1]], consumers)
        if not needed or any(v.dtype != d.dtype or v.broadcastable != d.broadcastable for v in needed):
            return None
        return unit

    def _needed(self, members, consumers):
        """The results of a group that something outside it reads, or that are roots."""
        inside = set(members)
        return [n.outputs[0] for n in members if n.outputs[0] in self._root_set
                or any(c not in inside for c in consumers.get(n.outputs[0], []))]

    def _absorb_broadcast_producers(self, units, unit_of, consumers):
        """An elementwise kernel whose results only one other elementwise kernel reads,
        over a wider loop (a per-row factor read as a column: the rewrite
        lift_dimshuffles lets it read the values directly), is computed inside that
        kernel instead: again for each element of the wider loop, but without a launch
        and a buffer of its own. Only arithmetic (exp(b) recomputed for every row of a
        large x + exp(b) would cost more than the kernel it saves), and not when the
        merged kernel would wait for itself through a third one."""
        where = {n: k for k, n in enumerate(self.nodes)}

        def elementwise(key):
            return key[0] == "g" and all(isinstance(n.op, Elemwise) for n in units[key])

        merged = True
        while merged:
            merged = False
            for key in list(units):
                if key not in units or not elementwise(key):
                    continue
                members = units[key]
                outs = [n.outputs[0] for n in members]
                targets = {unit_of[r] for v in outs for r in consumers.get(v, ()) if unit_of[r] != key}
                if len(targets) != 1 or any(v in self._root_set for v in outs):
                    continue
                (target,) = targets
                wide = units[target][-1].outputs[0].broadcastable
                if not all(cheap(n) for n in members) \
                        or not elementwise(target) or any(n.outputs[0].broadcastable != wide for n in units[target]) \
                        or not all(_broadcasts_to(n.outputs[0].broadcastable, wide) for n in members) \
                        or self._reaches_through_another(key, target, units, unit_of):
                    continue
                units[target] = sorted(units[target] + members, key=where.__getitem__)
                for n in members:
                    unit_of[n] = target
                del units[key]
                merged = True

    def _join_draws(self, units, unit_of):
        """Random draws that read no kernel's result (their state, size and parameters
        are inputs, shared variables, constants or host values) are made by one launch,
        first: the two dropout masks of a training step cost one kernel, not two."""
        where = {n: k for k, n in enumerate(self.nodes)}
        free = [key for key, ns in units.items() if len(ns) == 1 and ns[0].op.family == "philox" and
                all(i.owner is None or i.owner in self.hosted for i in ns[0].inputs)]
        if len(free) < 2:
            return
        first = free[0]
        for key in free[1:]:
            for n in units.pop(key):
                units[first].append(n)
                unit_of[n] = first
        units[first].sort(key=where.__getitem__)

    def _reaches_through_another(self, source, target, units, unit_of):
        """Whether `target` reads, through some third unit, a result of `source`."""
        stack = [unit_of[i.owner] for n in units[target] for i in value_inputs(n) if i.owner is not None]
        seen = {source, target}
        while stack:
            unit = stack.pop()
            if unit in seen:
                continue
            seen.add(unit)
            owners = [unit_of[i.owner] for m in units[unit] for i in value_inputs(m) if i.owner is not None]
            if source in owners:
                return True
            stack.extend(owners)
        return False

    def _unit_cycle(self, units, unit_of):
        """The units of one cycle in the dependencies between units (kernels), or None."""
        deps = self._unit_deps(units, unit_of)
        state, path = {}, []

        def visit(u):
            state[u] = 1
            path.append(u)
            for d in deps[u]:
                if state.get(d) == 1:
                    return path[path.index(d):]
                if d not in state:
                    found = visit(d)
                    if found:
                        return found
            state[u] = 2
            path.pop()
            return None

        for u in units:
            if u not in state:
                found = visit(u)
                if found:
                    return found
        return None

    def _unit_deps(self, units, unit_of):
        # a host node (x.shape) is computed before any launch: it waits for no kernel
        return {u: {unit_of[i.owner] for n in ns if n not in self.hosted for i in value_inputs(n)
                    if i.owner is not None} - {u}
                for u, ns in units.items()}

    def _schedule(self, units, unit_of):
        """Units (fused groups or single nodes) in an order that respects data flow."""
        deps = self._unit_deps(units, unit_of)
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
            if self._helpers is not None:
                self._helpers.stop()
                self._helpers = None
            return
        import pyopencl as cl
        # (helper processes generate some kernels' code beside the first call)
        self._helpers = parallel_compile.start_helpers(self.device, self.program_source, (),
                                                       self._kernel_sources(), spawned=self._helpers)
        started = time.perf_counter()
        try:
            program = build_program(self.device, self.program_source)
        except BaseException:
            if self._helpers is not None:
                self._helpers.close(completed=False)
            raise
        cached = time.perf_counter() - started < parallel_compile.CACHED_BUILD_S
        if self._helpers is not None and cached:
            # PoCL had the program in its cache (its front end takes 0.5 s or more), so
            # most likely the kernels too: the helpers would only take CPU time
            self._helpers.stop()
            self._helpers = None
        elif self._helpers is None and not cached:
            # PoCL's front end ran: its cache lacks the kernels too, whatever our marker says
            self._helpers = parallel_compile.start_helpers(self.device, self.program_source, (),
                                                           self._kernel_sources(), after_build=True)
        if self._helpers is not None:
            self._helpers.built()
            weakref.finalize(self, self._helpers.close, False)
        self._arg_dtypes = {}  # kernels whose argument types pyopencl knows -> those types
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
                        self._arg_dtypes[k] = typed(kname) if typed else dtypes
                        k.set_scalar_arg_dtypes(self._arg_dtypes[k])

    def _kernel_sources(self):
        """[(kernel function name, its source)] in first-launch order, each once (the
        steps that run another's code share its function; a step's variants split its
        source)."""
        by_name = {k.name: k.source for k in self.kernels}
        out, seen = [], set()
        for step in self.steps:
            if not isinstance(step, KernelStep) or step in self._same_code:
                continue
            names = getattr(step.kernel, "variants", None) or [step.name]
            source = by_name.get(step.name, "")
            for n in names:
                if n not in seen:
                    seen.add(n)
                    out.append((n, source[:len(source) // len(names)]))
        return out

    # -- running -----------------------------------------------------------------------
    def enqueue(self, env, shapes, values, queue, pool, taken, on_launch=None, in_place=True, recorder=None,
                preset=None):
        """Launch every step; `env` maps variables to DeviceArrays and is filled in.
        Buffers allocated here are appended to `taken`. Returns the index-error flag
        (a DeviceArray to read after the queue finishes) or None. `on_launch(step,
        events, ins, outs)` runs after each kernel step (events: one per launch made,
        none for an empty result): the profiler and the NaN guard hook in there.
        `in_place=False` swaps every update (a NaN guard may stop the call midway).
        `recorder` (compile/replay.py) records this call to be replayed: intermediates
        then come from buffers it keeps, and it notes every launch. `preset`: arrays
        that results are written into (a loop's step writes its rows of the stacked
        outputs). A loop with `until` changes the shapes after it: `shapes` and
        `values` are then updated in place (the caller passes its own copies)."""
        import pyopencl as cl
        flag = None
        if self.checks_indices:
            flag = pool.upload(queue, np.zeros(1, np.int32))
            taken.append(flag.buffer)
        # where intermediates, scratch buffers and host values come from
        work, work_taken = (recorder, []) if recorder is not None else (pool, taken)

        def host_value(var):
            return var.data if isinstance(var, Constant) else values.get(var)

        # the first call sends its launches to helper processes that generate kernel
        # code (runtime/parallel_compile.py); it keeps its uploads' events so as not to
        # wait for the queue (see DevicePool.upload) before all are sent
        helpers, self._helpers = self._helpers, None
        keep = [] if helpers is not None else None

        def operand(var):
            arr = env.get(var)
            if arr is None and var in self.host_input_set:  # an index a kernel reads
                arr = env[var] = pool.upload(queue, values[var], keep)
                taken.append(arr.buffer)
            elif arr is None and recorder is not None:
                arr = env[var] = recorder.upload(queue, values[var], keep)
            elif arr is None:  # a host-computed value that a kernel reads (a batch size):
                value = values[var]  # uploaded once per distinct value, kept by the plan
                key = (var, value.tobytes())
                arr = self._uploaded.get(key)
                if arr is None:
                    if len(self._uploaded) >= 256:
                        for old in self._uploaded.values():
                            pool.give(old.buffer)
                        self._uploaded.clear()
                    arr = self._uploaded[key] = pool.upload(queue, value, keep)
                env[var] = arr
            return arr

        completed = False
        try:
            release_after = self._release_after
            owner = self.arg_owner
            notes = [] if recorder is not None else None
            for k, step in enumerate(self.steps):
                kind = type(step)
                if kind is HostStep:
                    continue
                if kind is LoopStep:
                    node = step.node
                    ins, n, outs = [operand(v) for v in node.inputs[1:]], int(host_value(node.inputs[0])), None
                    if recorder is not None and node.op.cond is not None:
                        recorder.refuse("a loop with until (the shapes after it change)")
                    elif getattr(recorder, "record_loop", None) is not None:  # (an outer call's Replay)
                        outs = [recorder.alloc(shapes[v], v.dtype) for v in node.outputs]
                        recorder.record_loop(step, ins, n, outs)
                    elif recorder is not None:
                        recorder.refuse("a nested loop")
                    outs, count = step.loop.run(node, ins, shapes, queue, pool, taken, n, outs)
                    env.update(zip(node.outputs, outs))
                    if node.op.cond is not None:
                        self._steps_run(node, count, shapes, values)
                    for var in release_after.get(k, ()):
                        if recorder is not None:
                            recorder.give(env[var].buffer)
                            continue
                        taken.remove(env[var].buffer)
                        pool.give(env[var].buffer)
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
                    arr = preset.get(var) if preset else None
                    if arr is not None:
                        env[var] = arr
                        outs.append(arr)
                        continue
                    arr = in_place_target(self._in_place, var, shapes[var], pool) \
                        if in_place and var in self._in_place else None
                    if arr is None and recorder is not None and var not in recorder.fresh:
                        arr = recorder.alloc(shapes[var], var.dtype)
                    elif arr is None:
                        arr = pool.alloc(shapes[var], var.dtype)
                        taken.append(arr.buffer)
                    elif recorder is not None:
                        recorder.in_place[var] = self._in_place[var]
                    env[var] = arr
                    outs.append(arr)
                ins = [operand(v) for v in step.inputs]
                events = []
                for n, (name, gsize, lsize, args) in enumerate(
                        launches(step, k, ins, outs, host_value, work, work_taken, flag, notes)):
                    if all(gsize):  # (nothing to launch for an empty result)
                        kernel = step.variants[name] if name else step.cl_kernel
                        if kernel not in self._arg_dtypes:
                            self._arg_dtypes[kernel] = type_arguments(kernel, args)
                        kernel.set_args(*args)
                        owner[kernel] = None
                        events.append(cl.enqueue_nd_range_kernel(queue, kernel, gsize, lsize))
                        if helpers is not None:
                            helpers.launched(kernel, gsize, lsize, args, self._arg_dtypes[kernel])
                        if recorder is not None:
                            recorder.launch(step, kernel, gsize, lsize, args, notes[n])
                if notes:
                    notes.clear()
                if on_launch is not None:
                    on_launch(step, events, ins, outs)
                for var in release_after.get(k, ()):
                    # its last reader is enqueued: the in-order queue runs any later
                    # kernel that gets this buffer after that reader
                    buf = env[var].buffer
                    if recorder is not None:  # (results released here are never updates)
                        recorder.give(buf)
                        continue
                    taken.remove(buf)
                    pool.give(buf)
            completed = True
        finally:
            if helpers is not None:
                helpers.close(completed)
        return flag

    def loops(self):
        """The compiled loops of this plan's LoopSteps, in launch order."""
        return [s.loop for s in self.steps if isinstance(s, LoopStep)]

    def _steps_run(self, node, count, shapes, values):
        """A loop with `until` ran `count` steps: its count output becomes known, and
        the shapes and host values of everything after it follow (updated in place)."""
        from .shapes import infer_shapes
        values[node.outputs[-1]] = np.asarray(count, np.int64)
        later = self.nodes[self.nodes.index(node) + 1:]
        new_shapes, new_values = infer_shapes(later, shapes, self.hosted, values)
        shapes.update(new_shapes)
        values.update(new_values)

    def plan_in_place(self, updates, outputs):
        """Choose the updates written in place (memory.plan_in_place); none when a call
        can fail after its first launch (index checks on the device)."""
        if not self.checks_indices:
            self._in_place = plan_in_place(self.steps, updates, outputs)

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


def _external_inputs(nodes):
    """Inputs of a group of nodes that are not computed inside it, in first-use order
    (not those whose values no node reads: the shape operand of `second`)."""
    inside, inputs = set(nodes), []
    for n in nodes:
        for i in value_inputs(n):
            if i.owner not in inside and i not in inputs:
                inputs.append(i)
    return inputs


def _broadcasts_to(narrow, wide):
    """Whether a pattern is a strictly narrower form of `wide` (broadcast where it is not)."""
    return len(narrow) == len(wide) and narrow != wide and all(n or not w for n, w in zip(narrow, wide))


def _reads_a_shape_only(members):
    """True if a group has a `second` whose shape operand comes from outside: its loop
    shape is then not any operand's (fine for an elementwise kernel, which loops over its
    result; not for a reduction, which takes its loop from the operands)."""
    inside = set(members)
    return any(value_inputs(n) is not n.inputs and n.inputs[0].owner not in inside for n in members)
