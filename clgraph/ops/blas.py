"""Dot: the one GEMM node behind T.dot, T.batched_dot and their gradients.

a (*keep, *summed, M, K) @ b (*keep, *summed, K, N) -> (*keep, M, N). Batch axes
broadcast (a length-1 broadcastable axis is reused); the last `nsum` batch axes are
added up along with K, which is what the gradient of a broadcast product needs. The
tensor layer turns every rank combination into this shape with DimShuffle views."""
import numpy as np

from ..errors import DTypeError, ShapeError, node_message
from ..graph.basic import Apply, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["Dot"]


class Dot(Op):
    family = "gemm"
    __props__ = ("nsum", "label", "shown")

    def __init__(self, nsum=0, label="dot", shown=None):
        # shown: (axes of a, axes of b) the user gave, to quote their shapes in errors
        self.nsum, self.label, self.shown = nsum, label, shown

    def __str__(self):
        return f"{self.label}{{sum {self.nsum}}}" if self.nsum else self.label

    def make_node(self, a, b):
        a, b = as_variable(a), as_variable(b)
        if a.ndim != b.ndim or a.ndim < 2 + self.nsum:
            raise TypeError(f"{self.label}: internal Dot needs operands of equal rank >= {2 + self.nsum}, got "
                            f"{a.describe()} and {b.describe()}")
        if a.dtype != b.dtype or a.dtype == "bool":
            raise DTypeError(f"{self.label}: operands must share a numeric dtype, got {a.dtype} and {b.dtype}")
        nkeep = a.ndim - 2 - self.nsum
        bcast = [x and y for x, y in zip(a.broadcastable[:nkeep], b.broadcastable[:nkeep])]
        bcast += [a.broadcastable[-2], b.broadcastable[-1]]
        return Apply(self, [a, b], [TensorType(a.dtype, bcast)])

    def perform(self, node, inputs):
        a, b = inputs
        nkeep = a.ndim - 2 - self.nsum
        out = np.matmul(a, b)
        if self.nsum:
            out = out.sum(axis=tuple(range(nkeep, nkeep + self.nsum)))
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node, shapes, values=None):
        sa, sb = shapes
        a, b = node.inputs
        if sa[-1] != sb[-2]:
            raise ShapeError(node_message(node, f"{self.label}: shapes {self._user(sa, 0)} and {self._user(sb, 1)} "
                                                f"are not aligned: {sa[-1]} != {sb[-2]}"))
        batch = []
        for d in range(len(sa) - 2):
            if sa[d] == sb[d] or (sb[d] == 1 and b.broadcastable[d]):
                batch.append(sa[d])
            elif sa[d] == 1 and a.broadcastable[d]:
                batch.append(sb[d])
            else:
                raise ShapeError(node_message(node, f"{self.label}: batch sizes differ: shapes {self._user(sa, 0)} "
                                                    f"and {self._user(sb, 1)}"))
        return [tuple(batch[:len(batch) - self.nsum]) + (sa[-2], sb[-1])]

    def _user(self, shape, which):
        if self.shown is None:
            return tuple(shape)
        return tuple(shape[d] for d in self.shown[which])

    def grad(self, inputs, outputs, output_grads):
        a, b = inputs
        (gz,) = output_grads
        if np.dtype(a.dtype).kind != "f":
            return [None, None]
        from ..tensor.basic import cast
        gz = cast(gz, a.dtype)
        nb = a.ndim - 2
        nkeep = nb - self.nsum
        # gz gets length-1 axes where the summed batch axes were
        gz = _view(gz, [*range(nkeep), *["x"] * self.nsum, nkeep, nkeep + 1])
        swap = [*range(nb), nb + 1, nb]
        ga = _product_like(a, gz, _view(b, swap))
        gb = _product_like(b, _view(a, swap), gz)
        return [ga, gb]


def _product_like(target, left, right):
    """left @ right over the batch axes, added up over those that `target` broadcasts
    and the product does not, laid out like `target`."""
    from ..tensor import basic as T
    nb = target.ndim - 2
    keep = [d for d in range(nb) if not target.broadcastable[d]
            or (left.broadcastable[d] and right.broadcastable[d])]
    summed = [d for d in range(nb) if d not in keep]
    order = [*keep, *summed, nb, nb + 1]
    g = Dot(len(summed))(_view(left, order), _view(right, order))
    g = _view(g, [keep.index(d) if d in keep else "x" for d in range(nb)] + [len(keep), len(keep) + 1])
    if any(gb and not tb for gb, tb in zip(g.broadcastable, target.broadcastable)):
        g = T.second(target, g)
    return g


def _view(x, pattern):
    """x.dimshuffle(*pattern), or x itself for the identity pattern."""
    return x if list(pattern) == list(range(x.ndim)) else x.dimshuffle(*pattern)
