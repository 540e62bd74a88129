"""Algebraic simplification of elementwise nodes: operations that give back (a cast of)
an operand are removed.

    x * 1, 1 * x, x / 1, x - 0, x + 0, 0 + x  -> x       --x -> x
    log(exp(x)) -> x                                     x - x -> zeros (integers)
    sum/mean/prod/max/min over no axes -> x (cast)       second(a, b) -> b (same type)

Each rule keeps the output's type: the constant must not broadcast the operand (the
operand's broadcastable pattern is the output's: `x * ones((3, 3))` with a row x is a
matrix, so it stays), and an operand of another dtype is cast to the output's dtype, which
is what the op would compute (int32 x * 1.0 is float64(x)).

Exactness: x * 1, x / 1, x - 0 and --x give x bit for bit (NaN, inf, -0.0 too). x + 0
gives +0.0 where x is -0.0 (they compare equal; only 1/x or copysign can tell) and is
removed anyway, as Theano and PyTensor do. log(exp(x)) is x for every x, and better than
the original for large |x| (exp overflows to inf above 88 in float32).

Not done, on purpose: exp(log(x)) -> x (x < 0 would give x instead of NaN, which changes
results, though Theano did it); x / x -> 1 (NaN at 0, inf and NaN); x - x -> 0 for floats
(NaN and inf give NaN); x * 0 -> 0 (the same). `x ** 1` is the canonical pass's."""
import numpy as np

from ..graph.basic import Constant
from ..ops.elemwise import Elemwise

__all__ = ["RULES"]


def _scalar_name(var):
    node = var.owner
    if node is not None and isinstance(node.op, Elemwise):
        return node.op.scalar_op.name
    return None


def is_constant(var, value):
    """True when `var` is a Constant whose every element equals `value`."""
    return type(var) is Constant and var.data.size > 0 and bool(np.all(var.data == value))


def as_output(x, out):
    """x standing for `out`: itself, or cast to out's dtype when only the dtype differs;
    None when x's broadcastable pattern is not out's (the op would broadcast x)."""
    if x.broadcastable != out.broadcastable:
        return None
    if x.dtype == out.dtype:
        return x
    from ..tensor.basic import cast
    return cast(x, out.dtype)


# scalar op -> [(position of the neutral constant, its value, position of the kept operand)]
_NEUTRAL = {
    "mul": [(1, 1, 0), (0, 1, 1)],
    "add": [(1, 0, 0), (0, 0, 1)],
    "sub": [(1, 0, 0)],
    "true_div": [(1, 1, 0)],
}


def remove_neutral(node):
    """x * 1, 1 * x, x + 0, 0 + x, x - 0, x / 1 -> x."""
    for const_at, value, keep in _NEUTRAL.get(_scalar_name(node.outputs[0]), ()):
        if is_constant(node.inputs[const_at], value):
            x = as_output(node.inputs[keep], node.outputs[0])
            if x is not None:
                return [x]
    return None


def double_negation(node):
    """--x -> x."""
    if _scalar_name(node.outputs[0]) == "neg" and _scalar_name(node.inputs[0]) == "neg":
        x = node.inputs[0].owner.inputs[0]
        if x.type == node.outputs[0].type:
            return [x]
    return None


def log_of_exp(node):
    """log(exp(x)) -> x (exact for every x, and no overflow)."""
    if _scalar_name(node.outputs[0]) == "log" and _scalar_name(node.inputs[0]) == "exp":
        x = as_output(node.inputs[0].owner.inputs[0], node.outputs[0])
        if x is not None:
            return [x]
    return None


def integer_self_subtraction(node):
    """x - x -> 0 for integers (for floats NaN - NaN and inf - inf are NaN)."""
    out = node.outputs[0]
    if _scalar_name(out) == "sub" and node.inputs[0] is node.inputs[1] and np.dtype(out.dtype).kind in "iu":
        from ..tensor.basic import zeros_like
        return [zeros_like(node.inputs[0], out.dtype)]
    return None


def reduction_over_no_axes(node):
    """sum/mean/prod/max/min over no axes (the mean of a scalar loss) -> x, cast to the
    result's dtype as the reduction would: a kernel less, same values."""
    from ..ops.reduce import Reduce
    op = node.op
    if isinstance(op, Reduce) and not op.axes and op.kind in ("sum", "mean", "prod", "max", "min"):
        return [as_output(node.inputs[0], node.outputs[0])] if node.inputs[0].broadcastable == \
            node.outputs[0].broadcastable else None
    return None


def second_of_same_type(node):
    """second(a, b) (b broadcast to a's shape, from gradients of fill) -> b when b
    already has the result's type."""
    if _scalar_name(node.outputs[0]) == "second" and node.inputs[1].type == node.outputs[0].type:
        return [node.inputs[1]]
    return None


RULES = [remove_neutral, double_negation, log_of_exp, integer_self_subtraction, reduction_over_no_axes,
         second_of_same_type]
