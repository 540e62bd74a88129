"""clgraph.scan: Theano's scan front end. It calls the step function once on
placeholder variables, finds what the step reads from outside (non-sequences, shared
variables, values computed outside), turns shared variables with an update (explicit,
or a random stream's default update) into carried states, and builds one Scan node.

Theano's conventions: a sequence tap k gives x[t + k] (the sequence is cut so that
every tap is in range, pretending tap 0 is used); an output with taps [-1, -2] reads
its last two rows, and its initial value holds those rows, oldest first; the step
function gets sequences (each tap), then each fed-back output's taps, then the
non-sequences; it returns outputs, an updates dict, an `until` condition, or a tuple
of those. The outputs returned leave out the initial rows."""
from collections import OrderedDict

import numpy as np

from ..errors import DTypeError, ShapeError, node_message
from ..graph.basic import Constant, Variable, ancestors, as_variable, clone_replace, readers, toposort
from ..graph.types import TensorType
from ..ops.shape import DimShuffle, is_contiguous
from ..ops.subtensor import Subtensor
from ..shared import SharedVariable
from .op import Scan

__all__ = ["scan", "until"]


class until:
    """Return `until(cond)` from the step function (beside its outputs) to stop the
    loop after the first step where `cond` is true."""

    def __init__(self, condition):
        self.condition = as_variable(condition)
        if self.condition.ndim != 0:
            raise ShapeError(node_message(self.condition, f"until: the condition must be a scalar, got "
                                                          f"{self.condition.describe()}"))


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _is_updates(x):
    return isinstance(x, dict) or (isinstance(x, (list, tuple)) and x and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in x))


def _parse_return(ret):
    """(outputs, updates, condition) from what the step function returned."""
    outputs, updates, cond = [], OrderedDict(), None
    parts = list(ret) if isinstance(ret, tuple) and any(
        isinstance(p, until) or _is_updates(p) for p in ret) else [ret]
    for part in parts:
        if isinstance(part, until):
            cond = part.condition
        elif _is_updates(part):
            updates.update(part.items() if isinstance(part, dict) else part)
        elif part is None:
            continue
        else:
            outputs += [as_variable(o) for o in (part if isinstance(part, (list, tuple)) else [part])]
    return outputs, updates, cond


def _row_place(var, name):
    return Variable(TensorType(var.dtype, var.broadcastable[1:]), name=name)


def _int64(n):
    from ..tensor.basic import cast
    n = as_variable(n)
    if n.ndim != 0 or np.dtype(n.dtype).kind not in "iu":
        raise DTypeError(node_message(n, f"scan: n_steps must be an integer scalar, got {n.describe()}"))
    return n if n.dtype == "int64" else cast(n, "int64")


def _contiguous(var):
    from ..tensor.basic import identity
    return var if is_contiguous(var) else identity(var)


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, strict=False):
    """Theano's scan: returns (outputs, updates); outputs is one variable or a list."""
    from ..tensor import basic as T
    seq_outer, seq_inner, args = [], [], []
    for s in _as_list(sequences):
        x, taps = (s["input"], s.get("taps", [0])) if isinstance(s, dict) else (s, [0])
        x = as_variable(x)
        taps = [0] if taps is None else _as_list(taps)
        if x.ndim == 0:
            raise ShapeError(node_message(x, f"scan: sequence {x.describe()} is a scalar; sequences are "
                                             "iterated over their first axis"))
        if not _rows_contiguous(x):
            x = T.identity(x)  # (the step's kernels read each row as a contiguous array)
        lo, hi = -min(min(taps), 0), max(max(taps), 0)
        for k in taps:
            start, cut = k + lo, hi - k
            part = x[start:-cut] if cut else (x[start:] if start else x)
            if go_backwards:
                part = part[::-1]
            seq_outer.append(part)
            seq_inner.append(_row_place(x, f"{x.name or 'seq'}[t{k:+d}]" if k else f"{x.name or 'seq'}[t]"))
            args.append(seq_inner[-1])
    if n_steps is None:
        if not seq_outer:
            raise ShapeError("scan: give n_steps or at least one sequence to loop over")
        n = seq_outer[0].shape[0]
        for part in seq_outer[1:]:
            n = T.minimum(n, part.shape[0])
        n_steps = n
    else:  # (with go_backwards, the last n_steps rows of each sequence, last row first)
        n_steps = _int64(n_steps)

    infos = _as_list(outputs_info)
    states, nitsot_info = [], []  # states: (index, initial rows (outer), [(tap, inner)])
    for i, info in enumerate(infos):
        if isinstance(info, dict):
            init, taps = info.get("initial"), info.get("taps", [-1])
        else:
            init, taps = info, [-1]
        if init is None:
            nitsot_info.append(i)
            continue
        init = as_variable(init)
        taps = _as_list(taps) or [-1]
        if any(k >= 0 for k in taps):
            raise ValueError(f"scan: output {i} has taps {taps}; the taps of an output must be negative")
        lag = -min(taps)
        if isinstance(info, dict) and "taps" in info:
            rows = init[:lag]
            row_type = init
        else:  # one initial value: the state's row
            if lag != 1:
                raise ValueError(f"scan: output {i} has taps {taps}; give dict(initial=..., taps=...)")
            rows = T.dimshuffle(init, "x", *range(init.ndim))
            row_type = rows
        inner = [(k, _row_place(row_type, f"{init.name or f'out{i}'}[t{k}]")) for k in taps]
        states.append((i, _contiguous(rows), inner, init))
        args += [v for _, v in inner]
    user_inits = {i: init for i, _, _, init in states}
    states = [st[:3] for st in states]
    nonseqs = [as_variable(v) for v in _as_list(non_sequences)]
    args += nonseqs

    ret = fn(*args)
    outputs, updates, cond = _parse_return(ret)
    if infos and len(outputs) != len(infos):
        raise ValueError(f"scan: the step function returned {len(outputs)} output(s) but outputs_info has "
                         f"{len(infos)} entries")
    if not infos:
        nitsot_info = list(range(len(outputs)))
    for i, init_rows, inner in states:
        _check_state(i, outputs[i], inner[0][1], user_inits[i])

    # shared variables updated by the step: carried states (explicit updates, and the
    # default updates of the random streams the step draws from)
    shared_states = _shared_states(outputs + [as_variable(e) for e in updates.values()] +
                                   ([cond] if cond is not None else []), updates, nonseqs)
    shared_places = {s: Variable(s.type, name=f"{s.name or 'shared'}[t-1]") for s in shared_states}
    roots = [outputs[i] for i, _, _ in states] + [as_variable(shared_states[s]) for s in shared_states] + \
        [outputs[i] for i in nitsot_info] + ([cond] if cond is not None else [])
    places = set(seq_inner) | {v for _, _, inner in states for _, v in inner} | set(shared_places.values())
    inner_roots, outer_vars, outer_places = _close_over(roots, places, shared_places, nonseqs)
    inner_roots = [_computed(r) for r in inner_roots]
    n_st = len(states) + len(shared_states)
    taps = [inner for _, _, inner in states] + [[(-1, shared_places[s])] for s in shared_states]
    op = Scan(seq_inner, taps, outer_places, inner_roots[:n_st],
              inner_roots[n_st:n_st + len(nitsot_info)], inner_roots[-1] if cond is not None else None, name,
              truncate_gradient)
    inits = [r for _, r, _ in states] + [T.dimshuffle(s, "x", *range(s.ndim)) for s in shared_states]
    node = op.make_node(n_steps, *seq_outer, *inits, *outer_vars)
    outs = node.outputs
    count = outs[-1] if cond is not None else None
    result = [None] * max(len(infos), len(outputs))
    for j, (i, _, _) in enumerate(states):
        lag = op.lags[j]
        result[i] = outs[j][lag:] if count is None else outs[j][lag:lag + count]
    new_updates = OrderedDict()
    for j, s in enumerate(shared_states):
        buf = outs[len(states) + j]
        new_updates[s] = buf[-1] if count is None else buf[count]
    for m, i in enumerate(nitsot_info):
        out = outs[n_st + m]
        result[i] = out if count is None else out[:count]
    if len(result) == 1:
        return result[0], new_updates
    return result, new_updates


def _check_state(i, out, place, init):
    """A fed-back output keeps the type of its initial rows (the message names the
    output, both types and the line of the step function that computed it)."""
    if out.dtype != place.dtype or out.ndim != place.ndim:
        raise DTypeError(node_message(out, f"scan: output {i} of the step function is {out.type} "
                                           f"({out.describe()}) but outputs_info[{i}] ({init.describe()}) gives "
                                           f"it {place.type}; a fed-back output must keep its dtype and rank: "
                                           "cast the initial value or the output"))


def _shared_states(roots, updates, nonseqs):
    """{shared variable: its new value per step}: the updates the step returned, then
    the default updates of shared variables the step reads (random stream states)."""
    found = OrderedDict((s, as_variable(e)) for s, e in updates.items())
    for s, e in found.items():
        if not isinstance(s, SharedVariable):
            raise TypeError(f"scan: the step function's updates must update shared variables, got {s!r}")
        if e.dtype != s.dtype or e.ndim != s.ndim:
            raise DTypeError(node_message(e, f"scan: the update of {s!r} ({s.type}) is {e.describe()}"))
    pending = list(roots) + list(found.values())
    seen = set()
    while pending:
        new = []
        for v in ancestors(pending, stop=nonseqs):
            if v in seen:
                continue
            seen.add(v)
            default = getattr(v, "default_update", None)
            if isinstance(v, SharedVariable) and default is not None and v not in found and v not in nonseqs:
                found[v] = default
                new.append(default)
        pending = new
    return found


def _close_over(roots, places, shared_places, nonseqs):
    """The inner graph of `roots`: values that do not depend on any placeholder (nor on
    a carried shared variable) are read from outside, each through a new inner
    variable. Returns (inner roots, outer values, their inner variables)."""
    from ..tensor.basic import identity
    stop = set(nonseqs)
    inner = set(places) | set(shared_places)
    nodes = toposort(roots, stop=stop)
    for node in nodes:
        if any(i in inner for i in node.inputs):
            inner.update(node.outputs)
    # a dimshuffle of an outside value (W.T in a gradient) stays in the step, so the
    # step's kernels know its layout; an outside value is read as a contiguous array
    users = readers(nodes)
    for node in reversed(nodes):
        out = node.outputs[0]
        if isinstance(node.op, DimShuffle) and out not in inner and node.inputs[0] not in stop and (
                out in roots or any(o in inner for u in users.get(out, ()) for o in u.outputs)):
            inner.add(out)
    replace, outer_vars, outer_places = dict(shared_places), [], []

    def outside(v):
        if v not in replace:
            p = Variable(v.type, name=v.name)
            replace[v] = p
            outer_vars.append(v if is_contiguous(v) else identity(v))
            outer_places.append(p)
    for v in nonseqs:
        outside(v)
    for node in toposort(roots, stop=stop):
        if node.outputs[0] in inner or any(o in inner for o in node.outputs):
            for i in node.inputs:
                if i not in inner and not isinstance(i, Constant):
                    outside(i)
    for r in roots:
        if r not in inner and not isinstance(r, Constant):
            outside(r)
    new_roots = clone_replace(roots, replace)
    return new_roots, outer_vars, outer_places


def _rows_contiguous(var):
    """Whether each row (along axis 0) of `var` is laid out contiguously: a contiguous
    array, or rows sliced out of one (with any step: x[::-1])."""
    node = var.owner
    if is_contiguous(var):
        return True
    if node is not None and isinstance(node.op, Subtensor) and len(node.op.idx_list) == 1 \
            and node.op.idx_list[0] != "i":
        return _rows_contiguous(node.inputs[0])
    return False


def _computed(var):
    """Each step writes its outputs into their rows: an output that is an input, a
    constant or a view becomes a copy."""
    from ..tensor.basic import identity
    if var.owner is None or var.owner.op.view:
        return identity(var)
    return var
