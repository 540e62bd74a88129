"""Constant folding: a node whose inputs are all constants and whose outputs are small
is computed once, when the function is compiled, by its op's numpy reference
(`perform`), and replaced by the Constant it gives. The kernel it would have been
disappears, and the constant becomes a literal or a tiny upload.

Not folded: ops whose result is not a function of their input values alone (random
draws, loops (scan), host-only shape ops, and any op that sets `foldable = False`), nodes
whose output shapes are unknown or invalid (the call then reports the error at the
user's line, as without folding) and outputs larger than MAX_ELEMENTS (a big constant
would cost an upload and memory for what a kernel computes on the fly).

The folded Constant has the exact type of the output it replaces and is not `weak`:
the output was a computed value, which takes part in numpy's promotion with its dtype
(NEP 50 weakness belongs to Python numbers only), so a consumer rebuilt on the constant
gets the dtype it had."""
import numpy as np

from ..graph.basic import Constant

__all__ = ["fold", "fold_node", "MAX_ELEMENTS"]

MAX_ELEMENTS = 1024
#: op families never folded: a random draw's result is new numbers, not a value
NEVER_FOLD = frozenset({"philox"})


def may_fold(op):
    return not (op.host_only or getattr(op, "is_loop", False) or op.family in NEVER_FOLD
                or getattr(op, "foldable", True) is False)


def fold_node(node):
    if not all(type(i) is Constant for i in node.inputs) or not may_fold(node.op):
        return None
    data = [i.data for i in node.inputs]
    try:
        shapes = node.op.infer_shape(node, [d.shape for d in data], data)
    except Exception:  # invalid or unknown: leave the error to the call, with the user's line
        return None
    if any(int(np.prod(s, dtype=np.int64)) > MAX_ELEMENTS for s in shapes):
        return None
    try:
        values = node.op.perform(node, data)
    except Exception:
        return None
    outs = []
    for var, shape, value in zip(node.outputs, shapes, values):
        value = np.asarray(value)
        if value.dtype != np.dtype(var.dtype) or value.shape != tuple(shape):
            return None  # a reference that disagrees with the type rule: keep the kernel
        outs.append(Constant(var.type, value.copy(order="C")))
    return outs


def fold(roots):
    from .passes import local_rewrite
    return local_rewrite(roots, [fold_node])
