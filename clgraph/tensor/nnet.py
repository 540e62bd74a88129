"""T.nnet: activation functions (elementwise; they fuse like any other op)."""
from ..graph.basic import as_variable
from ..ops import scalar as S
from .basic import _elemwise, _wrap, clip

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
