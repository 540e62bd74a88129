"""Split a long full reduction into parallel pieces. A sum over all elements of a
contiguous tensor is a single output, so as one kernel it would run on one work-item;
as sum(row sums of a (P, n // P) view) + the tail it keeps every core busy, still in a
fixed order (the same result on every run and device). A reduction of a computed value is left
alone: its elementwise prologue runs inside the single kernel instead."""
from ..graph.basic import Constant
from ..ops.reduce import Reduce
from ..ops.shape import is_contiguous

PIECES = 64


def split_full_sum(node):
    op = node.op
    if not isinstance(op, Reduce) or op.kind not in ("sum", "mean"):
        return None
    x = node.inputs[0]
    if isinstance(x, Constant) or x.ndim == 0 or len(op.axes) != x.ndim or not is_contiguous(x):
        return None
    if x.owner is not None and not x.owner.op.view:
        return None  # sum(f(x)) keeps f fused into the reduction's single pass instead
    from ..tensor import basic as T
    from ..tensor.shape import concatenate, flatten, reshape
    flat = flatten(x) if x.ndim > 1 else x
    n = flat.shape[0]
    rows = n // PIECES
    main = reshape(flat[:rows * PIECES], (PIECES, rows))
    acc = op.acc_dtype_of(x.dtype) if op.kind == "sum" else Reduce("sum", (0,), op.acc_dtype).acc_dtype_of(x.dtype)
    partial = Reduce("sum", (1,), acc)(main)
    total = Reduce("sum", (0,), acc)(concatenate([partial, T.cast(flat[rows * PIECES:], acc)]))
    if op.kind == "mean":
        out = node.outputs[0]
        total = T.cast(T.true_div(T.cast(total, out.dtype), T.cast(n, out.dtype)), out.dtype)
    return [total]
