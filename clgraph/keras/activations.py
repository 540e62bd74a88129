"""Keras 1 activations: functions from a symbolic tensor to a symbolic tensor.

softmax and sigmoid mark their output with the logits they came from
(`out._keras_logits = (kind, x)`), so a cross-entropy loss on that output is computed
from the logits (stable, no clipping) instead of from the probabilities.
"""
import clgraph.tensor as T

from .utils.generic_utils import get_from_module


def _mark(out, kind, logits):
    out._keras_logits = (kind, logits)
    return out


def softmax(x):
    """exp(x) / sum(exp(x)) over the last axis."""
    if x.ndim < 2:
        raise ValueError(f"softmax activation: expected a tensor of rank >= 2, got rank {x.ndim}")
    return _mark(T.nnet.softmax(x), "softmax", x)


def elu(x, alpha=1.0):
    return T.nnet.elu(x, alpha)


def softplus(x):
    return T.nnet.softplus(x)


def softsign(x):
    return T.nnet.softsign(x)


def relu(x, alpha=0., max_value=None):
    out = T.nnet.relu(x, alpha)
    if max_value is not None:
        out = T.minimum(out, max_value)
    return out


def tanh(x):
    return T.tanh(x)


def sigmoid(x):
    return _mark(T.nnet.sigmoid(x), "sigmoid", x)


def hard_sigmoid(x):
    """clip(0.2 * x + 0.5, 0, 1)."""
    return T.nnet.hard_sigmoid(x)


def linear(x):
    return x


_BY_NAME = {f.__name__: f for f in (softmax, elu, softplus, softsign, relu, tanh, sigmoid, hard_sigmoid,
                                    linear)}


def get(identifier):
    """None -> linear; a name -> the function; a callable is returned as it is."""
    if identifier is None:
        return linear
    return get_from_module(identifier, _BY_NAME, "activation function")


def serialize(fn):
    return getattr(fn, "__name__", str(fn))
