"""Private copies of the cheap elementwise values a reduction reads. In
mean(sqr(h - y)) the plan runs sqr(h - y) inside the reduction's kernel (a prologue)
only if nothing else reads h - y; a gradient does, so a kernel of its own would compute
h - y and its square. The reduction reads its own copy of that chain instead: the
arithmetic is done twice, a kernel, a buffer and a pass over memory fewer.

Only for chains that start from values no other kernel fuses: inputs, shared variables,
constants, views of them, and the results of row kernels (softmax) or random draws. A
GEMM's product or a reduction's result gets a reader more from a copy, and would then
lose the elementwise tail fused into its kernel."""
from ..graph.facts import cheap, value_readers
from ..graph.basic import Apply, toposort
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce

__all__ = ["private_reduce_inputs"]

# at most this many nodes are copied for one reduction
MAX_COPIED = 8
# the families whose results a copied chain may read (their kernels fuse no tail)
LEAF_FAMILIES = {"softmax", "philox"}


def private_reduce_inputs(roots):
    """Rebuild the graph bottom-up; a reduction whose input chain something else reads
    too reads a copy of the chain (made from the rebuilt chain's inputs)."""
    from .passes import rebuild
    nodes, keep = toposort(roots), set(roots)
    reading = value_readers(nodes, roots)
    memo = {}
    for old in nodes:
        node = rebuild(old, [memo.get(i, i) for i in old.inputs])
        chain = _chain(old.inputs[0]) if isinstance(old.op, Reduce) else []
        inside = set(chain) | {old}
        if chain and not all(o not in keep and all(r in inside for r in reading.get(o, ()))
                             for n in chain for o in n.outputs):
            copies = {}
            for n in chain:
                ins = [copies.get(i, memo.get(i, i)) for i in n.inputs]
                copy = Apply(n.op, ins, [o.type for o in n.outputs], trace=n.trace)
                copies.update(zip(n.outputs, copy.outputs))
            node = Apply(old.op, [copies[old.inputs[0]]] + list(node.inputs[1:]), [o.type for o in old.outputs],
                         trace=old.trace)
        memo.update(zip(old.outputs, node.outputs))
    return [memo.get(r, r) for r in roots]


def _chain(x):
    """The cheap elementwise nodes of x's broadcast pattern that x is computed from (a
    connected region ending at x), in topological order; [] when x's producer is not
    one of them, the region is larger than MAX_COPIED or reads a value another kernel
    could fuse (see the module doc)."""
    found, seen, stack = [], set(), [x]
    while stack:
        v = stack.pop()
        n = v.owner
        if n is None or n in seen:
            continue
        if not isinstance(n.op, Elemwise) or not cheap(n) or n.op.scalar_op.name == "second" \
                or n.outputs[0].broadcastable != x.broadcastable:
            if v is x or not _leaf(n):
                return []
            continue
        seen.add(n)
        found.append(n)
        if len(found) > MAX_COPIED:
            return []
        stack.extend(n.inputs)
    order = {n: k for k, n in enumerate(toposort([x]))}
    return sorted(found, key=order.__getitem__)


def _leaf(node):
    """Whether a copied chain may read this node's result."""
    while node is not None and node.op.view:
        node = node.inputs[0].owner
    return node is None or node.op.family in LEAF_FAMILIES
