"""Keras 1 numpy helpers for labels."""
import numpy as np

__all__ = ["to_categorical", "probas_to_classes", "categorical_probas_to_classes", "normalize"]


def to_categorical(y, nb_classes=None, num_classes=None):
    """Class indices (any shape, flattened) -> a one-hot float32 matrix of shape
    (len(y), nb_classes); nb_classes defaults to max(y) + 1 (Keras 2: num_classes)."""
    if num_classes is not None:
        if nb_classes is not None:
            raise TypeError("to_categorical: give nb_classes or num_classes, not both")
        nb_classes = num_classes
    y = np.asarray(y)
    if y.dtype.kind not in "biuf" or (y.dtype.kind == "f" and not np.all(np.equal(np.mod(y, 1), 0))):
        raise ValueError(f"to_categorical: expected integer class indices, got an array of dtype {y.dtype}")
    y = y.astype(np.int64).ravel()
    if nb_classes is None:
        nb_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= nb_classes):
        raise ValueError(f"to_categorical: class indices must be in [0, {nb_classes}), got values from {y.min()} to "
                         f"{y.max()}")
    out = np.zeros((len(y), nb_classes), dtype=np.float32)
    out[np.arange(len(y)), y] = 1.
    return out


def categorical_probas_to_classes(p):
    return np.argmax(p, axis=1)


def probas_to_classes(y_pred):
    """argmax for several columns, else (y_pred > 0.5) as ints."""
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return np.array([1 if p > 0.5 else 0 for p in np.ravel(y_pred)])


def normalize(a, axis=-1, order=2):
    """a divided by its `order`-norm along `axis` (zero norms left alone)."""
    norm = np.atleast_1d(np.linalg.norm(a, order, axis))
    norm[norm == 0] = 1
    return a / np.expand_dims(norm, axis)
