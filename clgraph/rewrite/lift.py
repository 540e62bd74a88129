"""Dimshuffles lifted above elementwise nodes: dimshuffle(f(a, b)) -> f(dimshuffle(a),
dimshuffle(b)) when the dimshuffle is all that reads f's result (as Theano's
local_dimshuffle_lift). A per-row value read through x.dimshuffle(0, 'x') then feeds
its consumer directly, and the plan can compute it inside the consumer's kernel
(Plan._absorb_broadcast_producers) instead of in a kernel and a buffer of its own."""
from ..graph import trace as _trace
from ..graph.basic import clone_replace, readers, toposort
from ..ops.elemwise import Elemwise
from ..ops.shape import DimShuffle
from . import views

__all__ = ["lift_dimshuffles"]


def lift_dimshuffles(roots):
    """Lift until no dimshuffle qualifies, then shorten the dimshuffle chains made."""
    from .passes import local_rewrite
    for _ in range(16):  # (each round lifts every qualifying dimshuffle one level)
        nodes, keep = toposort(roots), set(roots)
        reading = readers(nodes)
        replace = {}
        for node in nodes:
            new = _lifted(node, reading, keep)
            if new is not None:
                replace[node.outputs[0]] = new
        if not replace:
            break
        roots = clone_replace(roots, replace)
    return local_rewrite(roots, views.RULES)


def _lifted(node, reading, keep):
    """f(dimshuffle(a), ...) for node = dimshuffle(f(a, ...)), or None. Not for a
    dimshuffle that drops axes, nor for ops that read the element index (arange)."""
    if not isinstance(node.op, DimShuffle) or node.op.dropped:
        return None
    e = node.inputs[0]
    inner = e.owner
    if inner is None or not isinstance(inner.op, Elemwise) or len(inner.outputs) != 1 or e in keep \
            or len(reading.get(e, ())) != 1 or any(i.ndim != e.ndim for i in inner.inputs) \
            or _reads_index(inner.op.scalar_op):
        return None
    with _trace.inherit(inner.trace):
        inputs = [DimShuffle(i.broadcastable, node.op.new_order)(i) for i in inner.inputs]
        new = inner.op.make_node(*inputs).outputs[0]
    return new if new.type == node.outputs[0].type else None


def _reads_index(scalar_op):
    """Whether an op's C expression uses the element's flat index (arange, onehot)."""
    return any("{idx}" in e for e in scalar_op.c.values() if isinstance(e, str))
