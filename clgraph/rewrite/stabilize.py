"""Numerical stabilisation: expressions that lose precision or overflow, in forms that
compute the same values without doing so.

    log(softmax(x))      -> log_softmax(x)      (no log(0) = -inf for far-below-max logits)
    log(sigmoid(x))      -> -softplus(-x)       (log(sigmoid(-800)) is -800, not -inf)
    log(1 - sigmoid(x))  -> -softplus(x)
    log(1 + x)           -> log1p(x)            (log(1 + 1e-10) is 1e-10, not 0)
    exp(x) - 1           -> expm1(x)
    crossentropy(softmax(x), y)   -> the loss from the logits, one kernel
    gz * (softmax(x) - onehot(y)) -> one fused gradient kernel (ops/xent_grad.py)

The last two are Theano's crossentropy_softmax_1hot rewrites: T.nnet.categorical_
crossentropy already builds the logits form when it sees the softmax; the rule catches a
softmax it could not see (given through `givens`), and the gradient rule fuses what
CrossentropyIndex's gradient builds in three kernels. Gradients are taken before
rewrites run, so these rules change the forward values; a gradient graph keeps its own
form (the fused cross-entropy gradient is the exception, it is matched as built).
Every rule keeps the output's type (a constant 1 that would broadcast leaves it alone)."""
import numpy as np

from ..ops.nnet import CrossentropyIndex, OneHot, Softmax
from ..ops.shape import DimShuffle
from ..ops.xent_grad import CrossentropySoftmaxGrad
from .simplify import _scalar_name, as_output, is_constant

__all__ = ["RULES"]


def _owner(var, cls):
    node = var.owner
    return node if node is not None and isinstance(node.op, cls) else None


def _float_operand(x, like):
    """x in the float dtype `like` has (an int x is converted first by exp, sigmoid...)."""
    if x.dtype == like.dtype:
        return x
    from ..tensor.basic import cast
    return cast(x, like.dtype)


def log_softmax(node):
    """log(softmax(x)) -> log_softmax(x)."""
    if _scalar_name(node.outputs[0]) != "log":
        return None
    sm = _owner(node.inputs[0], Softmax)
    if sm is None or sm.op.log:
        return None
    return [Softmax(log=True)(sm.inputs[0])]


def log_sigmoid(node):
    """log(sigmoid(x)) -> -softplus(-x); log(1 - sigmoid(x)) -> -softplus(x)."""
    from ..tensor import basic as T
    from ..tensor.nnet import softplus
    if _scalar_name(node.outputs[0]) != "log":
        return None
    arg = node.inputs[0]
    if _scalar_name(arg) == "sigmoid":
        x = _float_operand(arg.owner.inputs[0], arg)
        return [T.neg(softplus(T.neg(x)))]
    if _scalar_name(arg) == "sub" and is_constant(arg.owner.inputs[0], 1):
        sig = arg.owner.inputs[1]
        if _scalar_name(sig) == "sigmoid" and sig.type == arg.type:
            return [T.neg(softplus(_float_operand(sig.owner.inputs[0], sig)))]
    return None


def log1p(node):
    """log(1 + x), log(x + 1) -> log1p(x), for a float sum."""
    from ..tensor.basic import log1p as _log1p
    if _scalar_name(node.outputs[0]) != "log" or _scalar_name(node.inputs[0]) != "add":
        return None
    total = node.inputs[0]
    if np.dtype(total.dtype).kind != "f":
        return None  # 1 + x could wrap around in an integer type
    a, b = total.owner.inputs
    for one, x in ((a, b), (b, a)):
        if is_constant(one, 1):
            x = as_output(x, total)
            if x is not None:
                return [_log1p(x)]
    return None


def expm1(node):
    """exp(x) - 1 -> expm1(x)."""
    from ..tensor.basic import expm1 as _expm1
    if _scalar_name(node.outputs[0]) != "sub" or not is_constant(node.inputs[1], 1):
        return None
    e = node.inputs[0]
    if _scalar_name(e) != "exp" or e.type != node.outputs[0].type:
        return None
    return [_expm1(e.owner.inputs[0])]


def crossentropy_of_softmax(node):
    """crossentropy_index(softmax(x), y) -> crossentropy_softmax(x, y) (from the logits)."""
    if not isinstance(node.op, CrossentropyIndex) or node.op.logits:
        return None
    sm = _owner(node.inputs[0], Softmax)
    if sm is None or sm.op.log:
        return None
    return [CrossentropyIndex(logits=True)(sm.inputs[0], node.inputs[1])]


def _row_gradient(var, x):
    """A variable with one value per row of x that `var` broadcasts along x's rows
    (gz.dimshuffle(..., 'x') as the gradient rule builds it), else None."""
    if var.dtype != x.dtype or var.broadcastable != x.broadcastable[:-1] + (True,):
        return None
    ds = _owner(var, DimShuffle)
    if ds is not None and ds.op.new_order == (*range(var.ndim - 1), "x"):
        return ds.inputs[0]
    return DimShuffle(var.broadcastable, tuple(range(var.ndim - 1)))(var)


def crossentropy_softmax_grad(node):
    """gz[..., None] * (softmax(x) - onehot(x, y)) -> crossentropy_softmax_grad(gz, x, y):
    the gradient rule of CrossentropyIndex(logits=True), in one kernel."""
    if _scalar_name(node.outputs[0]) != "mul":
        return None
    for scale, diff in (node.inputs, reversed(node.inputs)):
        if _scalar_name(diff) != "sub":
            continue
        sm, hot = (_owner(v, cls) for v, cls in zip(diff.owner.inputs, (Softmax, OneHot)))
        if sm is None or hot is None or sm.op.log:
            continue
        x, y = sm.inputs[0], hot.inputs[1]
        if hot.inputs[0] is not x or node.outputs[0].type != x.type:
            continue
        gz = _row_gradient(scale, x)
        if gz is not None:
            return [CrossentropySoftmaxGrad()(gz, x, y)]
    return None


RULES = [log_softmax, log_sigmoid, log1p, expm1, crossentropy_of_softmax, crossentropy_softmax_grad]
