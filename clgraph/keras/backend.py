"""The few backend functions the layers share (Keras 1's `keras.backend`, clgraph only).

The learning phase is decided when a graph is *built*, not when it runs: the model builds
its training graph inside `learning_phase_scope(1)` and its test/predict graph inside
`learning_phase_scope(0)`, so `in_train_phase(a, b)` simply returns `a` or `b` and a
compiled inference function contains no dropout at all. The scope also collects what
layers add while it is open: update pairs (`add_update`, training only) and activity
penalties.
"""
import contextlib

import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.config import config
from clgraph.tensor.random import RandomStreams

_EPSILON = 1e-7
_UIDS = {}


def floatx():
    return config.floatX


def epsilon():
    """The fuzz factor the losses clip with (Keras 1: 1e-7)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def get_uid(prefix=""):
    """1, 2, ... per prefix: layer names 'dense_1', 'dense_2' as in Keras."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def reset_uids():
    _UIDS.clear()


clear_session = reset_uids


def cast_to_floatx(x):
    return np.asarray(x, dtype=floatx())


def variable(value, dtype=None, name=None):
    """A shared variable holding `value` (floatX unless `dtype` says otherwise)."""
    return clgraph.shared(np.asarray(value, dtype=dtype or floatx()), name=name)


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    """A free variable of rank len(shape) (or ndim); sizes stay dynamic."""
    if ndim is None:
        if shape is None:
            raise ValueError("placeholder: give shape or ndim")
        ndim = len(shape)
    return T.tensor(dtype or floatx(), (False,) * ndim, name=name)


# -- the learning phase -------------------------------------------------------------------

class GraphScope:
    """What the layers report while one graph is built: the phase (1 = training), the
    update pairs of stateful layers and the activity penalties."""

    def __init__(self, phase):
        self.phase = int(phase)
        self.updates = []
        self.losses = []


_SCOPES = [GraphScope(0)]  # outside any model build: the test (inference) phase


def current_scope():
    return _SCOPES[-1]


def learning_phase():
    """1 while a training graph is built, else 0."""
    return _SCOPES[-1].phase


@contextlib.contextmanager
def learning_phase_scope(phase):
    scope = GraphScope(phase)
    _SCOPES.append(scope)
    try:
        yield scope
    finally:
        _SCOPES.pop()


def _value(x):
    return x() if callable(x) else x


def in_train_phase(x, alt):
    """`x` in a training graph, `alt` otherwise (either may be a callable, called lazily)."""
    return _value(x) if learning_phase() else _value(alt)


def in_test_phase(x, alt):
    return _value(alt) if learning_phase() else _value(x)


def add_update(updates):
    """Record (shared, expression) pairs to apply with each training step."""
    if learning_phase():
        current_scope().updates.extend(updates)


def add_loss(penalty):
    current_scope().losses.append(penalty)


# -- helpers --------------------------------------------------------------------------------

def dropout(x, level, noise_shape=None, seed=None):
    """x with each entry zeroed with probability `level` and the rest scaled by
    1 / (1 - level), from a device random stream (seeded from numpy's RNG, as Keras 1)."""
    if not 0. <= level < 1.:
        raise ValueError(f"dropout: level must be in [0, 1), got {level!r}")
    if seed is None:
        seed = np.random.randint(1, 10_000_000)
    retain = 1. - level
    if noise_shape is None:
        size = x.shape
    else:
        size = tuple(x.shape[k] if s is None else int(s) for k, s in enumerate(noise_shape))
    mask = RandomStreams(seed=int(seed)).binomial(size, p=retain, dtype=x.dtype, ndim=x.ndim)
    return x * mask / retain


def int_shape(x):
    """The static shape Keras tracks for a layer output (None for the batch axis)."""
    return getattr(x, "_keras_shape", None)


def cast(x, dtype):
    return T.cast(x, dtype)


def set_values(variables, arrays, count_error, shape_error):
    """Give each shared variable its array: the count and every shape are checked before
    anything changes, so a refused call leaves all values as they were. count_error(n)
    and shape_error(variable, expected shape, got shape) make the messages."""
    arrays = list(arrays)
    if len(arrays) != len(variables):
        raise ValueError(count_error(len(arrays)))
    values = []
    for var, value in zip(variables, arrays):
        value = np.asarray(value)
        expected = var.get_value().shape
        if value.shape != expected:
            raise ValueError(shape_error(var, expected, value.shape))
        values.append(value.astype(var.dtype))
    for var, value in zip(variables, values):
        var.set_value(value)


# -- image layout (Keras 1: image_dim_ordering 'th' | 'tf'; Keras 2: image_data_format) ---

_IMAGE_DIM_ORDERING = "tf"  # Keras 1.2's default (~/.keras/keras.json is not read)
_DATA_FORMATS = {"th": "th", "tf": "tf", "channels_first": "th", "channels_last": "tf"}


def normalize_dim_ordering(value, owner="dim_ordering"):
    """'th' / 'tf' from either spelling ('channels_first' / 'channels_last'); None or
    'default' is the backend's image_dim_ordering()."""
    if value is None or value == "default":
        return _IMAGE_DIM_ORDERING
    if not isinstance(value, str) or value not in _DATA_FORMATS:
        raise ValueError(f"{owner}: expected 'th' or 'tf' (Keras 2: 'channels_first' or 'channels_last'), "
                         f"got {value!r}")
    return _DATA_FORMATS[value]


def image_dim_ordering():
    """'tf' (channels last, the default) or 'th' (channels first): the layers' default."""
    return _IMAGE_DIM_ORDERING


def set_image_dim_ordering(dim_ordering):
    global _IMAGE_DIM_ORDERING
    _IMAGE_DIM_ORDERING = normalize_dim_ordering(dim_ordering, "set_image_dim_ordering")


def image_data_format():
    """Keras 2's spelling of image_dim_ordering(): 'channels_last' or 'channels_first'."""
    return "channels_first" if _IMAGE_DIM_ORDERING == "th" else "channels_last"


def set_image_data_format(data_format):
    set_image_dim_ordering(data_format)


def conv2d(x, kernel, strides=(1, 1), border_mode="valid", dim_ordering="default", filter_dilation=(1, 1)):
    """Keras 1's K.conv2d, a cross-correlation (as the TensorFlow backend): kernel
    (out, in, rows, cols) for 'th', (rows, cols, in, out) for 'tf'; border_mode 'valid',
    'same' (TensorFlow's padding) or 'full'."""
    from .layers.convolutional import conv2d_op
    ordering = normalize_dim_ordering(dim_ordering, "conv2d")
    return conv2d_op(x, kernel, strides, border_mode, ordering, filter_dilation,
                     "oihw" if ordering == "th" else "hwio")


def pool2d(x, pool_size, strides=(1, 1), border_mode="valid", dim_ordering="default", pool_mode="max"):
    """Keras 1's K.pool2d: pool_mode 'max' or 'avg'; border_mode 'valid' or 'same'
    (TensorFlow's padding; 'avg' counts only the real cells)."""
    from .layers.pooling import pool2d_op
    return pool2d_op(x, pool_size, strides, border_mode, normalize_dim_ordering(dim_ordering, "pool2d"), pool_mode)


def moving_average_update(variable, value, momentum):
    """(variable, variable * momentum + value * (1 - momentum)), Keras' update pair."""
    return (variable, variable * momentum + value * (1. - momentum))


from .backend_tensor import *  # noqa: E402,F401,F403  (Keras 1's tensor functions: K.sum, K.dot, ...)
