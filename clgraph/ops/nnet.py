"""Row-wise ops of T.nnet: softmax / log-softmax over the last axis and their gradients,
the cross-entropy of integer class indices, and the one-hot matrix its gradient needs.

All of them run as "one work-item per row" kernels of the `softmax` family
(templates/softmax.cl.mako); the op's `mode` picks the kernel variant.

Class indices live on the device, so checking them on the host would need a read back
(a sync) on every call. Instead the kernel checks each index against the row length and
never reads outside the row: an index < 0 or >= n_classes gives NaN for that row (in the
loss, and in the one-hot row, hence in the gradient). Negative indices are out of range,
as in Theano's CrossentropyCategorical1Hot (they do not count from the end).
"""
import numpy as np

from ..errors import DTypeError, ShapeError, node_message
from ..graph import trace as _trace
from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Softmax", "SoftmaxGrad", "CrossentropyIndex", "OneHot"]


class _Where:
    """Lets node_message print a trace captured before the node exists."""

    def __init__(self, trace):
        self.trace = trace


def _build_error(cls, msg):
    return cls(node_message(_Where(_trace.capture()), msg))


def _need_float(op, var, what):
    if np.dtype(var.dtype).kind != "f":
        raise _build_error(DTypeError, f"{op}: {what} must be float32 or float64, got {var.describe()}")


def _need_index(op, var):
    if np.dtype(var.dtype).kind not in "iu":
        raise _build_error(DTypeError, f"{op}: the class indices must be an integer tensor, "
                                       f"got {var.describe()}")


def _rows_match(node, x_shape, y_shape, what):
    if tuple(x_shape[:-1]) != tuple(y_shape):
        raise ShapeError(node_message(node, f"{node.op}: {what} of shape {tuple(x_shape)} has rows "
                                            f"{tuple(x_shape[:-1])}, but the class indices have shape "
                                            f"{tuple(y_shape)}; one index per row is needed"))


def _np_log_softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        s = np.sum(np.exp(x - m), axis=-1, keepdims=True)
        return (x - m) - np.log(s)


def _np_pick(a, y, fill=np.nan):
    """a[..., y[...]] with out-of-range indices giving `fill` (the kernels' rule)."""
    y = np.asarray(y).astype(np.int64)
    ok = (y >= 0) & (y < a.shape[-1])
    picked = np.take_along_axis(a, np.where(ok, y, 0)[..., None], axis=-1)[..., 0]
    return np.where(ok, picked, fill)


class _PlainOrLog(Op):
    """A row op of the softmax family in a plain and a log form: `log` picks the form,
    MODES names both (the template's mode, and the op's name)."""
    family = "softmax"
    __props__ = ("log",)
    MODES = ("", "")  # (plain, log)

    def __init__(self, log=False):
        self.log = bool(log)

    mode = property(lambda self: self.MODES[self.log])

    def __str__(self):
        return self.mode


class Softmax(_PlainOrLog):
    """softmax(x) (log=False) or log_softmax(x) (log=True) over the last axis; stable:
    the row max is subtracted before exp."""
    MODES = ("softmax", "log_softmax")

    def make_node(self, x):
        x = as_variable(x)
        if x.ndim < 1:
            raise _build_error(ShapeError, f"{self}: needs at least one axis (rows over the last one), "
                                           f"got the scalar {x.describe()}")
        _need_float(self, x, "the input")
        return Apply(self, [x], [TensorType(x.dtype, x.broadcastable)])

    def perform(self, node, inputs):
        ls = _np_log_softmax(inputs[0])
        out = ls if self.log else np.exp(ls)
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        return [tuple(shapes[0])]

    def grad(self, inputs, outputs, output_grads):
        (z,), (gz,) = outputs, output_grads
        return [SoftmaxGrad(self.log)(gz, z)]


class SoftmaxGrad(_PlainOrLog):
    """The gradient of softmax / log_softmax from the output gradient dy and the op's
    output z, over the last axis (Theano's SoftmaxGrad):
        softmax:      (dy - sum(dy * z)) * z
        log_softmax:  dy - exp(z) * sum(dy)
    One row kernel instead of an elementwise product, a row sum and an elementwise tail
    (three kernels and two passes over the rows). dy may broadcast against z."""
    MODES = ("softmax_grad", "log_softmax_grad")

    def make_node(self, dy, z):
        dy, z = as_variable(dy), as_variable(z)
        _need_float(self, dy, "the output gradient")
        _need_float(self, z, "the softmax output")
        if z.ndim < 1 or dy.ndim != z.ndim:
            raise _build_error(ShapeError, f"{self}: needs an output gradient with the axes of the softmax "
                                           f"output, got {dy.describe()} and {z.describe()}")
        dtype = np.result_type(dy.dtype, z.dtype).name
        return Apply(self, [dy, z], [TensorType(dtype, z.broadcastable)])

    def perform(self, node, inputs):
        dy, z = (np.asarray(v, dtype=node.outputs[0].dtype) for v in inputs)
        if self.log:
            out = dy - np.exp(z) * np.sum(dy, axis=-1, keepdims=True)
        else:
            out = (dy - np.sum(dy * z, axis=-1, keepdims=True)) * z
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        dy, z = (tuple(s) for s in shapes)
        bcast = node.inputs[0].broadcastable
        if any(a != b and not (a == 1 and bc) for a, b, bc in zip(dy, z, bcast)):
            raise ShapeError(node_message(node, f"{self}: the output gradient of shape {dy} does not "
                                                f"broadcast to the softmax output's shape {z}"))
        return [z]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        from .subtensor import _sum_to
        (dy, z), (g,) = inputs, output_grads
        if self.log:  # out = dy - e * S, e = exp(z), S = sum(dy)
            e = T.exp(z)
            gdy = g - T.sum(g * e, axis=-1, keepdims=True)
            gz = -g * e * T.sum(dy, axis=-1, keepdims=True)
        else:  # out = (dy - s) * z, s = sum(dy * z)
            gs = T.sum(g * z, axis=-1, keepdims=True)
            gdy = g * z - gs * z
            gz = g * (dy - T.sum(dy * z, axis=-1, keepdims=True)) - gs * dy
        return [_sum_to(gdy, dy), gz]


class CrossentropyIndex(Op):
    """out[r] = -log(coding[r, y[r]]) for every row r (rows over the last axis).

    With logits=True the first input is the pre-softmax x and the kernel computes
    -log_softmax(x)[r, y[r]] = logsumexp(x[r]) - x[r, y[r]], finite for any finite x:
    this is what categorical_crossentropy(softmax(x), y) becomes (Theano's
    crossentropy_softmax_1hot stabilisation). Out-of-range indices give NaN (module doc)."""
    family = "softmax"
    __props__ = ("logits",)

    def __init__(self, logits=False):
        self.logits = bool(logits)

    mode = property(lambda self: "xent_logits" if self.logits else "xent")

    def __str__(self):
        return "crossentropy_softmax" if self.logits else "crossentropy_index"

    def make_node(self, coding, y):
        coding, y = as_variable(coding), as_variable(y)
        _need_float(self, coding, "coding_dist" if not self.logits else "the logits")
        _need_index(self, y)
        if coding.ndim < 1 or y.ndim != coding.ndim - 1:
            raise _build_error(ShapeError, f"{self}: needs class indices with one axis less than the "
                                           f"distribution, got {coding.describe()} and {y.describe()}")
        bcast = tuple(a and b for a, b in zip(coding.broadcastable[:-1], y.broadcastable))
        return Apply(self, [coding, y], [TensorType(coding.dtype, bcast)])

    def perform(self, node, inputs):
        coding, y = inputs
        with np.errstate(all="ignore"):
            if self.logits:
                out = -_np_pick(_np_log_softmax(coding), y)
            else:
                out = -np.log(_np_pick(coding, y))
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        _rows_match(node, shapes[0], shapes[1], "the logits" if self.logits else "coding_dist")
        return [tuple(shapes[1])]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        from ..tensor import nnet
        (coding, y), (gz,) = inputs, output_grads
        hot = OneHot()(coding, y)
        gz_b = gz.dimshuffle(*range(gz.ndim), "x")
        if self.logits:
            return [gz_b * (nnet.softmax(coding) - hot), None]
        # d(-log c)/dc = -1/c at the target only; elsewhere exactly 0 (even where c == 0),
        # NaN rows (out-of-range index) stay NaN
        safe = T.switch(hot > 0, coding, T.ones_like(coding))
        return [hot * (-gz_b / safe), None]


class OneHot(Op):
    """A tensor shaped like `like` (whose values are not read), 1 at [..., y[...]] and 0
    elsewhere in each row; a row whose index is out of range is NaN (module doc)."""
    family = "softmax"
    mode = "onehot"

    def __str__(self):
        return "onehot_rows"

    def make_node(self, like, y):
        like, y = as_variable(like), as_variable(y)
        _need_float(self, like, "the template tensor")
        _need_index(self, y)
        if like.ndim < 1 or y.ndim != like.ndim - 1:
            raise _build_error(ShapeError, f"{self}: needs indices with one axis less than the template, "
                                           f"got {like.describe()} and {y.describe()}")
        return Apply(self, [like, y], [TensorType(like.dtype, like.broadcastable)])

    def perform(self, node, inputs):
        like, y = inputs
        y = np.asarray(y).astype(np.int64)
        out = (np.arange(like.shape[-1]) == y[..., None]).astype(node.outputs[0].dtype)
        bad = (y < 0) | (y >= like.shape[-1])
        out[bad] = np.nan
        return [out]

    def infer_shape(self, node, shapes, values=None):
        _rows_match(node, shapes[0], shapes[1], "the template")
        return [tuple(shapes[0])]

    def grad(self, inputs, outputs, output_grads):
        return [None, None]
