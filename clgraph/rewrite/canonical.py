"""Canonical forms that render to cheaper code. Each rule looks at one node and returns
replacement outputs, or None to leave it alone."""
import numpy as np

from ..graph.basic import Constant
from ..ops.elemwise import Elemwise


def _scalar_constant(var):
    if isinstance(var, Constant) and var.data.size == 1:
        return var.data.reshape(()).item()
    return None


def pow_by_constant(node):
    """x ** 2 -> x * x, x ** 1 -> x, x ** 0.5 -> sqrt(x), x ** -1 -> 1 / x (floats):
    pow() is a slow call in OpenCL C and has no vector form on PoCL."""
    if not isinstance(node.op, Elemwise) or node.op.scalar_op.name != "pow":
        return None
    from ..tensor import basic as T
    x, e = node.inputs
    value = _scalar_constant(e)
    out = node.outputs[0]
    if value is None or x.dtype != out.dtype:
        return None
    if value == 2:
        return [T.sqr(x)]
    if value == 1:
        return [T.identity(x)]
    if np.dtype(out.dtype).kind == "f":
        if value == 0.5:
            return [T.sqrt(x)]
        if value == -1:
            return [T.true_div(T.constant(1, out.dtype), x)]
        if value == 3:
            return [T.sqr(x) * x]
    return None


RULES = [pow_by_constant]
