"""Hoist a loop's input projections: the parts of a Scan step that read only
sequences and non-sequences (an RNN's x_t . W + b), never the carried state, are
computed once over all steps outside the loop (x . W as one GEMM over n_steps * batch
rows) and read back by the step as a new sequence.

Step t reads row t of every sequence, and the ops vectorised here (Elemwise, Dot,
DimShuffle; not an elementwise op that reads the element's index) act on each row
alone, so the op applied to the stacked sequences gives the stacked results:
f(x)[t] = f(x[t]). Only such a chain is moved, and only when it holds
a product (an elementwise chain alone costs the step nothing: it fuses into the step's
kernels). The outer sequences are the ones the step already reads, cut and reversed by
the front end, so taps and go_backwards need nothing here; rows after n_steps are cut
off first (truncate_gradient's shorter reverse loop). The gradient scan is a Scan like
any other: its recomputed forward products, which read stored rows only, move out too.
A step's outputs themselves stay in the loop (the step writes their rows)."""
from ..graph.basic import Constant, Variable, clone_replace, toposort
from ..graph.facts import value_inputs
from ..graph.types import TensorType
from ..ops.blas import Dot
from ..ops.elemwise import Elemwise
from ..ops.shape import DimShuffle
from . import merge
from .lift import _reads_index

__all__ = ["hoist"]

_ROWWISE = (Elemwise, Dot, DimShuffle)


def hoist(node):
    """The rule: a Scan node rebuilt with its hoistable products as new sequences."""
    from ..scan_module.op import Scan
    op = node.op
    if not isinstance(op, Scan):
        return None
    roots = merge.merge(op.inner_roots)
    n, seqs, inits, nonseqs = op.split(list(node.inputs))
    batched, fixed, has_dot = {}, {}, set()  # inner var -> its outer value (stacked / not)
    for v, s in zip(op.seqs, seqs):
        batched[v] = s[:n]
    fixed.update(zip(op.nonseqs, nonseqs))
    root_set = set(roots)
    nodes = toposort(roots)
    for nd in nodes:
        outer = _vectorise(nd, batched, fixed, root_set)
        if outer is None:
            continue
        out = nd.outputs[0]
        if any(i in batched for i in nd.inputs):
            batched[out] = outer
            # (a zero fill second(z, 0) reads only z's shape: not worth a stored sequence of
            # zeros, and rewrite/slice_gradients.py must still see it in the step)
            if isinstance(nd.op, Dot) or any(i in has_dot for i in value_inputs(nd)):
                has_dot.add(out)
        else:
            fixed[out] = outer
    # the hoisted values: products of sequences read by a node that stays in the step
    chosen = []
    for nd in nodes:
        if nd.outputs[0] in batched or nd.outputs[0] in fixed:
            continue
        for i in nd.inputs:
            if i in has_dot and i not in chosen:
                chosen.append(i)
    if not chosen:
        return None
    places = [Variable(v.type, name=f"hoisted{k}[t]") for k, v in enumerate(chosen)]
    new_roots = clone_replace(roots, dict(zip(chosen, places)))
    j, m = op.n_states, len(op.nitsot_outs)
    new_op = Scan(op.seqs + places, op.taps, op.nonseqs, new_roots[:j], new_roots[j:j + m],
                  new_roots[-1] if op.cond is not None else None, op.name, op.truncate_gradient)
    new = new_op.make_node(n, *seqs, *[_contiguous_rows(batched[v]) for v in chosen], *inits, *nonseqs)
    return new.outputs


def _vectorise(nd, batched, fixed, roots):
    """The outer value of `nd`'s output over all steps (a leading step axis when it
    reads a sequence), or None when it stays in the step."""
    if not isinstance(nd.op, _ROWWISE) or len(nd.outputs) != 1 or nd.outputs[0] in roots:
        return None
    if isinstance(nd.op, Elemwise) and _reads_index(nd.op.scalar_op):
        return None  # (onehot, arange: the element's index would count the step axis too)
    if not all(i in batched or i in fixed or isinstance(i, Constant) for i in nd.inputs):
        return None
    if not any(i in batched for i in nd.inputs):
        return nd.op.make_node(*[fixed.get(i, i) for i in nd.inputs]).outputs[0]
    try:
        if isinstance(nd.op, DimShuffle):
            x = batched[nd.inputs[0]]
            order = [0] + ["x" if a == "x" else a + 1 for a in nd.op.new_order]
            return DimShuffle(x.broadcastable, order, drop_any=True)(x)
        ins = [batched[i] if i in batched else _lead(fixed.get(i, i)) for i in nd.inputs]
        out = nd.op.make_node(*ins).outputs[0]
    except (TypeError, ValueError):
        return None
    return out if out.broadcastable[1:] == nd.outputs[0].broadcastable else None


def _lead(v):
    """A value that is the same every step, with a broadcastable step axis."""
    if isinstance(v, Constant):
        return Constant(TensorType(v.dtype, (True,) + v.broadcastable), v.data.reshape((1,) + v.data.shape),
                        name=v.name, weak=v.weak)
    return DimShuffle(v.broadcastable, ["x", *range(v.ndim)])(v)


def _contiguous_rows(v):
    from ..scan_module.scan import _rows_contiguous
    from ..tensor.basic import identity
    return v if _rows_contiguous(v) else identity(v)
