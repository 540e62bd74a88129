"""The gradient of the softmax cross-entropy of class indices with respect to the
logits, as one row-wise kernel (Theano's CrossentropySoftmax1HotWithBiasDx):

    dx[..., j] = gz[...] * (softmax(x)[..., j] - (j == y[...]))

The gradient rule of CrossentropyIndex(logits=True) builds this from three kernels
(softmax, the one-hot rows, the product); the stabilize rewrite replaces that pattern
by this op, which reads x once and writes dx once. A row whose index is outside
[0, n_classes) is NaN, as in the loss (ops/nnet.py). It exists only after rewrites,
which run after differentiation, so it has no gradient of its own."""
import numpy as np

from ..errors import ShapeError, node_message
from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op
from .nnet import _build_error, _need_float, _need_index, _np_log_softmax, _rows_match

__all__ = ["CrossentropySoftmaxGrad"]


class CrossentropySoftmaxGrad(Op):
    family = "xent_grad"

    def __str__(self):
        return "crossentropy_softmax_grad"

    def make_node(self, gz, x, y):
        gz, x, y = as_variable(gz), as_variable(x), as_variable(y)
        _need_float(self, x, "the logits")
        _need_float(self, gz, "the output gradient")
        _need_index(self, y)
        if x.ndim < 1 or y.ndim != x.ndim - 1 or gz.ndim != x.ndim - 1:
            raise _build_error(ShapeError, f"{self}: needs the output gradient and the class indices with one "
                                           f"axis less than the logits, got {gz.describe()}, {x.describe()} "
                                           f"and {y.describe()}")
        return Apply(self, [gz, x, y], [TensorType(x.dtype, x.broadcastable)])

    def perform(self, node, inputs):
        gz, x, y = inputs
        y = np.asarray(y).astype(np.int64)
        hot = (np.arange(x.shape[-1]) == y[..., None]).astype(x.dtype)
        with np.errstate(all="ignore"):
            out = np.asarray(gz)[..., None] * (np.exp(_np_log_softmax(x)) - hot)
        out[(y < 0) | (y >= x.shape[-1])] = np.nan
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        if tuple(shapes[0]) != tuple(shapes[1][:-1]):
            raise ShapeError(node_message(node, f"{self}: the logits of shape {tuple(shapes[1])} have rows "
                                                f"{tuple(shapes[1][:-1])}, but the output gradient has shape "
                                                f"{tuple(shapes[0])}; one value per row is needed"))
        _rows_match(node, shapes[1], shapes[2], "the logits")
        return [tuple(shapes[1])]
