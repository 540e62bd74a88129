"""Which outputs a loop computes: only those something reads, each loop once.

merge_extended_loops: a loop's gradient builds the forward loop again with more
outputs (scan_module/grad.py saves the step values its backward pass reads); where the
original loop is in the graph too, on the same inputs, its outputs become the first
outputs of the extended one, so the forward pass runs once.

prune_loop_outputs: a Scan computes every output its step declares, and the gradient
scan declares one per sequence, state and non-sequence whether or not anything asks
for it (the gradient w.r.t. an RNN's input data: a GEMM per step that nothing reads).
Outputs without a reader are dropped (a state only when no remaining output reads its
rows), then the sequences and non-sequences the smaller step no longer reads.

sink_loop_sums: an output whose rows are only summed over the steps (a non-sequence's
gradient: one share per reverse step) and whose step value is a product x_t^T g_t
becomes one GEMM over all steps after the loop, X^T G with the steps and batch rows as
its inner dimension: no per-step GEMM writing a whole weight-sized row, and one launch
instead of n. A share sum(g_t, axis=0) (a bias) is summed over both axes at once. The
loop writes g_t instead (or nothing, when it is a sequence's row already)."""
from ..graph.basic import clone_replace, toposort
from ..graph.facts import add_terms
from ..ops.blas import Dot
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce
from ..ops.shape import DimShuffle

__all__ = ["merge_extended_loops", "prune_loop_outputs", "sink_loop_sums"]


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


def _share(term):
    """('dot', a, g) for dot(a.T, g) of matrices; ('sum', v, axes) for sum(v, axes)
    under views that only drop or add broadcastable axes; ('row', term) otherwise."""
    while term.owner is not None and isinstance(term.owner.op, Elemwise) and \
            term.owner.op.scalar_op.name == "identity":  # (the copy that makes a view a loop output)
        term = term.owner.inputs[0]
    node = term.owner
    if node is not None and isinstance(node.op, Dot) and node.op.nsum == 0 and term.ndim == 2:
        a, g = node.inputs
        t = a.owner
        if t is not None and isinstance(t.op, DimShuffle) and list(t.op.new_order) == [1, 0] and g.ndim == 2:
            return ("dot", t.inputs[0], g)
    v = term
    while v.owner is not None and isinstance(v.owner.op, DimShuffle) and \
            [a for a in v.owner.op.new_order if a != "x"] == sorted(a for a in v.owner.op.new_order if a != "x"):
        v = v.owner.inputs[0]
    if v.owner is not None and isinstance(v.owner.op, Reduce) and v.owner.op.kind == "sum" and \
            v.owner.op.acc_dtype is None and v.dtype == term.dtype and v.ndim == term.ndim and \
            v.owner.inputs[0].dtype == term.dtype:
        return ("sum", v.owner.inputs[0], v.owner.op.axes)
    return ("row", term)


def _summed_over_steps(var, readers):
    """The readers of a loop output, when every one sums it over the step axis alone."""
    rs = readers.get(var, [])
    ok = rs and all(isinstance(r.op, Reduce) and r.op.kind == "sum" and r.op.axes == (0,) and
                    r.op.acc_dtype is None and r.outputs[0].dtype == var.dtype for r in rs)
    return rs if ok else None


def sink_loop_sums(roots):
    nodes = toposort(roots)
    readers = {}
    for nd in nodes:
        for i in nd.inputs:
            readers.setdefault(i, []).append(nd)
    rooted = set(roots)
    replace = {}
    for nd in nodes:
        if _is_scan(nd) and nd.op.cond is None:
            replace.update(_sunk(nd, readers, rooted))
    return clone_replace(roots, replace) if replace else list(roots)


def _sunk(node, readers, rooted):
    from ..scan_module.op import Scan
    from ..tensor import basic as T
    from ..tensor.blas import dot
    from ..tensor.shape import reshape
    op = node.op
    J = op.n_states
    n, seqs, inits, nonseqs = op.split(list(node.inputs))
    plans = {}
    for m, root in enumerate(op.nitsot_outs):
        out = node.outputs[J + m]
        rs = _summed_over_steps(out, readers)
        if rs is None or out in rooted:
            continue
        shares = [_share(t) for t in add_terms(root)]
        if any(s[0] != "row" for s in shares):
            plans[m] = (rs, shares)
    if not plans:
        return {}
    # the loop's new outputs: each distinct step value the sums need, unless it is a row
    # of a sequence (then the sequence itself is read)
    kept = [m for m in range(len(op.nitsot_outs)) if m not in plans]
    rows = [op.nitsot_outs[m] for m in kept]
    seq_of = {v: s[:n] for v, s in zip(op.seqs, seqs)}

    def need(v):
        if v not in seq_of and v not in rows:
            rows.append(v)
    for _, shares in plans.values():
        for s in shares:
            for v in s[1:2] + (s[2:3] if s[0] == "dot" else ()):
                need(v)
    from ..scan_module.scan import _computed
    written = rows[:len(kept)] + [_computed(v) for v in rows[len(kept):]]
    new_op = Scan(op.seqs, op.taps, op.nonseqs, op.state_outs, written, None, op.name, op.truncate_gradient)
    new = new_op.make_node(*node.inputs)
    new.trace = node.trace
    stacked = dict(zip(rows, new.outputs[J:]))

    def rows_of(v):
        return seq_of[v] if v in seq_of else stacked[v]

    def flat(v):  # (steps, b, d) -> (steps * b, d): a copy where the rows are reversed,
        # still faster than the step axis as a summed axis of the GEMM (measured: its work
        # split has too few items at these sizes)
        x = rows_of(v)
        return reshape(x, (x.shape[0] * x.shape[1], x.shape[2]))
    result = dict(zip(node.outputs[:J], new.outputs[:J]))
    result.update((node.outputs[J + m], new.outputs[J + k]) for k, m in enumerate(kept))
    for m, (rs, shares) in plans.items():
        parts = []
        for s in shares:
            if s[0] == "dot":
                parts.append(dot(flat(s[1]).T, flat(s[2])))
            elif s[0] == "sum":
                parts.append(T.sum(rows_of(s[1]), axis=[0] + [a + 1 for a in s[2]]))
            else:
                parts.append(T.sum(rows_of(s[1]), axis=0))
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        if total.type != rs[0].outputs[0].type:
            return {}  # (a broadcastable pattern the product does not have: left in the loop)
        for r in rs:
            result[r.outputs[0]] = total
    return result
