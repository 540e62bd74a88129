"""2-D pooling over the last two axes (Theano's Pool, MaxPoolGrad / AveragePoolGrad,
DownsampleFactorMaxGradGrad), all in the `pool` family (templates/pool2d.cl.mako).

Geometry, as Theano: the input is padded by (ph, pw) zeros on each side; window k of
an axis starts at k * stride in the padded input and is cut at the padded border
(ignore_border=False keeps such partial windows at the end). 'max' and 'sum' see only
the real cells (padded cells never win), 'average_exc_pad' divides by the real cells,
'average_inc_pad' by the window cut at the padded border.

The window, strides and pads are op attributes (they decide the output shape) but reach
the kernel as run-time arguments: one compiled kernel per dtype, mode and rank.

The max gradient goes to the first maximum of each window (row-major within it; NaN
counts as the maximum), so a window passes its gradient on exactly once; Theano's CPU
op gives it to every tied cell instead."""
import numpy as np

from ..errors import DTypeError, ShapeError, node_message
from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op
from .nnet import _build_error

__all__ = ["Pool", "PoolGrad", "MaxPoolGradGrad", "MODES", "pool_out_len"]

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def pool_out_len(v, w, s, p, ignore_border):
    """Theano's Pool.out_shape along one axis of length v (before padding); an empty
    axis stays empty (its windows would hold padding only)."""
    if v == 0:
        return 0
    v += 2 * p
    if ignore_border:
        return max((v - w) // s + 1, 0)
    if s >= w:
        return (v - 1) // s + 1
    return max(0, (v - 1 - w + s) // s) + 1


def _spans(v, n, w, s, p):
    """Per window of one axis: (first real cell, end of real cells, cells of the window
    cut at the padded border)."""
    out = []
    for k in range(n):
        start, end = k * s - p, min(k * s - p + w, v + p)
        out.append((max(start, 0), min(end, v), end - start))
    return out


def _pair(value, what, op):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise _build_error(ValueError, f"{op}: {what} must be a pair of ints, got {value!r}")
    return tuple(int(v) for v in pair)


class _PoolOp(Op):
    """Checks and holds the geometry shared by the forward op and its gradients."""
    family = "pool"
    __props__ = ("ws", "stride", "pad", "ignore_border", "mode")
    name = "pool_2d"
    kernel = "pool"  # the template's kernel: 'pool' (a work-item per output) or 'grad' (per input)

    def __init__(self, ws, stride=None, pad=(0, 0), ignore_border=True, mode="max"):
        self.ws = _pair(ws, "ws (the window)", self.name)
        self.stride = self.ws if stride is None else _pair(stride, "stride", self.name)
        self.pad = _pair(pad, "pad", self.name)
        self.ignore_border, self.mode = bool(ignore_border), mode
        if mode not in self.modes():
            raise _build_error(ValueError, f"{self.name}: mode must be one of {', '.join(map(repr, self.modes()))}, "
                                           f"got {mode!r}")
        for what, pair, low in (("ws", self.ws, 1), ("stride", self.stride, 1), ("pad", self.pad, 0)):
            if min(pair) < low:
                raise _build_error(ValueError, f"{self.name}: {what} must be {'>= 0' if low == 0 else 'positive'}, "
                                               f"got {pair}")
        if self.pad != (0, 0) and not self.ignore_border:
            raise _build_error(ValueError, f"{self.name}: pad {self.pad} works only with ignore_border=True")
        if self.pad[0] >= self.ws[0] or self.pad[1] >= self.ws[1]:
            raise _build_error(ValueError, f"{self.name}: pad {self.pad} must be smaller than the window "
                                           f"ws {self.ws}")

    def modes(self):
        return MODES

    def __str__(self):
        return f"{self.name}{{{self.mode}}}"

    def _float(self, var, what):
        if np.dtype(var.dtype).kind != "f":
            raise _build_error(DTypeError, f"{self.name}: {what} must be float32 or float64, got {var.describe()}")

    def pooled_shape(self, node, x_shape):
        """The output shape for an input of shape x_shape; ShapeError (at the user's
        line) where ignore_border=True and the window exceeds the padded input."""
        (h, w), (wh, ww), (ph, pw) = x_shape[-2:], self.ws, self.pad
        if self.ignore_border and (h + 2 * ph < wh or w + 2 * pw < ww):
            raise ShapeError(node_message(node, f"{self.name}: the window ws={self.ws} is larger than the input "
                                                f"of shape {tuple(x_shape)} padded by {self.pad} "
                                                f"({h + 2 * ph}, {w + 2 * pw}) with ignore_border=True"))
        return tuple(x_shape[:-2]) + tuple(pool_out_len(v, k, s, p, self.ignore_border)
                                           for v, k, s, p in zip((h, w), self.ws, self.stride, self.pad))

    def _check_like(self, node, var, shape, want, what):
        bcast = var.broadcastable
        if len(shape) != len(want) or any(a != b and not (a == 1 and bc) for a, b, bc in zip(shape, want, bcast)):
            raise ShapeError(node_message(node, f"{self.name}: {what} of shape {tuple(shape)} does not match the "
                                                f"shape {tuple(want)} it needs"))

    def windows(self, x_shape):
        """[(row span, col span)] of every output cell, row-major (the numpy reference)."""
        out_shape = self.pooled_shape(None, x_shape)
        rows = _spans(x_shape[-2], out_shape[-2], self.ws[0], self.stride[0], self.pad[0])
        cols = _spans(x_shape[-1], out_shape[-1], self.ws[1], self.stride[1], self.pad[1])
        return out_shape, [((i, r), (j, c)) for i, r in enumerate(rows) for j, c in enumerate(cols)]


def _first_max(win):
    """Flat index (row-major) of the first maximum of each window: win is (..., r, c);
    a NaN counts as the maximum, as in the kernel."""
    flat = win.reshape(win.shape[:-2] + (-1,))
    return np.argmax(flat, axis=-1)


class Pool(_PoolOp):
    """max / sum / average of every window over the last two axes of x (rank >= 2; the
    leading axes, any number, are read through their strides)."""

    def make_node(self, x):
        x = as_variable(x)
        if x.ndim < 2:
            raise _build_error(ShapeError, f"{self.name}: needs an input of rank >= 2 (pools the last two axes), "
                                           f"got {x.describe()}")
        self._float(x, "the input")
        return Apply(self, [x], [TensorType(x.dtype, x.broadcastable[:-2] + (False, False))])

    def infer_shape(self, node, shapes, values=None):
        return [self.pooled_shape(node, shapes[0])]

    def perform(self, node, inputs):
        x = inputs[0]
        out_shape, wins = self.windows(x.shape)
        out = np.empty(out_shape, x.dtype)
        for (i, (r0, r1, rn)), (j, (c0, c1, cn)) in wins:
            win = x[..., r0:r1, c0:c1]
            if self.mode == "max":
                out[..., i, j] = win.max(axis=(-2, -1))
            else:
                s = win.sum(axis=(-2, -1))
                n = {"sum": 1, "average_inc_pad": rn * cn, "average_exc_pad": (r1 - r0) * (c1 - c0)}[self.mode]
                out[..., i, j] = s / x.dtype.type(n)
        return [out]

    def grad(self, inputs, outputs, output_grads):
        (x,), (z,), (gz,) = inputs, outputs, output_grads
        grad_op = PoolGrad(self.ws, self.stride, self.pad, self.ignore_border, self.mode)
        return [grad_op(x, z, gz) if self.mode == "max" else grad_op(x, gz)]


class PoolGrad(_PoolOp):
    """The gradient of Pool with respect to x, gathered per input cell over the windows
    that cover it (no atomics: deterministic). max: PoolGrad(x, maxout, gz), the
    window's gradient to its first maximum; sum / averages: PoolGrad(x, gz), x giving
    only the shape. Linear in gz, so its own gradient is a forward pool of ggx."""
    name = "pool_2d_grad"
    kernel = "grad"

    def make_node(self, x, *rest):
        x = as_variable(x)
        rest = [as_variable(v) for v in rest]
        if len(rest) != (2 if self.mode == "max" else 1):
            raise _build_error(TypeError, f"{self.name}: mode {self.mode!r} takes "
                                          f"{'(x, maxout, gz)' if self.mode == 'max' else '(x, gz)'}")
        for var, what in zip([x] + rest, ["x", "maxout", "gz"] if self.mode == "max" else ["x", "gz"]):
            self._float(var, what)
            if var.ndim != x.ndim or x.ndim < 2:
                raise _build_error(ShapeError, f"{self.name}: {what} must have the rank of x (>= 2), "
                                               f"got {var.describe()} and {x.describe()}")
        dtype = np.result_type(*[v.dtype for v in [x] + rest]).name
        return Apply(self, [x] + rest, [TensorType(dtype, x.broadcastable)])

    def infer_shape(self, node, shapes, values=None):
        want = self.pooled_shape(node, shapes[0])
        for var, shape, what in zip(node.inputs[1:], shapes[1:], ["maxout", "gz"] if self.mode == "max" else ["gz"]):
            self._check_like(node, var, shape, want, what)
        return [tuple(shapes[0])]

    def perform(self, node, inputs):
        x, gz = inputs[0], inputs[-1]
        dtype = node.outputs[0].dtype
        out_shape, wins = self.windows(x.shape)
        gz = np.broadcast_to(gz, out_shape).astype(dtype)
        gx = np.zeros(x.shape, dtype)
        for (i, (r0, r1, rn)), (j, (c0, c1, cn)) in wins:
            g = gz[..., i, j]
            if self.mode == "max":
                win = x[..., r0:r1, c0:c1]
                hit = np.zeros(win.shape[:-2] + (win.shape[-2] * win.shape[-1],), dtype)
                np.put_along_axis(hit, _first_max(win)[..., None], g[..., None], axis=-1)
                gx[..., r0:r1, c0:c1] += hit.reshape(win.shape)
            else:
                n = {"sum": 1, "average_inc_pad": rn * cn, "average_exc_pad": (r1 - r0) * (c1 - c0)}[self.mode]
                gx[..., r0:r1, c0:c1] += (g / np.dtype(dtype).type(n))[..., None, None]
        return [gx]

    def grad(self, inputs, outputs, output_grads):
        from .subtensor import _sum_to
        (ggx,), gz = output_grads, inputs[-1]
        geometry = (self.ws, self.stride, self.pad, self.ignore_border)
        if self.mode == "max":
            return [None, None, _sum_to(MaxPoolGradGrad(*geometry)(inputs[0], ggx), gz)]
        return [None, _sum_to(Pool(*geometry, self.mode)(ggx), gz)]


class MaxPoolGradGrad(_PoolOp):
    """MaxPoolGradGrad(x, ggx): ggx read at each window's first maximum of x (pooled
    shape), the gradient of the max PoolGrad with respect to its gz (Theano's
    DownsampleFactorMaxGradGrad); the forward kernel's 'max_gradgrad' mode."""
    name = "max_pool_2d_gradgrad"

    def __init__(self, ws, stride=None, pad=(0, 0), ignore_border=True, mode="max_gradgrad"):
        super().__init__(ws, stride, pad, ignore_border, mode)

    def modes(self):
        return ("max_gradgrad",)

    def make_node(self, x, ggx):
        x, ggx = as_variable(x), as_variable(ggx)
        for var, what in ((x, "x"), (ggx, "ggx")):
            self._float(var, what)
            if var.ndim != x.ndim or x.ndim < 2:
                raise _build_error(ShapeError, f"{self.name}: x and ggx must have one rank (>= 2), "
                                               f"got {x.describe()} and {ggx.describe()}")
        return Apply(self, [x, ggx], [TensorType(ggx.dtype, x.broadcastable[:-2] + (False, False))])

    def infer_shape(self, node, shapes, values=None):
        self._check_like(node, node.inputs[1], shapes[1], shapes[0], "ggx")
        return [self.pooled_shape(node, shapes[0])]

    def perform(self, node, inputs):
        x, ggx = inputs
        ggx = np.broadcast_to(ggx, x.shape)
        out_shape, wins = self.windows(x.shape)
        out = np.empty(out_shape, node.outputs[0].dtype)
        for (i, (r0, r1, _)), (j, (c0, c1, _)) in wins:
            g = ggx[..., r0:r1, c0:c1]
            g = g.reshape(g.shape[:-2] + (-1,))
            out[..., i, j] = np.take_along_axis(g, _first_max(x[..., r0:r1, c0:c1])[..., None], axis=-1)[..., 0]
        return [out]

    def grad(self, inputs, outputs, output_grads):
        from .subtensor import _sum_to
        (x, ggx), (g,) = inputs, output_grads
        geometry = (self.ws, self.stride, self.pad, self.ignore_border)
        return [None, _sum_to(PoolGrad(*geometry, "max")(x, Pool(*geometry, "max")(x), g), ggx)]
