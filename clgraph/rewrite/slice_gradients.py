"""The gradient of a variable read in slices is one concatenation, not a sum of
zero-filled copies. z[:, :u], z[:, u:2u], ... (an LSTM's gates) each give the
gradient inc_subtensor(zeros_like(z)[:, k*u:(k+1)*u], g_k); their sum writes and
reads the whole of z once per slice (four full-size kernels and an add, per time step
of the reverse loop). Where the slices tile one axis, the sum is join(g_0, g_1, ...):
one kernel that writes each element once.

Only pieces known to have their region's shape (IncSubtensor.fits: the gradient of a
slice) are joined, into the same zero buffer, along one axis cut by constant bounds
without a step. Adjacent pieces that do not yet cover the axis become one piece of
the joined values, so a sum built up one slice at a time folds as it goes."""
from ..graph.basic import Constant
from ..graph.facts import add_terms
from ..ops.elemwise import Elemwise
from ..ops.join import Join
from ..ops.subtensor import IncSubtensor

__all__ = ["RULES"]

_WHOLE = ("s", False, False, False)


def _is_zeros(var):
    """A zero fill: zeros_like's second(x, 0), or a constant of zeros."""
    node = var.owner
    if isinstance(var, Constant):
        return not var.data.any()
    if node is None or not isinstance(node.op, Elemwise) or node.op.scalar_op.name != "second":
        return False
    fill = node.inputs[1]
    return isinstance(fill, Constant) and fill.data.size == 1 and not fill.data.any()


def _piece(var):
    """(zeros, axis, start, stop or None, value) when `var` is the gradient of a slice of
    one axis with constant bounds, written into zeros; else None."""
    node = var.owner
    if node is None or not isinstance(node.op, IncSubtensor):
        return None
    op = node.op
    if op.set_instead_of_inc or not op.fits or not _is_zeros(node.inputs[0]):
        return None
    cut = [k for k, e in enumerate(op.idx_list) if e != _WHOLE]
    if len(cut) != 1 or op.idx_list[cut[0]] == "i" or op.idx_list[cut[0]][3]:
        return None
    _, has_start, has_stop, _ = op.idx_list[cut[0]]
    bounds = iter(node.inputs[2:])
    start = next(bounds) if has_start else None
    stop = next(bounds) if has_stop else None
    values = []
    for b in (start, stop):
        if b is None:
            values.append(None)
        elif isinstance(b, Constant) and b.data.size == 1 and int(b.data) >= 0:
            values.append(int(b.data))
        else:
            return None
    return node.inputs[0], cut[0], values[0] or 0, values[1], node.inputs[1]


def _parts(value, axis):
    """The inputs of a join along `axis` (spliced in, so joins do not nest), or [value]."""
    node = value.owner
    if node is not None and isinstance(node.op, Join) and node.op.axis == axis:
        return list(node.inputs)
    return [value]


def join_slice_gradients(node):
    """sum of inc_subtensor(zeros[slice_k], g_k) over adjacent slices of one axis ->
    join(g_k) (the whole axis) or one such piece of the joined values."""
    if not isinstance(node.op, Elemwise) or node.op.scalar_op.name != "add":
        return None
    out = node.outputs[0]
    terms = add_terms(out)
    pieces = [_piece(t) for t in terms]
    if len(terms) < 2 or any(p is None for p in pieces):
        return None
    zeros, axis = pieces[0][0], pieces[0][1]
    if any(p[0] is not zeros or p[1] != axis for p in pieces):
        return None
    pieces.sort(key=lambda p: p[2])
    for a, b in zip(pieces, pieces[1:]):
        if a[3] is None or a[3] != b[2]:
            return None  # a gap or an overlap: not one run
    values = [v for p in pieces for v in _parts(p[4], axis)]
    joined = Join(axis, len(values))(*values)
    start, stop = pieces[0][2], pieces[-1][3]
    if start == 0 and stop is None:
        return [joined] if joined.type == out.type else None
    entries = [_WHOLE] * zeros.ndim
    entries[axis] = ("s", start != 0, stop is not None, False)
    from ..tensor.basic import constant
    args = ([constant(start, "int64")] if start != 0 else []) + ([constant(stop, "int64")] if stop is not None else [])
    new = IncSubtensor(tuple(entries), False, fits=True)(zeros, joined, *args)
    return [new] if new.type == out.type else None


RULES = [join_slice_gradients]
