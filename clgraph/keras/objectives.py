"""Keras 1 objectives (losses): `fn(y_true, y_pred)` -> one value per sample (the mean
or sum over the last axis); the model weights and averages them over the batch.

The cross-entropies are stable: on the output of a softmax or sigmoid activation (which
marks its output with its logits, see activations.py) they are computed from the logits
with log_softmax / softplus, so neither the loss nor its gradient overflows. On any other
probabilities they clip to [epsilon, 1 - epsilon] as Keras 1 does.
"""
import clgraph.tensor as T

from . import backend as K
from .utils.generic_utils import get_from_module

__all__ = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "squared_hinge", "hinge", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy", "kullback_leibler_divergence", "poisson",
           "cosine_proximity", "mse", "mae", "mape", "msle", "kld", "cosine", "get"]


def _logits(y_pred, kind):
    mark = getattr(y_pred, "_keras_logits", None)
    return mark[1] if mark is not None and mark[0] == kind else None


def mean_squared_error(y_true, y_pred):
    return T.mean(T.sqr(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    return T.mean(abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    diff = abs((y_true - y_pred) / T.maximum(abs(y_true), K.epsilon()))
    return 100. * T.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    first_log = T.log(T.maximum(y_pred, K.epsilon()) + 1.)
    second_log = T.log(T.maximum(y_true, K.epsilon()) + 1.)
    return T.mean(T.sqr(first_log - second_log), axis=-1)


def squared_hinge(y_true, y_pred):
    return T.mean(T.sqr(T.maximum(1. - y_true * y_pred, 0.)), axis=-1)


def hinge(y_true, y_pred):
    return T.mean(T.maximum(1. - y_true * y_pred, 0.), axis=-1)


def _clipped_probabilities(y_pred):
    """Keras 1: renormalise over the last axis, then clip away from 0 and 1."""
    p = y_pred / T.sum(y_pred, axis=-1, keepdims=True)
    return T.clip(p, K.epsilon(), 1. - K.epsilon())


def categorical_crossentropy(y_true, y_pred):
    """-sum(y_true * log(y_pred)) over the last axis; y_true one-hot (or probabilities)."""
    logits = _logits(y_pred, "softmax")
    if logits is not None:
        return -T.sum(y_true * T.nnet.log_softmax(logits), axis=-1)
    return -T.sum(y_true * T.log(_clipped_probabilities(y_pred)), axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred):
    """categorical_crossentropy with integer class labels: y_true has the shape of
    y_pred with a last axis of 1 (or none), holding the class index."""
    logits = _logits(y_pred, "softmax")
    n_classes = y_pred.shape[-1]
    labels = T.cast(T.flatten(y_true), "int64")
    if logits is not None:
        rows = T.nnet.softmax(T.reshape(logits, (-1, n_classes)))
    else:
        rows = T.reshape(_clipped_probabilities(y_pred), (-1, n_classes))
    ce = T.nnet.categorical_crossentropy(rows, labels)
    if y_pred.ndim == 2:
        return ce
    return T.reshape(ce, y_pred.shape[:-1], ndim=y_pred.ndim - 1)


def binary_crossentropy(y_true, y_pred):
    logits = _logits(y_pred, "sigmoid")
    if logits is not None:
        ce = T.nnet.binary_crossentropy(T.nnet.sigmoid(logits), y_true)
    else:
        ce = T.nnet.binary_crossentropy(T.clip(y_pred, K.epsilon(), 1. - K.epsilon()), y_true)
    return T.mean(ce, axis=-1)


def kullback_leibler_divergence(y_true, y_pred):
    y_true = T.clip(y_true, K.epsilon(), 1.)
    y_pred = T.clip(y_pred, K.epsilon(), 1.)
    return T.sum(y_true * T.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    return T.mean(y_pred - y_true * T.log(y_pred + K.epsilon()), axis=-1)


def _l2_normalize(x):
    return x / T.sqrt(T.maximum(T.sum(T.sqr(x), axis=-1, keepdims=True), K.epsilon()))


def cosine_proximity(y_true, y_pred):
    return -T.mean(_l2_normalize(y_true) * _l2_normalize(y_pred), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
cosine = cosine_proximity

_BY_NAME = {name: globals()[name] for name in __all__ if name != "get"}
_BY_NAME.update(MSE=mse, MAE=mae, MAPE=mape, MSLE=msle, KLD=kld)


def get(identifier):
    """A name ('mse', 'categorical_crossentropy', ...) -> the function; a callable is
    returned as it is."""
    return get_from_module(identifier, _BY_NAME, "loss")

