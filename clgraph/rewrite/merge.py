"""Merge (common subexpression elimination): equal Apply nodes on the same inputs, and
equal constants, become one, so each value is computed (or uploaded) once.

One pass in topological order with two hash tables, linear in the graph's size:
constants are keyed by (type, value bits, weak) and nodes by (op, the merged inputs).
Two ops are equal when their `__props__` are (Op.__eq__); an op that compares by
identity (the Jacobian's inner graph) only merges with itself."""
from ..graph.basic import Constant, toposort

__all__ = ["merge"]


def _constant_key(c):
    # value bits: -0.0 and 0.0, or two NaN payloads, stay apart; `weak` decides the
    # dtype of a node rebuilt on it, so a weak 2 and a strong 2 stay apart too
    return (c.signature(), c.weak)


def _op_key(op):
    try:
        hash(op)
        return op
    except TypeError:  # unhashable properties: merge only with the same instance
        return ("id", id(op))


def merge(roots):
    from .passes import rebuild
    constants, nodes, memo = {}, {}, {}

    def rep(var):
        if var in memo:
            return memo[var]
        if isinstance(var, Constant) and type(var) is Constant:
            memo[var] = constants.setdefault(_constant_key(var), var)
            return memo[var]
        return var

    for old in toposort(roots):
        inputs = [rep(i) for i in old.inputs]
        key = (_op_key(old.op), tuple(id(i) for i in inputs))
        node = nodes.get(key)
        if node is None or [o.type for o in node.outputs] != [o.type for o in old.outputs]:
            node = nodes[key] = rebuild(old, inputs)
        memo.update(zip(old.outputs, node.outputs))
    return [rep(r) for r in roots]
