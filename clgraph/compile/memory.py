"""Buffers within a call: which kernel results can go back to the pool after which
step (liveness), and which updates a kernel may write straight into their shared
variable's buffer (in place) instead of a new buffer swapped in after the call."""
from ..codegen.families.elemwise import ElemwiseKernel
from .steps import KernelStep, LoopStep, ViewStep

__all__ = ["plan_releases", "plan_in_place", "in_place_target"]


def plan_releases(steps, roots):
    """{step index: kernel results whose buffer is free once that step is
    enqueued}: buffers reused within a call by liveness. A view keeps its source's
    buffer alive; results the caller gets (outputs, updates) are never released."""
    base, produced, last = {}, {}, {}
    for k, step in enumerate(steps):
        if type(step) is ViewStep:  # (not a HostStep or LoopStep, which derive from it)
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
            on_host = set(step.node.op.host_outputs(step.node))  # (the steps run, with until)
            for var in step.node.outputs:
                if var in on_host:
                    continue
                produced[var] = k
                last[var] = k
        else:
            continue
        for var in reads:
            last[base.get(var, var)] = k
    keep = {base.get(r, r) for r in roots}
    releases = {}
    for var, k in last.items():
        if var in produced and var not in keep:
            releases.setdefault(k, []).append(var)
    return releases


def plan_in_place(steps, updates, outputs):
    """Updates that their kernel may write straight into the shared variable's
    buffer: the update is a result of an elementwise kernel that reads the shared
    value (if at all) at the same index it writes, no later step reads the old
    value, and the caller does not get the old value back. {update var: shared}.
    (A call must then not fail after its first launch: functions that check indices
    on the device, or run under the NaN guard, keep swapping.)"""
    base = {}
    for step in steps:
        if type(step) is ViewStep:
            src = step.node.inputs[0]
            base[step.node.outputs[0]] = base.get(src, src)
    targets, result = {}, {}
    for shared, var in updates:
        targets.setdefault(var, []).append(shared)
    # values read after the last kernel: outputs, and updates that are another
    # variable's old value (updates=[(a, b), (b, a + 1)])
    returned = {base.get(v, v) for v in list(outputs) + [var for _, var in updates]}
    for shared, var in updates:
        if len(targets[var]) != 1 or shared in returned or var.dtype != shared.dtype:
            continue
        k = next((k for k, st in enumerate(steps) if isinstance(st, KernelStep) and var in st.outputs), None)
        if k is None or not isinstance(steps[k].kernel, ElemwiseKernel):
            continue
        step = steps[k]
        reads_here = [a for a in step.kernel.inputs if base.get(a.variable, a.variable) is shared]
        if any(a.variable is not shared or a.access != "flat" for a in reads_here):
            continue
        later = [st for st in steps[k + 1:] if isinstance(st, (KernelStep, LoopStep))]
        if any(base.get(v, v) is shared for st in later
               for v in (st.inputs if isinstance(st, KernelStep) else st.node.inputs)):
            continue
        result[var] = shared
    return result


def in_place_target(in_place, var, shape, pool):
    """The shared variable's own array when this update may be written in place
    now: same shape, contiguous, and held by no other shared variable."""
    shared = in_place.get(var)
    if shared is None:
        return None
    arr = shared.container
    if arr.shape != shape or arr.offset or not arr.is_contiguous or pool.held_count(arr.buffer) != 1:
        return None
    return arr
