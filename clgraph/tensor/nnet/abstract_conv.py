"""T.nnet.conv2d: a 2-D convolution as Theano's (NCHW input, (out, in, kh, kw) filters),
computed as im2col + one matrix product in the GEMM family:

    cols = im2col(x)                         (N, C*KH*KW, OH, OW)   ops/conv.py
    y[n] = filters.reshape(O, -1) . cols[n]  (N, O, OH*OW)          one batched GEMM
    out  = y viewed as (N, O, OH, OW)        (NCHW as it is: no copy, no transpose)

The product keeps the GEMM's register blocks and its epilogue, so a bias and an
activation after the convolution run as it stores (rewrite/conv_epilogue.py). The
gradients come from the same pieces, again without transposes: col2im (im2col's
adjoint) of filters^T . gy[n] for the input, sum over n of gy[n] . cols[n]^T for the
filters; they are convolutions again, so they have gradients too."""
import numpy as np

from ...errors import DTypeError, ShapeError
from ...graph.basic import as_variable
from ...ops.blas import Dot
from ...ops.conv import ConvGeometry, Im2Col
from ...ops.nnet import _build_error
from ..basic import cast, shape
from ..shape import reshape

__all__ = ["conv2d"]


def _pair(value, what):
    if isinstance(value, (int, np.integer)):
        return (int(value), int(value))
    value = tuple(value)
    if len(value) != 2:
        raise _build_error(ValueError, f"conv2d: {what} must be an int or a pair, got {value!r}")
    return value


def _padding(border_mode):
    if isinstance(border_mode, str):
        if border_mode == "valid":
            return (0, 0)
        if border_mode in ("full", "half"):
            return (border_mode, border_mode)
        raise _build_error(ValueError, f"conv2d: border_mode must be 'valid', 'full', 'half', an int or a pair "
                                       f"(ph, pw), got {border_mode!r}")
    pad = _pair(border_mode, "border_mode")
    if any(not isinstance(p, (int, np.integer)) or p < 0 for p in pad):
        raise _build_error(ValueError, f"conv2d: padding must be non-negative ints, got {pad!r}")
    return tuple(int(p) for p in pad)


def _positive(value, what):
    pair = _pair(value, what)
    if any(not isinstance(p, (int, np.integer)) or p < 1 for p in pair):
        raise _build_error(ValueError, f"conv2d: {what} must be positive ints, got {value!r}")
    return tuple(int(p) for p in pair)


def _hint(value, what):
    if value is None:
        return None
    value = tuple(None if v is None else int(v) for v in value)
    if len(value) != 4:
        raise _build_error(ValueError, f"conv2d: {what} must have 4 entries, got {value!r}")
    return value


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1),
           filter_flip=True, image_shape=None, filter_dilation=(1, 1), **kwargs):
    """Theano's conv2d: input (N, C, H, W), filters (O, C, KH, KW) -> (N, O, OH, OW).

    border_mode 'valid', 'full', 'half', an int or (ph, pw); subsample the strides;
    filter_flip=True is a true convolution, False a cross-correlation; filter_dilation
    spaces the taps. input_shape / filter_shape (image_shape is Theano 0.8's name) are
    optional hints, checked against the real shapes; None entries match anything."""
    unknown = set(kwargs) - {"num_groups", "unshared"}
    if unknown or kwargs.get("num_groups", 1) != 1 or kwargs.get("unshared", False):
        raise _build_error(TypeError, f"conv2d: unsupported arguments {sorted(kwargs)}")
    x, w = as_variable(input), as_variable(filters)
    for var, what in ((x, "input"), (w, "filters")):
        if np.dtype(var.dtype).kind != "f":
            raise _build_error(DTypeError, f"conv2d: the {what} must be float32 or float64, got {var.describe()}")
        if var.ndim != 4:
            raise _build_error(ShapeError, f"conv2d: the {what} must be a 4-d tensor ({'N, C, H, W' if what == 'input' else 'out, in, kh, kw'}), "
                                           f"got {var.describe()}")
    dtype = np.result_type(x.dtype, w.dtype).name
    x, w = cast(x, dtype), cast(w, dtype)
    geometry = ConvGeometry(_padding(border_mode), _positive(subsample, "subsample"),
                            _positive(filter_dilation, "filter_dilation"), filter_flip,
                            _hint(input_shape if input_shape is not None else image_shape, "input_shape"),
                            _hint(filter_shape, "filter_shape"))
    fshape = shape(w)
    cols = Im2Col(geometry)(x, fshape)  # (N, C*KH*KW, OH, OW)
    n, rows = cols.shape[0], cols.shape[1]
    filters2d = reshape(w, (fshape[0], rows), ndim=2).dimshuffle("x", 0, 1)  # one matrix for every image
    product = Dot(0, label="conv2d")(filters2d, reshape(cols, (n, rows, -1), ndim=3))  # (N, O, OH*OW)
    return reshape(product, (n, fshape[0], cols.shape[2], cols.shape[3]), ndim=4)
