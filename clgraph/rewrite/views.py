"""Chains of views in their shortest form: a dimshuffle of a dimshuffle (x.T.T, the
padding Elemwise adds to a transposed operand) is one dimshuffle, an identity
dimshuffle is none, and a reshape of a reshape is one reshape. Views cost no kernel, but
each one is a step at every call and hides patterns from the other rules (x.T.T * 1)."""
from ..ops.shape import DimShuffle, Reshape

__all__ = ["RULES"]


def _owner_op(var, cls):
    node = var.owner
    return node if node is not None and isinstance(node.op, cls) else None


def dimshuffle_chain(node):
    """DimShuffle(DimShuffle(x)) -> one DimShuffle of x; an identity one -> x."""
    if not isinstance(node.op, DimShuffle):
        return None
    out = node.outputs[0]
    inner = _owner_op(node.inputs[0], DimShuffle)
    if inner is None:
        x, order, implicit = node.inputs[0], node.op.new_order, node.op.implicit
    else:
        x = inner.inputs[0]
        order = tuple("x" if a == "x" else inner.op.new_order[a] for a in node.op.new_order)
        implicit = node.op.implicit and inner.op.implicit
    if order == tuple(range(x.ndim)):
        return [x] if x.type == out.type else None
    if inner is None:
        return None
    # the dropped axes were checked when the chain was built (and are checked again on
    # their lengths at each call), so the composition may drop any axis
    return [DimShuffle(x.broadcastable, order, implicit=implicit, drop_any=True)(x)]


def reshape_chain(node):
    """reshape(reshape(x, s1), s2) -> reshape(x, s2): the same elements in the same
    (C) order; x was contiguous for the inner reshape, so it is for the new one."""
    inner = _owner_op(node.inputs[0], Reshape) if isinstance(node.op, Reshape) else None
    if inner is None:
        return None
    out = node.outputs[0]
    return [node.op.make_node(inner.inputs[0], node.inputs[1], out.broadcastable).outputs[0]]


RULES = [dimshuffle_chain, reshape_chain]
