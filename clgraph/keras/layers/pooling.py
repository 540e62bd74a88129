"""Keras 1 pooling layers: MaxPooling1D/2D, AveragePooling1D/2D and the global
poolings GlobalMaxPooling1D/2D, GlobalAveragePooling1D/2D (Keras 2 spellings pool_size,
strides, padding, data_format; aliases MaxPool2D, AvgPool2D, ...).

Windows run over the spatial axes with T.signal.pool.pool_2d on an NCHW view (an NHWC
input is dimshuffled: a free view). border_mode 'valid' keeps whole windows only;
'same' is TensorFlow's padding: ceil(in / stride) windows, the total padding split with
the extra cell at the end; padded cells never win a max and are not counted by an
average (TensorFlow's rule; Keras 1's Theano backend padded and cropped instead). An
even split uses pool_2d's own padding; an uneven one pads the input explicitly (-inf
for max; zeros for average, divided by the count of real cells per window).
"""
import numpy as np

import clgraph.tensor as T
from clgraph.tensor.signal.pool import pool_2d

from .. import backend as K
from ..engine.base_layer import Layer, layer_label
from .convolutional import (_border_mode, _ints, _static, conv_output_length, describe_input, pad_tensor, same_pads,
                            spatial_axes)
from .core import _pick, _shape_str

__all__ = ["MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling1D",
           "GlobalAveragePooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "MaxPool1D", "AvgPool1D",
           "MaxPool2D", "AvgPool2D", "GlobalMaxPool1D", "GlobalAvgPool1D", "GlobalMaxPool2D", "GlobalAvgPool2D"]


def pool_nchw(x, pool_size, strides, border_mode, mode, lengths):
    """Pool the last two axes of x: mode 'max' or 'avg'; lengths (H, W) as ints where
    known (None: read from x.shape)."""
    if mode not in ("max", "avg"):
        raise ValueError(f"pool2d: pool_mode must be 'max' or 'avg', got {mode!r}")
    if border_mode == "valid":
        return pool_2d(x, pool_size, ignore_border=True, stride=strides, mode="max" if mode == "max" else
                       "average_exc_pad")
    pads = [same_pads(n if n is not None else x.shape[x.ndim - 2 + k], pool_size[k], strides[k])
            for k, n in enumerate(lengths)]
    if all(_static(b) and _static(a) and b == a for b, a in pads):
        return pool_2d(x, pool_size, ignore_border=True, stride=strides, pad=(pads[0][0], pads[1][0]),
                       mode="max" if mode == "max" else "average_exc_pad")
    where = {x.ndim - 2: pads[0], x.ndim - 1: pads[1]}
    if mode == "max":
        return pool_2d(pad_tensor(x, where, -np.inf), pool_size, ignore_border=True, stride=strides, mode="max")
    sums = pool_2d(pad_tensor(x, where, 0.), pool_size, ignore_border=True, stride=strides, mode="sum")
    ones = T.ones((1, 1, x.shape[x.ndim - 2], x.shape[x.ndim - 1]), dtype=x.dtype)
    counts = pool_2d(pad_tensor(ones, {2: pads[0], 3: pads[1]}, 0.), pool_size, ignore_border=True, stride=strides,
                     mode="sum")[0, 0]
    return sums / counts


def pool2d_op(x, pool_size, strides=(1, 1), border_mode="valid", dim_ordering="tf", pool_mode="max"):
    """K.pool2d: x (N, C, H, W) for 'th', (N, H, W, C) for 'tf'."""
    pool_size = _ints(pool_size, 2, "pool_size", "pool2d")
    strides = _ints(strides, 2, "strides", "pool2d")
    _border_mode("pool2d", border_mode, ("valid", "same"))
    shape = K.int_shape(x)
    lengths = (None, None) if shape is None else tuple(shape[2:]) if dim_ordering == "th" else tuple(shape[1:3])
    x4 = x if dim_ordering == "th" else x.dimshuffle(0, 3, 1, 2)
    y = pool_nchw(x4, pool_size, strides, border_mode, pool_mode, lengths)
    return y if dim_ordering == "th" else y.dimshuffle(0, 2, 3, 1)


class _Pooling(Layer):
    _rank = 2
    _mode = "max"

    def _setup(self, pool_size, strides, border_mode, dim_ordering, kwargs):
        super().__init__(**kwargs)
        label = layer_label(self)
        self.pool_size = _ints(pool_size, self._rank, "pool_size", label)
        self.strides = self.pool_size if strides is None else _ints(strides, self._rank, "strides", label)
        self.border_mode = _border_mode(label, border_mode, ("valid", "same"))
        self.dim_ordering = K.normalize_dim_ordering(dim_ordering, f"{label} dim_ordering (data_format)") \
            if self._rank == 2 else "tf"
        self._lengths_seen = set()

    def _spatial_axes(self):
        return spatial_axes(self._rank, self.dim_ordering)

    def _describe(self):
        return describe_input(self._rank, self.dim_ordering, "features")

    def assert_input_compatibility(self, input_shape):
        ndim = self._rank + 2
        if not isinstance(input_shape, tuple) or len(input_shape) != ndim:
            raise ValueError(f"{layer_label(self)}: expected an input of rank {ndim} {self._describe()}, got shape "
                             f"{_shape_str(input_shape) if isinstance(input_shape, tuple) else input_shape}")
        out = self.get_output_shape_for(input_shape)
        if any(s is not None and s < 1 for s in out[1:]):
            raise ValueError(f"{layer_label(self)}: the input of shape {_shape_str(input_shape)} is too small for "
                             f"pool_size {self.pool_size} with border_mode {self.border_mode!r}: the output would "
                             f"have shape {_shape_str(out)}")
        self._lengths_seen.add(tuple(input_shape[a] for a in self._spatial_axes()))

    def get_output_shape_for(self, input_shape):
        shape = list(input_shape)
        for a, k, s in zip(self._spatial_axes(), self.pool_size, self.strides):
            shape[a] = conv_output_length(shape[a], k, self.border_mode, s)
        return tuple(shape)

    def call(self, x, mask=None):
        seen = self._lengths_seen
        lengths = next(iter(seen)) if len(seen) == 1 else (None,) * self._rank
        if self._rank == 1:
            y = pool_nchw(x.dimshuffle(0, 2, 1, "x"), self.pool_size + (1,), self.strides + (1,), self.border_mode,
                          self._mode, lengths + (1,))
            return y[:, :, :, 0].dimshuffle(0, 2, 1)
        if self.dim_ordering == "th":
            return pool_nchw(x, self.pool_size, self.strides, self.border_mode, self._mode, lengths)
        y = pool_nchw(x.dimshuffle(0, 3, 1, 2), self.pool_size, self.strides, self.border_mode, self._mode,
                      lengths)
        return y.dimshuffle(0, 2, 3, 1)


class _Pooling2D(_Pooling):
    def __init__(self, pool_size=(2, 2), strides=None, border_mode=None, dim_ordering=None, **kwargs):
        owner = type(self).__name__
        border_mode = _pick(owner, "border_mode", border_mode, "padding", kwargs, "valid")
        dim_ordering = _pick(owner, "dim_ordering", dim_ordering, "data_format", kwargs, None)
        self._setup(pool_size, strides, border_mode, dim_ordering, kwargs)

    def get_config(self):
        return dict(super().get_config(), pool_size=list(self.pool_size), strides=list(self.strides),
                    border_mode=self.border_mode, dim_ordering=self.dim_ordering)


class _Pooling1D(_Pooling):
    _rank = 1

    def __init__(self, pool_length=None, stride=None, border_mode=None, **kwargs):
        owner = type(self).__name__
        pool_length = _pick(owner, "pool_length", pool_length, "pool_size", kwargs, 2)
        stride = _pick(owner, "stride", stride, "strides", kwargs, None)
        border_mode = _pick(owner, "border_mode", border_mode, "padding", kwargs, "valid")
        if kwargs.pop("data_format", None) not in (None, "channels_last", "tf"):
            raise ValueError(f"{owner}: only (samples, steps, features) inputs (channels_last) are supported")
        self._setup(pool_length, stride, border_mode, None, kwargs)

    pool_length = property(lambda self: self.pool_size[0])
    stride = property(lambda self: self.strides[0])

    def get_config(self):
        return dict(super().get_config(), pool_length=self.pool_size[0], stride=self.strides[0],
                    border_mode=self.border_mode)


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window: MaxPooling2D(pool_size=(2, 2), strides=None
    (= pool_size), border_mode='valid' | 'same', dim_ordering='default')."""
    _mode = "max"


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window ('same': of its real cells)."""
    _mode = "avg"


class MaxPooling1D(_Pooling1D):
    """(samples, steps, features): the maximum over windows of pool_length steps
    (Keras 2: pool_size), stride (strides) = pool_length by default."""
    _mode = "max"


class AveragePooling1D(_Pooling1D):
    """(samples, steps, features): the mean over windows of pool_length steps."""
    _mode = "avg"


class _GlobalPooling(Layer):
    _rank = 2
    _mode = "max"

    def __init__(self, dim_ordering=None, **kwargs):
        dim_ordering = _pick(type(self).__name__, "dim_ordering", dim_ordering, "data_format", kwargs, None)
        super().__init__(**kwargs)
        self.dim_ordering = K.normalize_dim_ordering(dim_ordering, f"{layer_label(self)} dim_ordering") \
            if self._rank == 2 else "tf"

    def _spatial_axes(self):
        return spatial_axes(self._rank, self.dim_ordering)

    def assert_input_compatibility(self, input_shape):
        ndim = self._rank + 2
        if not isinstance(input_shape, tuple) or len(input_shape) != ndim:
            desc = describe_input(self._rank, self.dim_ordering, "features")
            raise ValueError(f"{layer_label(self)}: expected an input of rank {ndim} {desc}, got shape "
                             f"{_shape_str(input_shape) if isinstance(input_shape, tuple) else input_shape}")

    def get_output_shape_for(self, input_shape):
        axes = self._spatial_axes()
        return tuple(s for a, s in enumerate(input_shape) if a not in axes)

    def call(self, x, mask=None):
        axes = list(self._spatial_axes())
        return T.max(x, axis=axes) if self._mode == "max" else T.mean(x, axis=axes)

    def get_config(self):
        config = super().get_config()
        if self._rank == 2:
            config["dim_ordering"] = self.dim_ordering
        return config


class GlobalMaxPooling2D(_GlobalPooling):
    """(samples, rows, cols, channels) -> (samples, channels): the maximum per channel."""
    _mode = "max"


class GlobalAveragePooling2D(_GlobalPooling):
    """(samples, rows, cols, channels) -> (samples, channels): the mean per channel."""
    _mode = "avg"


class _GlobalPooling1D(_GlobalPooling):
    _rank = 1

    def __init__(self, **kwargs):
        super().__init__(None, **kwargs)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """(samples, steps, features) -> (samples, features): the maximum over the steps."""
    _mode = "max"


class GlobalAveragePooling1D(_GlobalPooling1D):
    """(samples, steps, features) -> (samples, features): the mean over the steps."""
    _mode = "avg"


# Keras 2's short names (the same classes; configs keep the Keras 1 names)
MaxPool1D, AvgPool1D, MaxPool2D, AvgPool2D = MaxPooling1D, AveragePooling1D, MaxPooling2D, AveragePooling2D
GlobalMaxPool1D, GlobalAvgPool1D = GlobalMaxPooling1D, GlobalAveragePooling1D
GlobalMaxPool2D, GlobalAvgPool2D = GlobalMaxPooling2D, GlobalAveragePooling2D
