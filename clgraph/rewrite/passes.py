"""The rewrite pipeline, in the order it runs. Every pass maps a list of root variables
to equivalent roots; nodes a pass creates inherit the user's line of the node they
replace, so errors still point at user code."""
from ..graph import trace as _trace
from ..graph.basic import toposort
from . import canonical


def local_rewrite(roots, rules):
    """Rebuild the graph bottom-up, offering each node to the rules (first match wins)."""
    memo = {}
    for old in toposort(roots):
        inputs = [memo.get(i, i) for i in old.inputs]
        with _trace.inherit(old.trace):
            node = old
            if any(a is not b for a, b in zip(inputs, old.inputs)):
                node = old.op.make_node(*inputs)
            outs = list(node.outputs)
            for rule in rules:
                new = rule(node)
                if new is not None:
                    outs = new
                    break
        memo.update(zip(old.outputs, outs))
    return [memo.get(r, r) for r in roots]


# (name, function(roots) -> roots), applied in this order:
PASSES = [
    # x ** 2 -> x * x and friends: cheaper, vectorisable code
    ("canonicalize", lambda roots: local_rewrite(roots, canonical.RULES)),
]


def rewrite(roots):
    for _name, apply in PASSES:
        roots = apply(roots)
    return roots
