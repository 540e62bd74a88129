"""Helpers of the rewrite tests: the ops of a graph in order, one pass applied alone,
functions compiled with and without every rewrite, and a graph evaluated by its ops'
numpy references (perform), the oracle the random-graph test compares with."""
import numpy as np

import clgraph
from clgraph.graph.basic import Constant, toposort
from clgraph.rewrite.passes import PASSES

ALL_PASSES = tuple(name for name, _ in PASSES)


def op_names(*roots):
    """str(op) of every node the roots need, in topological order."""
    return [str(n.op) for n in toposort(list(roots))]


def apply_pass(name, *roots):
    """The roots after the one pass `name` alone."""
    (apply,) = [fn for n, fn in PASSES if n == name]
    out = apply(list(roots))
    return out[0] if len(out) == 1 else out


def compile_both(inputs, outputs, **kw):
    """(function with every rewrite, function with none)."""
    with_rewrites = clgraph.function(inputs, outputs, **kw)
    with clgraph.config.change(rewrites_excluding=ALL_PASSES):
        without = clgraph.function(inputs, outputs, **kw)
    return with_rewrites, without


def evaluate(roots, values):
    """The roots computed node by node with each op's perform (numpy), from
    {free variable: array}."""
    env = dict(values)
    for node in toposort(list(roots)):
        args = [i.data if isinstance(i, Constant) else env[i] for i in node.inputs]
        for var, value in zip(node.outputs, node.op.perform(node, args)):
            env[var] = np.asarray(value)
    return [r.data if isinstance(r, Constant) else env[r] for r in roots]
