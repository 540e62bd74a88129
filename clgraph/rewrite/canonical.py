"""Canonical forms that render to cheaper code. Each rule looks at one node and returns
replacement outputs, or None to leave it alone."""
import numpy as np

from ..graph.basic import Constant
from ..ops.elemwise import Elemwise


def _scalar_constant(var):
    if isinstance(var, Constant) and var.data.size == 1:
        return var.data.reshape(()).item()
    return None


#: the largest |k| of x ** k (integer or half-integer k) written as multiplications
MAX_POWER = 8


def _power(x, n):
    """x ** n for an integer n >= 1 by squaring: x * x, (x * x) * (x * x), ..."""
    from ..tensor import basic as T
    result, square = None, x
    while n:
        if n & 1:
            result = square if result is None else result * square
        n >>= 1
        if n:
            square = T.sqr(square)
    return result


def pow_by_constant(node):
    """x ** 2 -> x * x, x ** 1 -> x, x ** 0.5 -> sqrt(x), x ** -1 -> 1 / x; for floats
    any integer or half-integer k with |k| <= MAX_POWER: x ** 3 -> x * x * x,
    x ** -2 -> 1 / (x * x), x ** 1.5 -> x * sqrt(x) (the k - 1 of a gradient included):
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
        twice = 2 * value
        if twice == int(twice) and 0 < abs(value) <= MAX_POWER:
            n = int(abs(value))
            half = int(twice) % 2 == 1
            parts = ([_power(x, n)] if n else []) + ([T.sqrt(x)] if half else [])
            magnitude = parts[0] if len(parts) == 1 else parts[0] * parts[1]
            return [magnitude if value > 0 else T.true_div(T.constant(1, out.dtype), magnitude)]
    return None


RULES = [pow_by_constant]
