"""The kernel plan of a compiled function: which kernels run in which order, on which
buffers, and how to compute every intermediate shape from the input shapes.

nodes (toposorted) -> steps: a fused Elemwise group or a Reduce is a KernelStep; a
DimShuffle is a ViewStep (new strides on the same buffer, no copy). All kernels are
rendered from their templates and built as one OpenCL program."""
import re

import numpy as np

from ..codegen.families.elemwise import ElemwiseKernel
from ..codegen.families.reduce import ReduceKernel
from ..codegen.lookup import template_file
from ..codegen.program import build_program
from ..codegen.render import Kernel, render
from ..errors import ClgraphError, node_message
from ..graph.basic import Constant, toposort
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce
from .fusion import elemwise_groups

__all__ = ["Plan"]


class KernelStep:
    __slots__ = ("kernel", "cl_kernel", "inputs", "outputs", "nodes", "name")

    def __init__(self, kernel, inputs, outputs, nodes):
        self.kernel, self.inputs, self.outputs, self.nodes = kernel, inputs, outputs, nodes
        self.name = kernel.name
        self.cl_kernel = None


class ViewStep:
    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node


class HostStep:
    """An op that drives other kernels from the host (jacobian's loop over rows)."""
    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node


def infer_shapes(nodes, known):
    """Concrete shapes of every variable of `nodes` (toposorted) from {free var: shape}."""
    shapes = dict(known)
    for node in nodes:
        out = node.op.infer_shape(node, [shapes[i] if i in shapes else _const_shape(i) for i in node.inputs])
        for var, shape in zip(node.outputs, out):
            shapes[var] = tuple(int(s) for s in shape)
    return shapes


def _is_contiguous(var):
    node = var.owner
    if node is None or not node.op.view:
        return True
    return node.op.keeps_order and _is_contiguous(node.inputs[0])


class Plan:
    def __init__(self, roots, device):
        self.device = device
        self.roots = roots
        self.nodes = toposort(roots)
        self.steps = self._make_steps()
        self.kernels, self.program_source = self._render()
        self._build()
        self._shape_cache = {}

    # -- planning --------------------------------------------------------------------
    def _make_steps(self):
        groups = elemwise_groups(self.nodes)
        unit_of = {n: ("g", k) for k, g in enumerate(groups) for n in g}
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
            if isinstance(node.op, Elemwise):
                inside = set(members)
                inputs = []
                for n in members:
                    for i in n.inputs:
                        if i.owner not in inside and i not in inputs:
                            inputs.append(i)
                outputs = [n.outputs[0] for n in members if n.outputs[0] in used_outside]
                name = f"k{k}_" + "_".join(dict.fromkeys(str(n.op) for n in members))
                kern = ElemwiseKernel(re.sub(r"\W", "_", name)[:48], members, inputs, outputs, _is_contiguous)
                steps.append(KernelStep(kern, kern.buffer_inputs, outputs, members))
            elif isinstance(node.op, Reduce):
                kern = ReduceKernel(f"k{k}_{node.op.kind}", node)
                steps.append(KernelStep(kern, [node.inputs[0]], node.outputs, [node]))
            elif node.op.view:
                steps.append(ViewStep(node))
            elif getattr(node.op, "host_loop", False):
                steps.append(HostStep(node))
            else:
                raise ClgraphError(node_message(node, f"{node.op} has no OpenCL implementation in clgraph yet"))
        return steps

    def _schedule(self, units, unit_of):
        """Units (fused groups or single nodes) in an order that respects data flow."""
        deps = {u: {unit_of[i.owner] for n in ns for i in n.inputs if i.owner is not None} - {u}
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
        for step in self.steps:
            if not isinstance(step, KernelStep):
                continue
            kern = step.kernel
            text = render(kern.template, **kern.render_kwargs())
            k_helpers = set(re.findall(r"\bclg_\w+", text))
            k_fp64 = "float64" in kern.dtypes
            if k_fp64:
                self.device.require_fp64(node_message(step.nodes[-1], f"{step.nodes[-1].op}"))
            texts.append(text)
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
        for step in self.steps:
            if isinstance(step, KernelStep):
                step.cl_kernel = cl.Kernel(program, step.name)

    # -- shapes ------------------------------------------------------------------------
    def infer_shapes(self, known):
        """Shapes of every variable, given {variable: shape} for the free ones."""
        key = tuple(known.values())
        cached = self._shape_cache.get(key)
        if cached is not None:
            return cached
        shapes = infer_shapes(self.nodes, known)
        if len(self._shape_cache) > 64:
            self._shape_cache.clear()
        self._shape_cache[key] = shapes
        return shapes

    # -- running -----------------------------------------------------------------------
    def enqueue(self, env, shapes, queue, pool, taken):
        """Launch every step; `env` maps variables to DeviceArrays and is filled in.
        Buffers allocated here are appended to `taken`."""
        import pyopencl as cl
        for step in self.steps:
            if isinstance(step, HostStep):
                step.node.op.run(step.node, env, shapes, queue, pool, taken, self.device)
                continue
            if isinstance(step, ViewStep):
                node = step.node
                src = env[node.inputs[0]]
                shape, strides = node.op.view_strides(src.shape, src.strides)
                env[node.outputs[0]] = src.view(shape, strides)
                continue
            outs = []
            for var in step.outputs:
                arr = pool.alloc(shapes[var], var.dtype)
                taken.append(arr.buffer)
                env[var] = arr
                outs.append(arr)
            gsize, args = step.kernel.launch([env[v] for v in step.inputs], outs, shapes[step.outputs[0]])
            if gsize:
                step.cl_kernel.set_args(*args)
                cl.enqueue_nd_range_kernel(queue, step.cl_kernel, (gsize,), None)

    def constants(self):
        """Constants read from a buffer (not inlined as literals)."""
        consts = []
        for step in self.steps:
            inputs = step.inputs if isinstance(step, KernelStep) else step.node.inputs
            consts += [v for v in inputs if isinstance(v, Constant) and v not in consts]
        consts += [v for v in self.roots if isinstance(v, Constant) and v not in consts]
        return consts


def _const_shape(var):
    if isinstance(var, Constant):
        return var.data.shape
    raise KeyError(var)
