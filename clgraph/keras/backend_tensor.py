"""The tensor functions of Keras 1's backend (keras/backend/theano_backend.py) that
custom layers, Lambda layers, losses and the examples call, as clgraph expressions
(re-exported by clgraph.keras.backend: `from clgraph.keras import backend as K`).

Behaviour follows Keras 1.2's Theano backend: `sqrt` clips at 0, `l2_normalize` divides
by max(norm, epsilon), `batch_dot` of matrices gives (batch, 1), random draws come from
the device's Philox streams. `function(inputs, outputs, updates)` returns a callable
taking a list of arrays; K.learning_phase() is a Python number here (a graph's phase is
fixed when it is built, see backend.py), so an input that is one is accepted and its
value ignored."""
import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.graph.basic import Variable
from clgraph.shared import SharedVariable

from .activations import elu, hard_sigmoid, relu, sigmoid, softplus, softsign, tanh  # noqa: F401

__all__ = ["function", "gradients", "stop_gradient", "dot", "batch_dot", "transpose", "gather",
           "sum", "prod", "mean", "std", "var", "max", "min", "argmax", "argmin", "any", "all", "cumsum",
           "square", "abs", "sqrt", "exp", "log", "round", "sign", "pow", "clip", "equal", "not_equal",
           "greater", "greater_equal", "less", "less_equal", "maximum", "minimum", "sin", "cos", "tanh",
           "sigmoid", "hard_sigmoid", "relu", "elu", "softmax", "softplus", "softsign", "l2_normalize",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
           "concatenate", "reshape", "permute_dimensions", "expand_dims", "squeeze", "flatten", "batch_flatten",
           "repeat", "repeat_elements", "tile", "stack", "temporal_padding", "spatial_2d_padding",
           "zeros", "ones", "eye", "zeros_like", "ones_like", "identity", "random_normal", "random_uniform",
           "random_binomial", "switch", "shape", "ndim", "dtype", "count_params", "eval", "get_value",
           "set_value", "batch_get_value", "batch_set_value", "update", "update_add", "update_sub",
           "is_keras_tensor", "print_tensor"]

def _floatx():
    return clgraph.config.floatX


class _Function:
    """K.function's callable: f([x_value, ...]) -> [output values]."""

    def __init__(self, inputs, outputs, updates, kwargs):
        self._keep = [k for k, v in enumerate(inputs) if isinstance(v, Variable)]
        inputs = [inputs[k] for k in self._keep]
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        self._fn = clgraph.function(inputs, outputs, updates=list(updates or []), on_unused_input="ignore", **kwargs)

    def __call__(self, inputs):
        values = [inputs[k] for k in self._keep]
        return self._fn(*values)


def function(inputs, outputs, updates=None, **kwargs):
    return _Function(list(inputs), outputs, updates, kwargs)


def gradients(loss, variables):
    return clgraph.grad(loss, list(variables))


def stop_gradient(x):
    from clgraph.ops.elemwise import Elemwise
    from clgraph.ops.scalar import SCALAR_OPS
    return Elemwise(SCALAR_OPS["stop_gradient"])(x)


# -- linear algebra and indexing -----------------------------------------------------------

def dot(x, y):
    return T.dot(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample products, as Keras 1: matrices give (batch, 1) (sum of x * y along
    axes), rank-3 tensors a batched matrix product."""
    if isinstance(axes, int):
        axes = (axes, axes)
    if x.ndim == 2 and y.ndim == 2:
        axes = axes or (1, 1)
        if axes[0] != axes[1]:
            y = y.T
        return T.sum(x * y, axis=axes[0], keepdims=True)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2)
    xa = x if axes[0] == x.ndim - 1 else T.dimshuffle(x, *[d for d in range(x.ndim) if d != axes[0]], axes[0])
    ya = y if axes[1] == 1 else T.dimshuffle(y, 0, axes[1], *[d for d in range(1, y.ndim) if d != axes[1]])
    return T.batched_dot(xa, ya)


def transpose(x):
    return x.T


def gather(reference, indices):
    return reference[indices]


# -- reductions ------------------------------------------------------------------------------

def _axis(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return T.sum(x, axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return T.prod(x, axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    dtype = _floatx() if np.dtype(x.dtype).kind in "iub" else None
    return T.mean(x, axis=_axis(axis), keepdims=keepdims, dtype=dtype)


def std(x, axis=None, keepdims=False):
    return T.std(x, axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return T.var(x, axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return T.max(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return T.min(x, axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=-1):
    return T.argmax(x, axis=axis)


def argmin(x, axis=-1):
    return T.argmin(x, axis=axis)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return T.neq(T.max(T.neq(x, 0), axis=_axis(axis), keepdims=keepdims), 0)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return T.neq(T.min(T.neq(x, 0), axis=_axis(axis), keepdims=keepdims), 0)


def cumsum(x, axis=0):
    return T.cumsum(x, axis=axis)


# -- elementwise -------------------------------------------------------------------------------

def square(x):
    return T.sqr(x)


def abs(x):  # noqa: A001
    return T.abs(x)


def sqrt(x):
    return T.sqrt(T.clip(x, 0.0, np.inf))


def exp(x):
    return T.exp(x)


def log(x):
    return T.log(x)


def round(x):  # noqa: A001
    return T.round(x)


def sign(x):
    return T.sign(x)


def pow(x, a):  # noqa: A001
    return x ** a


def clip(x, min_value, max_value):
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return T.clip(x, min_value, max_value)


# the comparisons and elementwise functions are clgraph's own
equal, not_equal, greater, greater_equal, less, less_equal = T.eq, T.neq, T.gt, T.ge, T.lt, T.le
maximum, minimum, sin, cos = T.maximum, T.minimum, T.sin, T.cos


def softmax(x):
    return T.nnet.softmax(x)


def l2_normalize(x, axis):
    norm = T.sqrt(T.sum(T.sqr(x), axis=axis, keepdims=True))
    return x / T.maximum(norm, 1e-7)


def categorical_crossentropy(output, target, from_logits=False):
    if from_logits:
        output = T.nnet.softmax(output)
    else:
        output = output / T.sum(output, axis=-1, keepdims=True)
    output = T.clip(output, 1e-7, 1.0 - 1e-7)
    return -T.sum(target * T.log(output), axis=-1)


def sparse_categorical_crossentropy(output, target, from_logits=False):
    target = T.cast(T.flatten(target), "int64")
    onehot = T.eq(T.arange(output.shape[-1]).dimshuffle("x", 0), target.dimshuffle(0, "x"))
    return categorical_crossentropy(output, T.cast(onehot, output.dtype), from_logits)


def binary_crossentropy(output, target, from_logits=False):
    if from_logits:
        output = T.nnet.sigmoid(output)
    output = T.clip(output, 1e-7, 1.0 - 1e-7)
    return T.nnet.binary_crossentropy(output, target)


# -- shapes ------------------------------------------------------------------------------------

def concatenate(tensors, axis=-1):
    axis = axis % tensors[0].ndim if axis < 0 else axis
    return T.concatenate(list(tensors), axis=axis)


def reshape(x, shape):
    return T.reshape(x, shape)


def permute_dimensions(x, pattern):
    return T.dimshuffle(x, *pattern)


def expand_dims(x, dim=-1):
    return T.shape_padaxis(x, dim)


def squeeze(x, axis):
    axis = axis % x.ndim
    from clgraph.ops.shape import DimShuffle
    return DimShuffle(x.broadcastable, [d for d in range(x.ndim) if d != axis], drop_any=True)(x)


def flatten(x):
    return T.flatten(x)


def batch_flatten(x):
    return T.reshape(x, (x.shape[0], -1), ndim=2)


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim), as RepeatVector."""
    return T.repeat(T.shape_padaxis(x, 1), n, axis=1)


def repeat_elements(x, rep, axis):
    return T.repeat(x, rep, axis=axis)


def tile(x, n):
    return T.tile(x, n)


def stack(tensors, axis=0):
    return T.stack(list(tensors), axis=axis)


def temporal_padding(x, padding=1):
    """(batch, time, dim) with `padding` zero steps before and after."""
    from .layers.convolutional import pad_tensor
    return pad_tensor(x, {1: (padding, padding)})


def spatial_2d_padding(x, padding=(1, 1), dim_ordering="default"):
    from .backend import image_dim_ordering
    from .layers.convolutional import pad_tensor
    th = (image_dim_ordering() if dim_ordering == "default" else dim_ordering) == "th"
    h_axis, w_axis = (2, 3) if th else (1, 2)
    return pad_tensor(x, {h_axis: (padding[0], padding[0]), w_axis: (padding[1], padding[1])})


# -- values ----------------------------------------------------------------------------------

def zeros(shape, dtype=None, name=None):
    return clgraph.shared(np.zeros(shape, dtype=dtype or _floatx()), name=name)


def ones(shape, dtype=None, name=None):
    return clgraph.shared(np.ones(shape, dtype=dtype or _floatx()), name=name)


def eye(size, dtype=None, name=None):
    return clgraph.shared(np.eye(size, dtype=dtype or _floatx()), name=name)


def zeros_like(x, dtype=None, name=None):
    return T.zeros_like(x, dtype)


def ones_like(x, dtype=None, name=None):
    return T.ones_like(x, dtype)


def identity(x):
    return T.identity(x)


def _stream(seed):
    from clgraph.tensor.random import RandomStreams
    return RandomStreams(np.random.randint(1, 10_000_000) if seed is None else seed)


def random_normal(shape, mean=0.0, std=1.0, dtype=None, seed=None):
    return _stream(seed).normal(shape, avg=mean, std=std, dtype=dtype or _floatx())


def random_uniform(shape, low=0.0, high=1.0, dtype=None, seed=None):
    return _stream(seed).uniform(shape, low=low, high=high, dtype=dtype or _floatx())


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    return _stream(seed).binomial(shape, p=p, dtype=dtype or _floatx())


def switch(condition, then_expression, else_expression):
    return T.switch(condition, then_expression, else_expression)


def shape(x):
    return x.shape


def ndim(x):
    return x.ndim


def dtype(x):
    return x.dtype


def count_params(x):
    return int(np.prod(x.get_value().shape))


def eval(x):  # noqa: A001
    return x.get_value() if isinstance(x, SharedVariable) else x.eval()


def get_value(x):
    return x.get_value()


def set_value(x, value):
    x.set_value(np.asarray(value, dtype=x.dtype))


def batch_get_value(xs):
    return [x.get_value() for x in xs]


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    return (x, new_x)


def update_add(x, increment):
    return (x, x + increment)


def update_sub(x, decrement):
    return (x, x - decrement)


def is_keras_tensor(x):
    return isinstance(x, Variable) and getattr(x, "_keras_history", None) is not None


def print_tensor(x, message=""):
    """x itself: clgraph has no print op (read a value with K.function or fn.kernels)."""
    return x
