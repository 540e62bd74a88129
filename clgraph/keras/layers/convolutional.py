"""Keras 1 convolutional layers: Convolution1D/2D (Keras 2: Conv1D/Conv2D),
AtrousConvolution1D/2D, ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D.

Convolutions are cross-correlations (conv2d with filter_flip=False), as with Keras'
TensorFlow backend, Keras 1 and 2 alike: kernels trained there (and every Keras 2
"channels_last" model zoo) load as they are. Keras' Theano backend flips the kernel (a
true convolution, Theano's default); weights saved by Keras 1/2 with Theano need their
spatial axes reversed first, which is what Keras itself does between backends:
`convert_kernel(w)` below (Keras' `utils.np_utils.convert_kernel`).

Weight layouts, as Keras writes them:
  Convolution2D (Keras 1)  W (nb_filter, stack, rows, cols) for dim_ordering 'th',
                           (rows, cols, stack, nb_filter) for 'tf'
  Conv2D (Keras 2)         kernel (rows, cols, in, filters) for both data formats
  Convolution1D (Keras 1)  W (filter_length, 1, input_dim, nb_filter)
  Conv1D (Keras 2)         kernel (kernel_size, in, filters)
The class decides (Convolution*/AtrousConvolution* are Keras 1, Conv1D/Conv2D Keras 2);
both accept either generation's argument names. Conv2D(32, 3, 3) is kernel (3, 3), as in
Keras 2's legacy-call conversion.

dim_ordering defaults to K.image_dim_ordering() ('tf' as Keras 1.2). 'same' padding is
TensorFlow's: out = ceil(in / stride), the total padding max((out - 1) * stride +
dilated kernel - in, 0) split with the extra cell at the end (bottom/right); where the
split is uneven the input is zero-padded explicitly, otherwise conv2d pads. Also
'full' (Keras 1, Theano) and 'causal' (Conv1D: left padding only).

The forward pass is conv2d on an NCHW view (an NHWC input is dimshuffled, a free view)
with the bias added per channel, on the NCHW output or on its NHWC view: bias and
activation run in the GEMM's epilogue either way.
"""
import inspect

import numpy as np

import clgraph.tensor as T

from .. import activations, constraints, initializations, regularizers
from .. import backend as K
from ..engine.base_layer import Layer, layer_label
from .core import _config_of, _pick, _shape_str

__all__ = ["Convolution1D", "Conv1D", "AtrousConvolution1D", "Convolution2D", "Conv2D", "AtrousConvolution2D",
           "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D"]

_BORDER_MODES = ("valid", "same", "full")


# -- helpers shared with pooling.py ---------------------------------------------------------

def _ints(value, n, what, owner, low=1):
    """An int or a sequence of n ints, each >= low, as a tuple of n ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,) * n
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or len(items) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                               or v < low for v in items):
        kind = "positive" if low >= 1 else "non-negative"
        raise ValueError(f"{owner}: {what} must be a {kind} int or a tuple of {n} {kind} ints, got {value!r}")
    return tuple(int(v) for v in items)


def _lookup(layer, get, value, argument):
    try:
        return get(value)
    except ValueError as exc:
        raise ValueError(f"{layer_label(layer)}: argument {argument}: {exc}") from None


def _border_mode(owner, value, allowed=_BORDER_MODES):
    if value not in allowed:
        raise ValueError(f"{owner}: border_mode (padding) must be one of {', '.join(map(repr, allowed))}, "
                         f"got {value!r}")
    return value


def conv_output_length(length, size, border_mode, stride, dilation=1):
    """Keras' conv_output_length: the output length along one axis (None stays None)."""
    if length is None:
        return None
    k = (size - 1) * dilation + 1
    if border_mode in ("same", "causal"):
        out = length
    elif border_mode == "valid":
        out = length - k + 1
    else:  # full
        out = length + k - 1
    return (out + stride - 1) // stride


def same_pads(length, k, stride):
    """TensorFlow's 'SAME' padding of one axis: (before, after), the extra cell after.
    Python ints where they are known when the graph is built (stride 1, or a known
    length), else symbolic int scalars computed from `length` (x.shape[axis])."""
    if stride == 1:
        total = k - 1
    elif _static(length) and _static(k):
        out = -(-int(length) // stride)
        total = max((out - 1) * stride + k - int(length), 0)
    else:
        out = (length + (stride - 1)) // stride
        total = T.maximum((out - 1) * stride + k - length, 0)
        before = total // 2
        return before, total - before
    return total // 2, total - total // 2


def _static(v):
    return isinstance(v, (int, np.integer))


def pad_tensor(x, pads, value=0.):
    """x with pads {axis: (before, after)} (ints or symbolic ints) filled with `value`:
    one alloc and one set_subtensor (a copy of x); x itself when every pad is 0."""
    pads = {a: p for a, p in pads.items() if not (_static(p[0]) and _static(p[1]) and p == (0, 0))}
    if not pads:
        return x
    shape = [x.shape[a] for a in range(x.ndim)]
    index = [slice(None)] * x.ndim
    for a, (before, after) in pads.items():
        shape[a] = shape[a] + before + after
        index[a] = slice(before, before + x.shape[a])
    canvas = T.alloc(T.constant(np.asarray(value, dtype=x.dtype)), *shape)
    return T.set_subtensor(canvas[tuple(index)], x)


def conv_nchw(x, w, ksize, strides, border_mode, dilation, lengths):
    """Cross-correlation of x (N, C, H, W) with w (O, C, KH, KW). ksize: (KH, KW), ints
    where known; lengths: (H, W), ints where known (None: read from x.shape)."""
    ks = [(k - 1) * d + 1 for k, d in zip(ksize, dilation)]   # dilated kernel sizes
    if border_mode == "valid":
        mode = (0, 0)
    elif border_mode == "full":
        mode = (ks[0] - 1, ks[1] - 1) if all(_static(k) for k in ks) else "full"
    else:
        pads = []
        for axis in range(2):
            if border_mode == "causal":
                pads.append((ks[0] - 1, 0) if axis == 0 else (0, 0))
            else:
                n = lengths[axis] if lengths[axis] is not None else x.shape[2 + axis]
                pads.append(same_pads(n, ks[axis], strides[axis]))
        if all(_static(b) and _static(a) and b == a for b, a in pads):
            mode = (pads[0][0], pads[1][0])
        else:
            x = pad_tensor(x, {2: pads[0], 3: pads[1]})
            mode = (0, 0)
    return T.nnet.conv2d(x, w, border_mode=mode, subsample=strides, filter_flip=False, filter_dilation=dilation)


def conv2d_op(x, kernel, strides=(1, 1), border_mode="valid", dim_ordering="tf", dilation=(1, 1), layout="hwio"):
    """K.conv2d: x (N, C, H, W) for 'th' or (N, H, W, C) for 'tf'; kernel (O, I, KH, KW)
    (layout 'oihw') or (KH, KW, I, O) ('hwio'); the output in x's ordering."""
    strides = _ints(strides, 2, "strides", "conv2d")
    dilation = _ints(dilation, 2, "filter_dilation", "conv2d")
    _border_mode("conv2d", border_mode)
    w = kernel if layout == "oihw" else kernel.dimshuffle(3, 2, 0, 1)
    value = getattr(kernel, "get_value", None)
    if value is not None:
        ksize = value().shape[2:] if layout == "oihw" else value().shape[:2]
    else:
        ksize = (w.shape[2], w.shape[3])
    x4 = x if dim_ordering == "th" else x.dimshuffle(0, 3, 1, 2)
    shape = K.int_shape(x)
    lengths = (None, None) if shape is None else tuple(shape[2:]) if dim_ordering == "th" else tuple(shape[1:3])
    y = conv_nchw(x4, w, tuple(ksize), strides, border_mode, dilation, lengths)
    return y if dim_ordering == "th" else y.dimshuffle(0, 2, 3, 1)


def convert_kernel(kernel, dim_ordering="default"):
    """A kernel array with its spatial axes reversed (Keras 1's np_utils.convert_kernel):
    the same filters for a backend that flips them (Theano) and one that does not
    (TensorFlow, clgraph). 'th': (out, in, rows, cols); 'tf': (rows, cols, in, out)."""
    kernel = np.asarray(kernel)
    spatial = kernel.ndim - 2
    if K.normalize_dim_ordering(dim_ordering, "convert_kernel") == "th":
        index = (slice(None),) * 2 + (slice(None, None, -1),) * spatial
    else:
        index = (slice(None, None, -1),) * spatial + (slice(None),) * 2
    return kernel[index].copy()


def _accepts_dim_ordering(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "dim_ordering" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


# -- convolutions -------------------------------------------------------------------------------

def spatial_axes(rank, dim_ordering):
    """The axes an image layer slides over: steps for 1-D, rows and columns for 2-D."""
    if rank == 1:
        return (1,)
    return (2, 3) if dim_ordering == "th" else (1, 2)


def describe_input(rank, dim_ordering, features):
    """The input layout an image layer expects, for its error messages."""
    if rank == 1:
        return f"(samples, steps, {features})"
    return "(samples, channels, rows, cols) for dim_ordering 'th'" if dim_ordering == "th" else \
        "(samples, rows, cols, channels) for dim_ordering 'tf'"


class _Conv(Layer):
    """What Convolution1D/2D share. Subclasses parse their arguments and call _setup."""

    _rank = 2
    _keras2 = False   # Keras 2 weight layout (rows, cols, in, out) / (length, in, out) and config names

    def _setup(self, nb_filter, kernel, init, activation, border_mode, strides, dim_ordering, dilation,
               W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint, bias, bias_init,
               weights, kwargs):
        owner = type(self).__name__
        rank = self._rank
        super().__init__(weights=weights, **kwargs)
        if isinstance(nb_filter, bool) or not isinstance(nb_filter, (int, np.integer)) or nb_filter < 1:
            raise ValueError(f"{layer_label(self)}: nb_filter (filters) must be a positive integer, got "
                             f"{nb_filter!r}")
        self.nb_filter = int(nb_filter)
        self.kernel_size = _ints(kernel, rank, "the kernel size", layer_label(self))
        self.subsample = _ints(strides, rank, "subsample (strides)", layer_label(self))
        self.dilation_rate = _ints(dilation, rank, "the dilation rate", layer_label(self))
        allowed = _BORDER_MODES + (("causal",) if rank == 1 else ())
        self.border_mode = _border_mode(layer_label(self), border_mode, allowed)
        if rank == 2:
            self.dim_ordering = K.normalize_dim_ordering(dim_ordering, f"{owner} dim_ordering (data_format)")
        else:
            self.dim_ordering = "tf"
        self.init = _lookup(self, initializations.get, init, "init")
        self.bias_init = _lookup(self, initializations.get, bias_init, "bias_initializer")
        self.activation = _lookup(self, activations.get, activation, "activation")
        self.bias = bool(bias)
        self.W_regularizer = _lookup(self, regularizers.get, W_regularizer, "W_regularizer")
        self.b_regularizer = _lookup(self, regularizers.get, b_regularizer, "b_regularizer")
        self.activity_regularizer = _lookup(self, regularizers.get, activity_regularizer, "activity_regularizer")
        self.W_constraint = _lookup(self, constraints.get, W_constraint, "W_constraint")
        self.b_constraint = _lookup(self, constraints.get, b_constraint, "b_constraint")
        self._lengths_seen = set()

    # -- geometry ---------------------------------------------------------------------------
    @property
    def _channel_axis(self):
        return 1 if (self._rank == 2 and self.dim_ordering == "th") else self._rank + 1

    def _spatial_axes(self):
        return spatial_axes(self._rank, self.dim_ordering)

    def _describe(self):
        return describe_input(self._rank, self.dim_ordering, "channels")

    @property
    def W_shape(self):
        return self._kernel_shape(self._built_channels)

    def _kernel_shape(self, channels):
        k, o = self.kernel_size, self.nb_filter
        if self._rank == 1:
            return (k[0], channels, o) if self._keras2 else (k[0], 1, channels, o)
        if self.dim_ordering == "th" and not self._keras2:
            return (o, channels) + k
        return k + (channels, o)

    def _output_lengths(self, input_shape):
        return tuple(conv_output_length(input_shape[a], k, self.border_mode, s, d)
                     for a, k, s, d in zip(self._spatial_axes(), self.kernel_size, self.subsample,
                                           self.dilation_rate))

    def assert_input_compatibility(self, input_shape):
        ndim = self._rank + 2
        if not isinstance(input_shape, tuple) or len(input_shape) != ndim:
            raise ValueError(f"{layer_label(self)}: expected an input of rank {ndim} {self._describe()}, got shape "
                             f"{_shape_str(input_shape) if isinstance(input_shape, tuple) else input_shape}")
        c = self._channel_axis
        if input_shape[c] is None:
            raise ValueError(f"{layer_label(self)}: the channel axis (axis {c}) of the input must have a known size, "
                             f"got shape {_shape_str(input_shape)} {self._describe()}")
        if self.built and input_shape[c] != self._built_channels:
            n = self._built_channels
            raise ValueError(f"{layer_label(self)}: expected input with {n} channels on axis {c} (the layer was "
                             f"built for shape {_shape_str(self._built_shape)}), got input of shape "
                             f"{_shape_str(input_shape)}")
        out = self._output_lengths(input_shape)
        if any(o is not None and o < 1 for o in out):
            raise ValueError(f"{layer_label(self)}: the input of shape {_shape_str(input_shape)} is too small for a "
                             f"{'x'.join(map(str, self.kernel_size))} kernel (dilation {self.dilation_rate}) with "
                             f"border_mode {self.border_mode!r}: the output would have spatial size {out}")
        self._lengths_seen.add(tuple(input_shape[a] for a in self._spatial_axes()))

    # -- weights ------------------------------------------------------------------------------
    def build(self, input_shape):
        channels = input_shape[self._channel_axis]
        self._built_channels, self._built_shape = channels, tuple(input_shape)
        shape = self._kernel_shape(channels)
        init, rank, keras2 = self.init, self._rank, self._keras2
        # fans as Keras computes them: 'th' for (out, in, rows, cols), 'tf' otherwise;
        # the Keras 2 Conv1D kernel is drawn as (length, 1, in, out) and reshaped
        ordering = "th" if (rank == 2 and self.dim_ordering == "th" and not keras2) else "tf"
        draw_shape = (shape[0], 1) + shape[1:] if (rank == 1 and keras2) else shape

        def kernel_init(_shape, name=None):
            value = init(draw_shape, name=name, dim_ordering=ordering) if _accepts_dim_ordering(init) \
                else init(draw_shape, name=name)
            if draw_shape != shape:
                value = K.variable(np.asarray(value.get_value() if hasattr(value, "get_value") else value)
                                   .reshape(shape), name=name)
            return value

        self.W = self.add_weight(shape, kernel_init, name="W", regularizer=self.W_regularizer,
                                 constraint=self.W_constraint)
        self.b = self.add_weight((self.nb_filter,), self.bias_init, name="b", regularizer=self.b_regularizer,
                                 constraint=self.b_constraint) if self.bias else None
        self.built = True

    kernel = property(lambda self: self.W)

    def _filters_oihw(self):
        W = self.W
        if self._rank == 1:
            return W.dimshuffle(2, 1, 0, "x") if self._keras2 else W.dimshuffle(3, 2, 0, 1)
        if self.dim_ordering == "th" and not self._keras2:
            return W
        return W.dimshuffle(3, 2, 0, 1)

    # -- the computation ------------------------------------------------------------------------
    def call(self, x, mask=None):
        rank = self._rank
        seen = self._lengths_seen
        lengths = next(iter(seen)) if len(seen) == 1 else (None,) * rank
        if rank == 1:
            x4 = x.dimshuffle(0, 2, 1, "x")                       # (N, C, steps, 1)
            ksize, strides, dilation = self.kernel_size + (1,), self.subsample + (1,), self.dilation_rate + (1,)
            lengths = lengths + (1,)
        else:
            x4 = x if self.dim_ordering == "th" else x.dimshuffle(0, 3, 1, 2)
            ksize, strides, dilation = self.kernel_size, self.subsample, self.dilation_rate
        y = conv_nchw(x4, self._filters_oihw(), ksize, strides, self.border_mode, dilation, lengths)
        if rank == 2 and self.dim_ordering == "th":
            if self.bias:
                y = y + self.b.dimshuffle("x", 0, "x", "x")
        else:
            y = y.dimshuffle(0, 2, 3, 1)                           # NHWC view of the NCHW result
            if self.bias:
                y = y + self.b
        y = self.activation(y)
        return y[:, :, 0, :] if rank == 1 else y

    def get_output_shape_for(self, input_shape):
        out = self._output_lengths(input_shape)
        if self._rank == 1:
            return (input_shape[0], out[0], self.nb_filter)
        if self.dim_ordering == "th":
            return (input_shape[0], self.nb_filter) + out
        return (input_shape[0],) + out + (self.nb_filter,)

    # -- configuration ----------------------------------------------------------------------------
    def _common_config(self):
        return {"activation": activations.serialize(self.activation),
                "activity_regularizer": _config_of(self.activity_regularizer)}

    def _keras1_config(self):
        config = {"init": initializations.serialize(self.init), "border_mode": self.border_mode,
                  "W_regularizer": _config_of(self.W_regularizer), "b_regularizer": _config_of(self.b_regularizer),
                  "W_constraint": _config_of(self.W_constraint), "b_constraint": _config_of(self.b_constraint),
                  "bias": self.bias}
        if self.bias_init is not initializations.zero:
            config["bias_initializer"] = initializations.serialize(self.bias_init)
        return config

    def _keras2_config(self):
        config = {"filters": self.nb_filter, "kernel_size": list(self.kernel_size), "strides": list(self.subsample),
                  "padding": self.border_mode, "dilation_rate": list(self.dilation_rate), "use_bias": self.bias,
                  "kernel_initializer": initializations.serialize(self.init),
                  "bias_initializer": initializations.serialize(self.bias_init),
                  "kernel_regularizer": _config_of(self.W_regularizer),
                  "bias_regularizer": _config_of(self.b_regularizer),
                  "kernel_constraint": _config_of(self.W_constraint), "bias_constraint": _config_of(self.b_constraint)}
        if self._rank == 2:
            config["data_format"] = "channels_first" if self.dim_ordering == "th" else "channels_last"
        return config


def _keras2_common(owner, kwargs, init, W_regularizer, b_regularizer, W_constraint, b_constraint, bias):
    """The Keras 1 values of the arguments every convolution takes, from either spelling."""
    return dict(
        init=_pick(owner, "init", init, "kernel_initializer", kwargs, "glorot_uniform"),
        bias_init=kwargs.pop("bias_initializer", "zero"),
        W_regularizer=_pick(owner, "W_regularizer", W_regularizer, "kernel_regularizer", kwargs, None),
        b_regularizer=_pick(owner, "b_regularizer", b_regularizer, "bias_regularizer", kwargs, None),
        W_constraint=_pick(owner, "W_constraint", W_constraint, "kernel_constraint", kwargs, None),
        b_constraint=_pick(owner, "b_constraint", b_constraint, "bias_constraint", kwargs, None),
        bias=_pick(owner, "bias", bias, "use_bias", kwargs, True))


class Convolution2D(_Conv):
    """2-D convolution (a cross-correlation) over images.

    Keras 1: Convolution2D(nb_filter, nb_row, nb_col, init='glorot_uniform',
    activation=None, weights=None, border_mode='valid' | 'same' | 'full', subsample=(1, 1),
    dim_ordering='default', W_regularizer, b_regularizer, activity_regularizer,
    W_constraint, b_constraint, bias=True). Keras 2 names: filters, kernel_size, strides,
    padding, data_format, dilation_rate, use_bias, kernel_initializer, bias_initializer,
    kernel_/bias_regularizer, kernel_/bias_constraint. W is (nb_filter, stack, nb_row,
    nb_col) for 'th', (nb_row, nb_col, stack, nb_filter) for 'tf'."""

    def __init__(self, nb_filter=None, nb_row=None, nb_col=None, init=None, activation=None, weights=None,
                 border_mode=None, subsample=None, dim_ordering=None, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, bias=None, **kwargs):
        owner = type(self).__name__
        nb_filter = _pick(owner, "nb_filter", nb_filter, "filters", kwargs, None)
        if "kernel_size" in kwargs:
            if nb_row is not None or nb_col is not None:
                raise TypeError(f"{owner}: give nb_row and nb_col or kernel_size (their Keras 2 name), not both")
            kernel = kwargs.pop("kernel_size")
        elif nb_row is not None and not isinstance(nb_row, (int, np.integer)):
            if nb_col is not None:
                raise TypeError(f"{owner}: got a kernel size {nb_row!r} and nb_col={nb_col!r}")
            kernel = nb_row
        else:
            if nb_row is None or nb_col is None:
                raise TypeError(f"{owner}: give the kernel size: nb_row and nb_col (Keras 2: kernel_size)")
            kernel = (nb_row, nb_row if nb_col is None else nb_col)
        border_mode = _pick(owner, "border_mode", border_mode, "padding", kwargs, "valid")
        subsample = _pick(owner, "subsample", subsample, "strides", kwargs, (1, 1))
        dim_ordering = _pick(owner, "dim_ordering", dim_ordering, "data_format", kwargs, None)
        dilation = self._dilation(kwargs)
        common = _keras2_common(owner, kwargs, init, W_regularizer, b_regularizer, W_constraint, b_constraint, bias)
        self._setup(nb_filter, kernel, activation=activation, border_mode=border_mode, strides=subsample,
                    dim_ordering=dim_ordering, dilation=dilation, activity_regularizer=activity_regularizer,
                    weights=weights, kwargs=kwargs, **common)

    def _dilation(self, kwargs):
        return kwargs.pop("dilation_rate", (1, 1))

    def get_config(self):
        if self._keras2:
            return dict(super().get_config(), **self._common_config(), **self._keras2_config())
        config = {"nb_filter": self.nb_filter, "nb_row": self.kernel_size[0], "nb_col": self.kernel_size[1],
                  "subsample": list(self.subsample), "dim_ordering": self.dim_ordering}
        config.update(self._common_config(), **self._keras1_config())
        config.update(self._dilation_config())
        return dict(super().get_config(), **config)

    def _dilation_config(self):
        return {} if self.dilation_rate == (1, 1) else {"dilation_rate": list(self.dilation_rate)}


class AtrousConvolution2D(Convolution2D):
    """Convolution2D with dilated kernels: AtrousConvolution2D(nb_filter, nb_row, nb_col,
    atrous_rate=(1, 1), ...) (Keras 2: Conv2D(..., dilation_rate=...))."""

    def __init__(self, nb_filter=None, nb_row=None, nb_col=None, init=None, activation=None, weights=None,
                 border_mode=None, subsample=None, atrous_rate=None, dim_ordering=None, **kwargs):
        if atrous_rate is not None:
            if "dilation_rate" in kwargs:
                raise TypeError("AtrousConvolution2D: give atrous_rate or dilation_rate, not both")
            kwargs["dilation_rate"] = atrous_rate
        super().__init__(nb_filter, nb_row, nb_col, init=init, activation=activation, weights=weights,
                         border_mode=border_mode, subsample=subsample, dim_ordering=dim_ordering, **kwargs)

    @property
    def atrous_rate(self):
        return self.dilation_rate

    def _dilation_config(self):
        return {"atrous_rate": list(self.dilation_rate)}


class Conv2D(Convolution2D):
    """Keras 2's Conv2D(filters, kernel_size, strides=(1, 1), padding='valid',
    data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True, ...); the
    kernel is (rows, cols, in, filters) for both data formats. Keras 1 argument names
    work too, and Conv2D(32, 3, 3) means kernel (3, 3), as Keras 2 reads that legacy call."""

    _keras2 = True

    def __init__(self, filters=None, kernel_size=None, *args, **kwargs):
        if len(args) > 3:
            raise TypeError(f"Conv2D: at most 5 positional arguments (filters, kernel_size, strides, padding, "
                            f"data_format), got {2 + len(args)}")
        args = list(args)
        nb_col = None
        if args and isinstance(args[0], (int, np.integer)) and not isinstance(args[0], bool):
            nb_col = args.pop(0)          # Keras 1 legacy: Conv2D(filters, nb_row, nb_col)
        for name, value in zip(("strides", "padding", "data_format"), args):
            if name in kwargs:
                raise TypeError(f"Conv2D: got {name} twice")
            kwargs[name] = value
        if filters is not None:
            if "nb_filter" in kwargs:
                raise TypeError("Conv2D: give filters or nb_filter, not both")
            kwargs["filters"] = filters
        if kernel_size is not None:
            if nb_col is None and isinstance(kernel_size, (int, np.integer)) and "nb_col" not in kwargs:
                kwargs["kernel_size"] = (kernel_size, kernel_size)
            else:
                kwargs["nb_row"] = kernel_size
                kwargs["nb_col"] = nb_col if nb_col is not None else kwargs.pop("nb_col", None)
        super().__init__(**kwargs)


class Convolution1D(_Conv):
    """1-D convolution over (samples, steps, channels).

    Keras 1: Convolution1D(nb_filter, filter_length, init='glorot_uniform',
    activation=None, weights=None, border_mode='valid' | 'same' | 'full',
    subsample_length=1, W_regularizer, b_regularizer, activity_regularizer,
    W_constraint, b_constraint, bias=True, input_dim=None, input_length=None); W is
    (filter_length, 1, input_dim, nb_filter). Keras 2 names: filters, kernel_size,
    strides, padding (also 'causal'), dilation_rate, use_bias, kernel_initializer, ..."""

    _rank = 1

    def __init__(self, nb_filter=None, filter_length=None, init=None, activation=None, weights=None,
                 border_mode=None, subsample_length=None, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, bias=None, input_dim=None,
                 input_length=None, **kwargs):
        owner = type(self).__name__
        nb_filter = _pick(owner, "nb_filter", nb_filter, "filters", kwargs, None)
        filter_length = _pick(owner, "filter_length", filter_length, "kernel_size", kwargs, None)
        if filter_length is None:
            raise TypeError(f"{owner}: give the kernel size: filter_length (Keras 2: kernel_size)")
        border_mode = _pick(owner, "border_mode", border_mode, "padding", kwargs, "valid")
        subsample_length = _pick(owner, "subsample_length", subsample_length, "strides", kwargs, 1)
        data_format = kwargs.pop("data_format", None)
        if data_format not in (None, "channels_last", "tf"):
            raise ValueError(f"{owner}: only data_format='channels_last' (samples, steps, channels) is supported, "
                             f"got {data_format!r}")
        dilation = self._dilation(kwargs)
        if input_dim is not None and kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = (input_length, input_dim)
        common = _keras2_common(owner, kwargs, init, W_regularizer, b_regularizer, W_constraint, b_constraint, bias)
        self._setup(nb_filter, filter_length, activation=activation, border_mode=border_mode,
                    strides=subsample_length, dim_ordering="tf", dilation=dilation,
                    activity_regularizer=activity_regularizer, weights=weights, kwargs=kwargs, **common)

    def _dilation(self, kwargs):
        return kwargs.pop("dilation_rate", 1)

    filter_length = property(lambda self: self.kernel_size[0])
    subsample_length = property(lambda self: self.subsample[0])

    def get_config(self):
        if self._keras2:
            return dict(super().get_config(), **self._common_config(), **self._keras2_config())
        config = {"nb_filter": self.nb_filter, "filter_length": self.kernel_size[0],
                  "subsample_length": self.subsample[0]}
        config.update(self._common_config(), **self._keras1_config())
        config.update(self._dilation_config())
        return dict(super().get_config(), **config)

    def _dilation_config(self):
        return {} if self.dilation_rate == (1,) else {"dilation_rate": self.dilation_rate[0]}


class AtrousConvolution1D(Convolution1D):
    """Convolution1D with a dilated kernel: AtrousConvolution1D(nb_filter, filter_length,
    atrous_rate=1, ...)."""

    def __init__(self, nb_filter=None, filter_length=None, init=None, activation=None, weights=None,
                 border_mode=None, subsample_length=None, atrous_rate=None, **kwargs):
        if atrous_rate is not None:
            if "dilation_rate" in kwargs:
                raise TypeError("AtrousConvolution1D: give atrous_rate or dilation_rate, not both")
            kwargs["dilation_rate"] = atrous_rate
        super().__init__(nb_filter, filter_length, init=init, activation=activation, weights=weights,
                         border_mode=border_mode, subsample_length=subsample_length, **kwargs)

    @property
    def atrous_rate(self):
        return self.dilation_rate[0]

    def _dilation_config(self):
        return {"atrous_rate": self.dilation_rate[0]}


class Conv1D(Convolution1D):
    """Keras 2's Conv1D(filters, kernel_size, strides=1, padding='valid' | 'same' |
    'causal', dilation_rate=1, activation=None, use_bias=True, ...); the kernel is
    (kernel_size, in, filters)."""

    _keras2 = True

    def __init__(self, filters=None, kernel_size=None, *args, **kwargs):
        if len(args) > 2:
            raise TypeError(f"Conv1D: at most 4 positional arguments (filters, kernel_size, strides, padding), got "
                            f"{2 + len(args)}")
        for name, value in zip(("strides", "padding"), args):
            if name in kwargs:
                raise TypeError(f"Conv1D: got {name} twice")
            kwargs[name] = value
        if filters is not None:
            kwargs["filters"] = filters
        if kernel_size is not None:
            kwargs["kernel_size"] = kernel_size[0] if isinstance(kernel_size, (tuple, list)) and \
                len(kernel_size) == 1 else kernel_size
        for name in ("strides", "dilation_rate"):
            value = kwargs.get(name)
            if isinstance(value, (tuple, list)) and len(value) == 1:
                kwargs[name] = value[0]
        super().__init__(**kwargs)


# -- padding, cropping, upsampling --------------------------------------------------------------

def _spatial(layer, rank, input_shape):
    """Check the rank; return the spatial axes."""
    ndim = rank + 2
    if not isinstance(input_shape, tuple) or len(input_shape) != ndim:
        desc = "(samples, steps, features)" if rank == 1 else \
            "(samples, channels, rows, cols) for dim_ordering 'th'" if layer.dim_ordering == "th" else \
            "(samples, rows, cols, channels) for dim_ordering 'tf'"
        raise ValueError(f"{layer_label(layer)}: expected an input of rank {ndim} {desc}, got shape "
                         f"{_shape_str(input_shape) if isinstance(input_shape, tuple) else input_shape}")
    if rank == 1:
        return (1,)
    return (2, 3) if layer.dim_ordering == "th" else (1, 2)


def _pairs(value, owner, what, keys):
    """Per spatial axis (before, after) from Keras 1/2's spellings: int, (a, b) symmetric
    per axis (2-D) or (before, after) (1-D), (t, b, l, r), ((t, b), (l, r)), a dict."""
    n = len(keys) // 2
    if isinstance(value, dict):
        unknown = set(value) - set(keys)
        if unknown:
            raise ValueError(f"{owner}: {what} dict keys must be among {keys}, got {sorted(value)}")
        flat = [value.get(k, 0) for k in keys]
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        flat = [value] * (2 * n)
    else:
        try:
            items = list(value)
        except TypeError:
            raise ValueError(f"{owner}: {what} must be an int, a tuple or a dict, got {value!r}") from None
        if n == 2 and len(items) == 2 and all(isinstance(v, (int, np.integer)) for v in items):
            flat = [items[0], items[0], items[1], items[1]]
        elif len(items) == n and all(isinstance(v, (tuple, list)) for v in items):
            flat = [v for pair in items for v in pair]
        else:
            flat = items
    flat = list(flat)
    if len(flat) != 2 * n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0
                                 for v in flat):
        raise ValueError(f"{owner}: {what} must give non-negative ints (before, after) for {n} axis(es), got "
                         f"{value!r}")
    return tuple((int(flat[2 * k]), int(flat[2 * k + 1])) for k in range(n))


class _Spatial(Layer):
    _rank = 2

    def _init_ordering(self, dim_ordering, kwargs):
        dim_ordering = _pick(type(self).__name__, "dim_ordering", dim_ordering, "data_format", kwargs, None)
        super().__init__(**kwargs)
        self.dim_ordering = K.normalize_dim_ordering(dim_ordering, f"{layer_label(self)} dim_ordering") \
            if self._rank == 2 else "tf"

    def assert_input_compatibility(self, input_shape):
        _spatial(self, self._rank, input_shape)
        shape = self.get_output_shape_for(input_shape)
        if any(s is not None and s < 1 for s in shape[1:]):
            raise ValueError(f"{layer_label(self)}: the input of shape {_shape_str(input_shape)} would give an "
                             f"output of shape {_shape_str(shape)}")

    def _axes(self, ndim):
        return spatial_axes(self._rank, self.dim_ordering)

    def _ordering_config(self):
        return {"dim_ordering": self.dim_ordering} if self._rank == 2 else {}


class ZeroPadding1D(_Spatial):
    """Zeros before and after the steps of (samples, steps, features): padding=1, an
    int, (left_pad, right_pad) or {'left_pad': ., 'right_pad': .}."""

    _rank = 1

    def __init__(self, padding=1, **kwargs):
        self._init_ordering(None, kwargs)
        (self.padding,) = _pairs(padding, layer_label(self), "padding", ("left_pad", "right_pad"))

    def _pads(self):
        return (self.padding,)

    def get_output_shape_for(self, input_shape):
        shape = list(input_shape)
        for a, (b, e) in zip(self._axes(len(shape)), self._pads()):
            shape[a] = None if shape[a] is None else shape[a] + b + e
        return tuple(shape)

    def call(self, x, mask=None):
        return pad_tensor(x, dict(zip(self._axes(x.ndim), self._pads())))

    def get_config(self):
        return dict(super().get_config(), padding=list(self.padding))


class ZeroPadding2D(ZeroPadding1D):
    """Zeros around images: padding=(1, 1) (rows, cols on both sides), an int,
    (top, bottom, left, right), Keras 2's ((top, bottom), (left, right)) or a dict
    {'top_pad', 'bottom_pad', 'left_pad', 'right_pad'}; dim_ordering (data_format)."""

    _rank = 2

    def __init__(self, padding=(1, 1), dim_ordering=None, **kwargs):
        self._init_ordering(dim_ordering, kwargs)
        self.padding = _pairs(padding, layer_label(self), "padding",
                              ("top_pad", "bottom_pad", "left_pad", "right_pad"))

    def _pads(self):
        return self.padding

    def get_config(self):
        return dict(_Spatial.get_config(self), padding=[list(p) for p in self.padding], **self._ordering_config())


class Cropping1D(_Spatial):
    """Removes steps at the start and the end of (samples, steps, features):
    cropping=(1, 1) or an int."""

    _rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        self._init_ordering(None, kwargs)
        (self.cropping,) = _pairs(cropping, layer_label(self), "cropping", ("left", "right"))

    def _crops(self):
        return (self.cropping,)

    def get_output_shape_for(self, input_shape):
        shape = list(input_shape)
        for a, (b, e) in zip(self._axes(len(shape)), self._crops()):
            shape[a] = None if shape[a] is None else shape[a] - b - e
        return tuple(shape)

    def call(self, x, mask=None):
        index = [slice(None)] * x.ndim
        for a, (b, e) in zip(self._axes(x.ndim), self._crops()):
            index[a] = slice(b, -e if e else None)
        return x[tuple(index)]

    def get_config(self):
        return dict(super().get_config(), cropping=list(self.cropping))


class Cropping2D(Cropping1D):
    """Removes rows and columns at the borders of images: cropping=((top, bottom),
    (left, right)), (rows, cols) on both sides, or an int; dim_ordering (data_format)."""

    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), dim_ordering=None, **kwargs):
        self._init_ordering(dim_ordering, kwargs)
        self.cropping = _pairs(cropping, layer_label(self), "cropping", ("top", "bottom", "left", "right"))

    def _crops(self):
        return self.cropping

    def get_config(self):
        return dict(_Spatial.get_config(self), cropping=[list(p) for p in self.cropping], **self._ordering_config())


class UpSampling1D(_Spatial):
    """Repeats each step `length` times (Keras 2: size): (samples, steps, features) ->
    (samples, steps * length, features)."""

    _rank = 1

    def __init__(self, length=None, **kwargs):
        length = _pick("UpSampling1D", "length", length, "size", kwargs, 2)
        self._init_ordering(None, kwargs)
        self.length = _ints(length, 1, "length (size)", layer_label(self))[0]

    def _sizes(self):
        return (self.length,)

    def get_output_shape_for(self, input_shape):
        shape = list(input_shape)
        for a, s in zip(self._axes(len(shape)), self._sizes()):
            shape[a] = None if shape[a] is None else shape[a] * s
        return tuple(shape)

    def call(self, x, mask=None):
        axes = self._axes(x.ndim)
        pattern, shape, final = [], [], []
        for a in range(x.ndim):
            pattern.append(a)
            shape.append(x.shape[a])
            if a in axes and self._sizes()[axes.index(a)] > 1:
                s = self._sizes()[axes.index(a)]
                pattern.append("x")
                shape.append(s)
                final.append(x.shape[a] * s)
            else:
                final.append(x.shape[a])
        if len(pattern) == x.ndim:
            return x
        # no unit factor axes: the gradient of such an alloc, rebuilt under givens, changes
        # its broadcastable pattern (clgraph core issue)
        repeated = T.alloc(x.dimshuffle(*pattern), *shape)
        return T.reshape(repeated, final, ndim=x.ndim)

    def get_config(self):
        return dict(super().get_config(), length=self.length)


class UpSampling2D(UpSampling1D):
    """Repeats rows and columns: size=(2, 2), nearest neighbour; dim_ordering (data_format)."""

    _rank = 2

    def __init__(self, size=(2, 2), dim_ordering=None, **kwargs):
        self._init_ordering(dim_ordering, kwargs)
        self.size = _ints(size, 2, "size", layer_label(self))

    def _sizes(self):
        return self.size

    def get_config(self):
        return dict(_Spatial.get_config(self), size=list(self.size), **self._ordering_config())
