"""Keras 1 weight initializations, with Keras 1's scales.

Each is `init(shape, name=None, dim_ordering='th')` and returns a floatX shared variable.
The random ones draw from numpy's global RNG (np.random.uniform / normal, as Keras 1's
Theano backend does), so `np.random.seed(s)` before building a model fixes its weights.
Keras 2's classes (RandomUniform, VarianceScaling, ...) are not here; Keras 2's names
('zeros', 'ones') are accepted as aliases.
"""
import numpy as np

from . import backend as K
from .utils.generic_utils import get_from_module

__all__ = ["get", "get_fans", "serialize", "uniform", "normal", "lecun_uniform", "glorot_normal",
           "glorot_uniform", "he_normal", "he_uniform", "orthogonal", "identity", "zero", "one"]


def get_fans(shape, dim_ordering="th"):
    """(fan_in, fan_out) of a weight: a matrix (in, out); a convolution kernel
    (out, in, rows, cols) for 'th', (rows, cols, in, out) for 'tf'."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (4, 5):
        if dim_ordering == "th":
            field = int(np.prod(shape[2:]))
            return shape[1] * field, shape[0] * field
        if dim_ordering == "tf":
            field = int(np.prod(shape[:-2]))
            return shape[-2] * field, shape[-1] * field
        raise ValueError(f"get_fans: invalid dim_ordering {dim_ordering!r} (expected 'th' or 'tf')")
    size = np.sqrt(np.prod(shape))
    return size, size


def _shape(shape, what):
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"initialization {what}: shape must be a tuple of ints, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"initialization {what}: negative dimension in shape {shape}")
    return shape


def uniform(shape, scale=0.05, name=None, dim_ordering="th"):
    shape = _shape(shape, "uniform")
    return K.variable(np.random.uniform(low=-scale, high=scale, size=shape), name=name)


def normal(shape, scale=0.05, name=None, dim_ordering="th"):
    shape = _shape(shape, "normal")
    return K.variable(np.random.normal(loc=0.0, scale=scale, size=shape), name=name)


def lecun_uniform(shape, name=None, dim_ordering="th"):
    fan_in, _ = get_fans(_shape(shape, "lecun_uniform"), dim_ordering)
    return uniform(shape, np.sqrt(3. / fan_in), name=name)


def glorot_normal(shape, name=None, dim_ordering="th"):
    fan_in, fan_out = get_fans(_shape(shape, "glorot_normal"), dim_ordering)
    return normal(shape, np.sqrt(2. / (fan_in + fan_out)), name=name)


def glorot_uniform(shape, name=None, dim_ordering="th"):
    fan_in, fan_out = get_fans(_shape(shape, "glorot_uniform"), dim_ordering)
    return uniform(shape, np.sqrt(6. / (fan_in + fan_out)), name=name)


def he_normal(shape, name=None, dim_ordering="th"):
    fan_in, _ = get_fans(_shape(shape, "he_normal"), dim_ordering)
    return normal(shape, np.sqrt(2. / fan_in), name=name)


def he_uniform(shape, name=None, dim_ordering="th"):
    fan_in, _ = get_fans(_shape(shape, "he_uniform"), dim_ordering)
    return uniform(shape, np.sqrt(6. / fan_in), name=name)


def orthogonal(shape, scale=1.1, name=None, dim_ordering="th"):
    """An orthogonal matrix (rows or columns, whichever are fewer) times `scale`."""
    shape = _shape(shape, "orthogonal")
    if len(shape) < 2:
        raise ValueError(f"initialization orthogonal: needs a shape of rank >= 2, got {shape}")
    flat_shape = (shape[0], int(np.prod(shape[1:])))
    a = np.random.normal(0.0, 1.0, flat_shape)
    u, _, v = np.linalg.svd(a, full_matrices=False)
    q = (u if u.shape == flat_shape else v).reshape(shape)
    return K.variable(scale * q[:shape[0], :shape[1]], name=name)


def identity(shape, scale=1, name=None, dim_ordering="th"):
    shape = _shape(shape, "identity")
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"initialization identity: only works on square 2D shapes, got {shape}")
    return K.variable(scale * np.identity(shape[0]), name=name)


def zero(shape, name=None, dim_ordering="th"):
    return K.variable(np.zeros(_shape(shape, "zero")), name=name)


def one(shape, name=None, dim_ordering="th"):
    return K.variable(np.ones(_shape(shape, "one")), name=name)


_BY_NAME = {f.__name__: f for f in (uniform, normal, lecun_uniform, glorot_normal, glorot_uniform, he_normal,
                                    he_uniform, orthogonal, identity, zero, one)}
_BY_NAME.update(zeros=zero, ones=one)


def get(identifier, **kwargs):
    """A name ('glorot_uniform', ...) -> the function; a callable is returned as it is."""
    return get_from_module(identifier, _BY_NAME, "initialization")


def serialize(fn):
    return getattr(fn, "__name__", str(fn))
