"""Keras 1 metrics: `fn(y_true, y_pred)` -> a float32 scalar for the batch.

'accuracy' / 'acc' in `compile(metrics=...)` is resolved by the model (see `accuracy_for`):
binary_accuracy when the output has one unit or the loss is binary_crossentropy,
sparse_categorical_accuracy with sparse_categorical_crossentropy, else
categorical_accuracy. Every loss of `objectives` is a metric too (averaged over the batch).
"""
import clgraph.tensor as T

from . import backend as K
from . import objectives
from .utils.generic_utils import get_from_module

__all__ = ["binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "accuracy_for", "get"]


def _mean(x):
    return T.cast(T.mean(T.cast(x, K.floatx())), K.floatx())


def binary_accuracy(y_true, y_pred):
    """The fraction of entries where round(y_pred) equals y_true (0/1 targets)."""
    return _mean(T.eq(y_true, T.round(y_pred)))


def categorical_accuracy(y_true, y_pred):
    """The fraction of samples whose largest prediction is the one-hot target's class."""
    return _mean(T.eq(T.argmax(y_true, axis=-1), T.argmax(y_pred, axis=-1)))


def sparse_categorical_accuracy(y_true, y_pred):
    """categorical_accuracy with integer labels (y_true: (..., 1) class indices)."""
    return _mean(T.eq(T.max(y_true, axis=-1), T.cast(T.argmax(y_pred, axis=-1), y_true.dtype)))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """The fraction of samples whose target class is among the k largest predictions
    (ties with the k-th largest count as inside, as TensorFlow's in_top_k)."""
    if y_pred.ndim != 2:
        raise ValueError(f"top_k_categorical_accuracy: expected predictions of rank 2, got rank {y_pred.ndim}")
    target = T.argmax(y_true, axis=-1)
    target_score = y_pred[T.arange(y_pred.shape[0]), target]
    above = T.sum(T.cast(y_pred > target_score.dimshuffle(0, "x"), "int64"), axis=-1)
    return _mean(above < k)


def accuracy_for(loss_fn, output_shape):
    """The accuracy Keras 1 uses for an output of `output_shape` trained with `loss_fn`."""
    if output_shape[-1] == 1 or loss_fn is objectives.binary_crossentropy:
        return binary_accuracy
    if loss_fn is objectives.sparse_categorical_crossentropy:
        return sparse_categorical_accuracy
    return categorical_accuracy


_BY_NAME = dict(objectives._BY_NAME)
_BY_NAME.update({f.__name__: f for f in (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                         top_k_categorical_accuracy)})


def get(identifier):
    """A name -> the metric function (accuracies and every loss); a callable is returned
    as it is. 'accuracy'/'acc' depend on the loss: see accuracy_for."""
    return get_from_module(identifier, _BY_NAME, "metric")
