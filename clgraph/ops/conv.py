"""The two data movements that make a convolution a matrix product (T.nnet.conv2d):

- Im2Col: x (N, C, H, W) -> cols (N, C*KH*KW, OH, OW), every receptive field of an
  image laid out as a column, so conv2d is filters.reshape(O, C*KH*KW) . cols[n] for
  each image, one batched product in the GEMM family (register blocking, vector loads,
  the fused epilogue of a bias and an activation) whose result is NCHW as it stands.
- Col2Im: the adjoint, cols -> x-shaped sums, a gather per image element (each adds
  the columns that read it: deterministic, no atomics). It is the input gradient.

Both read the filter size, the padding rule and the image shape as host values (from
x.shape and w.shape), so the same kernels serve every image and batch size. The filter
flip of a true convolution is folded into the column order: the filters themselves are
never copied. Each op is the other's gradient, so conv2d is differentiable any number
of times (kernels: templates/conv2d.cl.mako)."""
import numpy as np

from ..errors import ShapeError, node_message
from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Im2Col", "Col2Im", "ConvGeometry"]


class ConvGeometry:
    """Padding, strides, dilation and flip of one convolution, resolved per call from the
    filter size: pad entries are ints, 'half' or 'full' (Theano's border modes)."""

    def __init__(self, pad, subsample, dilation, flip, input_hint=None, filter_hint=None):
        self.pad, self.subsample, self.dilation, self.flip = tuple(pad), tuple(subsample), tuple(dilation), bool(flip)
        self.input_hint, self.filter_hint = input_hint, filter_hint

    def key(self):
        return (self.pad, self.subsample, self.dilation, self.flip, self.input_hint, self.filter_hint)

    def pads(self, ksize):
        out = []
        for p, k, d in zip(self.pad, ksize, self.dilation):
            span = (k - 1) * d + 1
            out.append(span - 1 if p == "full" else span // 2 if p == "half" else int(p))
        return tuple(out)

    def out_size(self, image, ksize):
        """(OH, OW) for an image of (H, W) and filters of (KH, KW); negative when the
        filter does not fit."""
        return tuple((n + 2 * p - ((k - 1) * d + 1)) // s + 1
                     for n, p, k, d, s in zip(image, self.pads(ksize), ksize, self.dilation, self.subsample))

    def check(self, node, xshape, fshape):
        """The shape rule of conv2d, with messages in the user's terms."""
        xshape, fshape = tuple(int(s) for s in xshape), tuple(int(s) for s in fshape)
        for what, hint, shape in (("input_shape", self.input_hint, xshape), ("filter_shape", self.filter_hint, fshape)):
            if hint is not None and any(h is not None and int(h) != s for h, s in zip(hint, shape)):
                raise ShapeError(node_message(node, f"conv2d: the {what} given, {tuple(hint)}, does not match "
                                                    f"the actual shape {shape}"))
        if xshape[1] != fshape[1]:
            raise ShapeError(node_message(node, f"conv2d: the input of shape {xshape} has {xshape[1]} channels but "
                                                f"the filters of shape {fshape} expect {fshape[1]}"))
        out = self.out_size(xshape[2:], fshape[2:])
        if min(fshape[2:]) < 1 or min(out) < 1:
            raise ShapeError(node_message(node, f"conv2d: filters of shape {fshape} (dilation {self.dilation}, "
                                                f"padding {self.pads(fshape[2:])}) do not fit the input of shape "
                                                f"{xshape}"))
        return out


def _need_host(node, values, what):
    if values is None or any(v is None for v in values):
        raise ShapeError(node_message(node, f"{node.op}: {what} must be known before the call runs"))


class _ConvDataOp(Op):
    family = "conv"
    __props__ = ("geometry_key",)

    def __init__(self, geometry):
        self.geometry = geometry
        self.geometry_key = geometry.key()

    def __str__(self):
        return type(self).__name__.lower()


class Im2Col(_ConvDataOp):
    """x (N, C, H, W), the filters' shape (O, C, KH, KW) -> cols (N, C*KH*KW, OH, OW):
    cols[n, (c, a, b), i, j] = x[n, c, i*sh + a'*dh - ph, j*sw + b'*dw - pw] (0 outside),
    with a' = KH-1-a (flip) or a."""

    def make_node(self, x, fshape):
        x, fshape = as_variable(x), as_variable(fshape)
        return Apply(self, [x, fshape], [TensorType(x.dtype, (False,) * 4)])

    def infer_shape(self, node, shapes, values):
        _need_host(node, values[1:], "the filter shape")
        fshape = tuple(int(s) for s in values[1])
        oh, ow = self.geometry.check(node, shapes[0], fshape)
        return [(shapes[0][0], fshape[1] * fshape[2] * fshape[3], oh, ow)]

    def perform(self, node, inputs):
        x, fshape = inputs
        return [im2col_reference(x, tuple(int(s) for s in fshape), self.geometry)]

    def grad(self, inputs, outputs, output_grads):
        x, fshape = inputs
        from ..tensor.basic import shape
        return [Col2Im(self.geometry)(output_grads[0], shape(x), fshape), None]


class Col2Im(_ConvDataOp):
    """cols (N, C*KH*KW, OH, OW), the image shape, the filters' shape -> the image-shaped
    sum of every column entry into the pixel it was read from (Im2Col's adjoint)."""

    def make_node(self, cols, xshape, fshape):
        cols = as_variable(cols)
        return Apply(self, [cols, as_variable(xshape), as_variable(fshape)], [TensorType(cols.dtype, (False,) * 4)])

    def infer_shape(self, node, shapes, values):
        _need_host(node, values[1:], "the image and filter shapes")
        xshape = tuple(int(s) for s in values[1])
        fshape = tuple(int(s) for s in values[2])
        out = self.geometry.check(node, xshape, fshape)
        want = (xshape[0], fshape[1] * fshape[2] * fshape[3]) + out
        if tuple(shapes[0]) != want:
            raise ShapeError(node_message(node, f"col2im: columns of shape {tuple(shapes[0])} do not belong to an "
                                                f"image of shape {xshape} and filters of shape {fshape} "
                                                f"(expected {want})"))
        return [xshape]

    def perform(self, node, inputs):
        cols, xshape, fshape = inputs
        return [col2im_reference(cols, tuple(int(s) for s in xshape), tuple(int(s) for s in fshape), self.geometry)]

    def grad(self, inputs, outputs, output_grads):
        return [Im2Col(self.geometry)(output_grads[0], inputs[2]), None, None]


def _taps(geometry, xshape, fshape):
    """For each filter tap (a, b): (flat row offset, image row/col index arrays)."""
    (ph, pw), (sh, sw), (dh, dw) = geometry.pads(fshape[2:]), geometry.subsample, geometry.dilation
    kh, kw = fshape[2:]
    oh, ow = geometry.out_size(xshape[2:], fshape[2:])
    for a in range(kh):
        for b in range(kw):
            fa, fb = (kh - 1 - a, kw - 1 - b) if geometry.flip else (a, b)
            yield a * kw + b, np.arange(oh) * sh + fa * dh - ph, np.arange(ow) * sw + fb * dw - pw


def im2col_reference(x, fshape, geometry):
    """numpy Im2Col (the test oracle)."""
    n, c, h, w = x.shape
    kk = fshape[2] * fshape[3]
    oh, ow = geometry.out_size((h, w), fshape[2:])
    cols = np.zeros((n, c, kk, oh, ow), x.dtype)
    for tap, rows, cols_ in _taps(geometry, x.shape, fshape):
        ok_r, ok_c = (rows >= 0) & (rows < h), (cols_ >= 0) & (cols_ < w)
        patch = x[:, :, np.clip(rows, 0, h - 1)][:, :, :, np.clip(cols_, 0, w - 1)]
        patch = patch * (ok_r[:, None] & ok_c[None, :])
        cols[:, :, tap] = patch
    return cols.reshape(n, c * kk, oh, ow)


def col2im_reference(cols, xshape, fshape, geometry):
    n, c, h, w = xshape
    kk = fshape[2] * fshape[3]
    oh, ow = cols.shape[2:]
    cols = cols.reshape(n, c, kk, oh, ow)
    out = np.zeros((n, c, h, w), np.float64)
    for tap, rows, cols_ in _taps(geometry, xshape, fshape):
        ok_r, ok_c = (rows >= 0) & (rows < h), (cols_ >= 0) & (cols_ < w)
        part = cols[:, :, tap][:, :, ok_r][:, :, :, ok_c]
        np.add.at(out, (slice(None), slice(None), rows[ok_r][:, None], cols_[ok_c][None, :]), part)
    return out.astype(cols.dtype)
