"""Which outputs a loop computes: only those something reads, each loop once.

merge_extended_loops: a loop's gradient builds the forward loop again with more
outputs (scan_module/grad.py saves the step values its backward pass reads); where the
original loop is in the graph too, on the same inputs, its outputs become the first
outputs of the extended one, so the forward pass runs once.

prune_loop_outputs: a Scan computes every output its step declares, and the gradient
scan declares one per sequence, state and non-sequence whether or not anything asks
for it (the gradient w.r.t. an RNN's input data: a GEMM per step that nothing reads).
Outputs without a reader are dropped (a state only when no remaining output reads its
rows), then the sequences and non-sequences the smaller step no longer reads."""
from ..graph.basic import clone_replace, toposort

__all__ = ["merge_extended_loops", "prune_loop_outputs"]


def _is_scan(node):
    from ..scan_module.op import Scan
    return isinstance(node.op, Scan)


def merge_extended_loops(roots):
    nodes = [nd for nd in toposort(roots) if _is_scan(nd)]
    by_inputs = {(id(nd.op), tuple(id(i) for i in nd.inputs)): nd for nd in nodes}
    replace = {}
    for nd in nodes:
        base = getattr(nd.op, "extends", None)
        old = by_inputs.get((id(base), tuple(id(i) for i in nd.inputs))) if base is not None else None
        if old is not None and old.outputs[0] not in replace:
            replace.update(zip(old.outputs, nd.outputs[:len(old.outputs)]))
    return clone_replace(roots, replace) if replace else list(roots)


def prune_loop_outputs(roots):
    for _ in range(8):  # a pruned gradient loop may leave its forward loop's outputs unread
        nodes = toposort(roots)
        read = set(roots)
        for nd in nodes:
            read.update(nd.inputs)
        replace = {}
        for nd in nodes:
            if _is_scan(nd):
                replace.update(_pruned(nd, read))
        if not replace:
            return list(roots)
        roots = clone_replace(roots, replace)
    return list(roots)


def _pruned(node, read):
    """{old output: new output} of `node` rebuilt without its unread outputs, or {}."""
    from ..scan_module.op import Scan
    op = node.op
    if op.cond is not None:
        return {}
    J, M = op.n_states, len(op.nitsot_outs)
    outs = node.outputs
    keep_m = [m for m in range(M) if outs[J + m] in read]
    def reads(roots):
        return {v for nd in toposort(roots) for v in nd.inputs} | set(roots)

    keep_j = list(range(J))
    dropped = True
    while dropped:  # a state stays while something outside or another kept output reads its rows
        dropped = False
        for j in [j for j in keep_j if outs[j] not in read]:
            others = [op.state_outs[i] for i in keep_j if i != j] + [op.nitsot_outs[m] for m in keep_m]
            if not any(v in reads(others) for _, v in op.taps[j]):
                keep_j.remove(j)
                dropped = True
    needed = reads([op.state_outs[j] for j in keep_j] + [op.nitsot_outs[m] for m in keep_m])
    if len(keep_j) == J and len(keep_m) == M:
        return {}
    if not keep_j and not keep_m:
        return {}  # (nothing reads the loop: it is not in the graph)
    n, seqs, inits, nonseqs = op.split(list(node.inputs))
    keep_s = [k for k, v in enumerate(op.seqs) if v in needed]
    keep_w = [k for k, v in enumerate(op.nonseqs) if v in needed]
    new_op = Scan([op.seqs[k] for k in keep_s], [op.taps[j] for j in keep_j], [op.nonseqs[k] for k in keep_w],
                  [op.state_outs[j] for j in keep_j], [op.nitsot_outs[m] for m in keep_m], None, op.name,
                  op.truncate_gradient)
    new = new_op.make_node(n, *[seqs[k] for k in keep_s], *[inits[j] for j in keep_j],
                           *[nonseqs[k] for k in keep_w])
    new.trace = node.trace
    old_outs = [outs[j] for j in keep_j] + [outs[J + m] for m in keep_m]
    return dict(zip(old_outs, new.outputs))
