"""Shapes and host values of a graph's variables, from the shapes of its free variables:
`host_nodes` finds the nodes computed on the host (x.shape and arithmetic on it, index
arithmetic from integer inputs), `infer_shapes` walks the graph once. Graph facts: the
planner (compile/shapes.py caches them per call) and ops with an inner graph (scan)
both use them."""
import numpy as np

from ..errors import ClgraphError, node_message
from .basic import Constant

__all__ = ["HOST_VALUE_LIMIT", "host_nodes", "infer_shapes"]

# a host-computed value larger than this is not worth computing on the host
HOST_VALUE_LIMIT = 64


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
        elif getattr(op, "host_outputs", None) is not None:
            from_shapes.update(op.host_outputs(node))  # (known on the host once the node has run)
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
        if getattr(node.op, "host_outputs", None) is not None:
            # (their values until the node has run: a loop's largest number of steps)
            values.update(node.op.provisional_values(node, in_values))
        if node in hosted:
            op = node.op
            outs = op.host_value(node, in_shapes) if op.host_only else op.perform(node, in_values)
            for var, value in zip(node.outputs, outs):
                if np.size(value) > HOST_VALUE_LIMIT:
                    raise ClgraphError(node_message(node, f"{node.op}: a value computed from shapes has "
                                                          f"{np.size(value)} elements; that is not a shape"))
                values[var] = np.asarray(value, dtype=var.dtype)
    return shapes, values


def _const_shape(var):
    if isinstance(var, Constant):
        return var.data.shape
    raise KeyError(var)
