"""T.nnet: activation functions (elementwise; they fuse like any other op), softmax /
log_softmax (one row-wise kernel) and the cross-entropy losses, which recognise a
softmax or sigmoid input and compute the loss from the logits (numerically stable)."""
import numpy as np

from ...errors import ShapeError
from ...graph.basic import as_variable
from ...ops import scalar as S
from ...ops.nnet import CrossentropyIndex, Softmax, _build_error
from ..basic import _elemwise, _wrap, cast, clip
from ..basic import log as _log
from ..basic import sum as _sum

sigmoid = _wrap("sigmoid")
softplus = _wrap("softplus")
softsign = _wrap("softsign")


def relu(x, alpha=0):
    """max(x, 0); with alpha, alpha * x for negative x (leaky ReLU), as Theano's relu."""
    return _elemwise(S.relu_op(alpha))(x)


def elu(x, alpha=1.0):
    return _elemwise(S.elu_op(alpha))(x)


def hard_sigmoid(x):
    """clip(0.2 * x + 0.5, 0, 1), as Theano's hard_sigmoid."""
    x = as_variable(x)
    return clip(x * 0.2 + 0.5, 0, 1)


ultra_fast_sigmoid = sigmoid


# -- softmax and cross-entropies (ops/nnet.py; one row-wise kernel each) ---------------

def _float_input(x):
    """Integer inputs become floats as numpy's exp would make them (int32 -> float64)."""
    x = as_variable(x)
    if np.dtype(x.dtype).kind != "f":
        x = cast(x, S.SCALAR_OPS["exp"].output_dtype([np.zeros((), x.dtype)]))
    return x


def softmax(x):
    """exp(x) / sum(exp(x)) over the last axis (a vector is one row), computed stably
    (the row max is subtracted first). One kernel."""
    return Softmax(log=False)(_float_input(x))


def log_softmax(x):
    """x - logsumexp(x) over the last axis, stable for any finite x. One kernel."""
    return Softmax(log=True)(_float_input(x))


logsoftmax = log_softmax


def _softmax_input(var):
    """x when `var` is softmax(x), else None (for the stabilising rewrites below)."""
    node = var.owner
    if node is not None and isinstance(node.op, Softmax) and not node.op.log:
        return node.inputs[0]
    return None


def categorical_crossentropy(coding_dist, true_dist):
    """Theano's categorical cross-entropy, one value per row (last axis = classes).

    true_dist with the rank of coding_dist: a one-hot / probability tensor,
    -sum(true_dist * log(coding_dist), axis=-1). true_dist with one axis less: integer
    class indices, out[i] = -log(coding_dist[i, true_dist[i]]); an index out of
    [0, n_classes) gives NaN for its row (the kernel never reads outside the row and the
    host does not read the indices back; see ops/nnet.py).

    When coding_dist is softmax(x), the loss is computed from x without forming
    log(softmax(x)): with log_softmax(x) for one-hot targets, with logsumexp(x) - x[y]
    in one kernel for indices (Theano's stabilisation rewrite), so the loss and its
    gradient stay finite for large logits."""
    coding_dist, true_dist = as_variable(coding_dist), as_variable(true_dist)
    logits = _softmax_input(coding_dist)
    if true_dist.ndim == coding_dist.ndim:
        log_coding = log_softmax(logits) if logits is not None else _log(coding_dist)
        return -_sum(true_dist * log_coding, axis=-1)
    if true_dist.ndim == coding_dist.ndim - 1:
        if logits is not None:
            return CrossentropyIndex(logits=True)(logits, true_dist)
        return CrossentropyIndex(logits=False)(coding_dist, true_dist)
    raise _build_error(ShapeError, f"categorical_crossentropy: true_dist must have the rank of coding_dist "
                                   f"(a one-hot or probability tensor) or one less (class indices), got "
                                   f"{coding_dist.describe()} and {true_dist.describe()}")


def binary_crossentropy(output, target):
    """-(target * log(output) + (1 - target) * log(1 - output)), elementwise.

    When output is sigmoid(x) this is computed from x as
    target * softplus(-x) + (1 - target) * softplus(x): the same value without log(0)
    for large |x|, no cancellation where the loss is tiny (softplus(x) - target * x
    would give 0 for x = 30, target = 1), and the gradient sigmoid(x) - target."""
    output, target = as_variable(output), as_variable(target)
    node = output.owner
    if node is not None and getattr(getattr(node.op, "scalar_op", None), "name", None) == "sigmoid":
        x = node.inputs[0]
        return target * softplus(-x) + (1.0 - target) * softplus(x)
    return -(target * _log(output) + (1.0 - target) * _log(1.0 - output))


# -- convolution (abstract_conv.py: im2col + one GEMM) ---------------------------------
from . import abstract_conv, conv  # noqa: E402,F401
from .abstract_conv import conv2d  # noqa: E402,F401
from . import bn  # noqa
