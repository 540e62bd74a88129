"""A sum or mean of a sum or mean is one reduction over both sets of axes:

    sum_A(sum_B(x))        -> sum_{A+B}(x)
    mean_A(mean_B(x))      -> mean_{A+B}(x)
    sum_A(mean_B(x))       -> sum_{A+B}(x) / |B|       (|B|: the count of the B axes)

and a factor w of the inner result (constant along B, by construction) moves inside:
    R_A(R_B(x) * w)        -> R_{A+B}(x * w[B axes inserted]) (scaled as above)

A weighted loss, sum(mean(sqr(p - y), axis=1) * weights), is then one kernel instead
of a row reduction, its buffer and a second reduction. Only where nothing else reads
the inner reduction (or the product), and for floats of one dtype throughout: a sum of
ints accumulates in another dtype, and the order of additions is free for floats only.
The joined sum is as accurate (the reduce template compensates float sums).

Where results can differ: a product that overflowed to inf before a zero factor (NaN
before, the finite sum after), and sum_A(mean_B(x)) with no elements along A nor B (0
before, 0/0 after). mean_A(sum_B(x)) is left alone: with no elements along B it is 0,
which mean_{A+B}(x) * 0 is not."""
import numpy as np

from ..graph import trace as _trace
from ..graph.facts import value_readers
from ..graph.basic import toposort
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce

__all__ = ["join_reductions"]

LINEAR = ("sum", "mean")


def join_reductions(roots):
    """Rebuild the graph bottom-up, joining each sum/mean of a sum/mean (see the module
    doc) whose inner result only the outer one reads."""
    from .passes import rebuild
    nodes, keep = toposort(roots), set(roots)
    reading = value_readers(nodes, roots)
    memo = {}

    def only_for(var, node):
        return var not in keep and set(reading.get(var, ())) == {node}

    for old in nodes:
        node = rebuild(old, [memo.get(i, i) for i in old.inputs])
        outs = node.outputs
        inner, factor = _pattern(old, only_for)
        if inner is not None:
            joined = _joined(old, inner, [memo.get(i, i) for i in inner.inputs][0],
                             memo.get(factor, factor) if factor is not None else None)
            if joined is not None and joined.type == old.outputs[0].type:
                outs = [joined]
        memo.update(zip(old.outputs, outs))
    return [memo.get(r, r) for r in roots]


def _linear(node):
    return node is not None and isinstance(node.op, Reduce) and node.op.kind in LINEAR and \
        node.op.acc_dtype is None and np.dtype(node.outputs[0].dtype).kind == "f" and \
        node.inputs[0].dtype == node.outputs[0].dtype


def _pattern(node, only_for):
    """(inner reduction node, factor or None) when `node` is R_A(R_B(x)) or
    R_A(R_B(x) * w); (None, None) otherwise."""
    if not _linear(node):
        return None, None
    joinable = ("sum", "mean") if node.op.kind == "sum" else ("mean",)
    v = node.inputs[0]
    if _linear(v.owner) and v.owner.op.kind in joinable and only_for(v, node):
        return v.owner, None
    mul = v.owner
    if mul is None or not isinstance(mul.op, Elemwise) or mul.op.scalar_op.name != "mul" or \
            len(mul.inputs) != 2 or not only_for(v, node) or v.dtype != node.outputs[0].dtype:
        return None, None
    for r, w in (mul.inputs, mul.inputs[::-1]):
        if _linear(r.owner) and r.owner.op.kind in joinable and only_for(r, mul) and w.dtype == v.dtype:
            return r.owner, w
    return None, None


def _joined(outer, inner, x, factor):
    """The joined reduction of x (the inner one's rebuilt input), with the factor moved
    inside and the mean/sum count correction."""
    from ..tensor import basic as T
    inner_axes = sorted(inner.op.axes)
    kept = [d for d in range(x.ndim) if d not in inner_axes]
    axes = sorted(set(inner_axes) | {kept[a] for a in outer.op.axes})
    with _trace.inherit(outer.trace):
        if factor is not None:
            pattern = ["x" if d in inner_axes else kept.index(d) for d in range(x.ndim)]
            x = x * factor.dimshuffle(*pattern)
        out = Reduce(outer.op.kind, axes).make_node(x).outputs[0]
        if (outer.op.kind, inner.op.kind) == ("sum", "mean"):
            count = x.shape[inner_axes[0]]
            for d in inner_axes[1:]:
                count = count * x.shape[d]
            out = out / T.cast(count, x.dtype)
    return out
