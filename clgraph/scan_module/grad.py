"""Backpropagation through time: the gradient of a Scan node is a Scan running over
the stored steps in reverse (the last `truncate_gradient` of them when it is set).

Reverse step t (forward step n-1-t) reads the forward step's inputs (sequence rows, the
state rows its taps read, the stored outputs, so no forward value is recomputed where
a gradient rule reads its node's output) and the upstream gradients of the rows it
wrote. It carries, per fed-back output with taps down to -L, the gradient that later
steps sent to the L rows before it (`c`: row r - i in c[i]), and writes per
non-sequence its share of the gradient, summed over the steps outside the loop (where
the share is a product x_t^T g_t, as one GEMM over all steps: rewrite/loop_outputs.py).
Each step's backward pass is the step graph's vector-Jacobian product (gradient.vjp),
so the reverse scan is itself differentiable."""
import numpy as np

from ..errors import GradientError, node_message
from ..graph.basic import Variable, clone_replace, toposort
from ..ops.elemwise import Elemwise

__all__ = ["scan_grad", "saved_values"]


def _float(v):
    return np.dtype(v.dtype).kind == "f"


def scan_grad(op, inputs, outputs, output_grads):
    from ..gradient import vjp
    from ..tensor import basic as T
    from ..tensor.shape import stack, zeros
    from ..tensor.subtensor import set_subtensor, inc_subtensor
    from .op import Scan
    from .scan import scan
    if op.cond is not None:
        raise GradientError(node_message(outputs[0], f"{op}: a loop that stops with until has no gradient in "
                                                     "clgraph"))
    n, seqs, inits, nonseqs = op.split(list(inputs))
    J, M, S = op.n_states, len(op.nitsot_outs), len(seqs)
    bufs, ys = outputs[:J], outputs[J:J + M]
    gbufs, gys = output_grads[:J], output_grads[J:J + M]
    fstates = [j for j in range(J) if _float(bufs[j])]
    fnonseqs = [w for w in range(len(nonseqs)) if _float(nonseqs[w])]
    fseqs = [s for s in range(S) if _float(seqs[s])]
    fnit = [m for m in range(M) if _float(ys[m])]
    if not (fstates or fnonseqs or fseqs):
        return [None] * len(inputs)
    K = n if op.truncate_gradient == -1 else T.minimum(n, op.truncate_gradient)

    # the forward loop again, also writing the step's costly values the gradient reads
    # (an LSTM's gates: products of the recurrent GEMM); rewrite/loop_outputs.py makes
    # the original loop this one, so the forward pass runs once
    saved = saved_values(op, fstates, fnit)
    saved_rows = []
    if saved:
        keeper = Scan(op.seqs, op.taps, op.nonseqs, op.state_outs, op.nitsot_outs + saved, op.cond, op.name,
                      op.truncate_gradient)
        keeper.extends = op
        saved_rows = [v[::-1] for v in keeper.make_node(*inputs).outputs[J + M:]]

    # reverse-order sequences: forward rows n-1 .. 0
    rev = [x[:n][::-1] for x in seqs]
    n_taps = []
    for j in range(J):
        lag = op.lags[j]
        for k, _ in op.taps[j]:
            rev.append(bufs[j][lag + k:lag + k + n][::-1])
        n_taps.append(len(op.taps[j]))
    rev += [bufs[j][op.lags[j]:op.lags[j] + n][::-1] for j in range(J)]
    rev += [gbufs[j][op.lags[j]:op.lags[j] + n][::-1] for j in fstates]
    rev += [y[::-1] for y in ys]
    rev += [gys[m][::-1] for m in fnit]
    rev += saved_rows
    # (a carry for one row is that row itself: no axis to add per step)
    carries = [T.zeros_like(inits[j][0] if op.lags[j] == 1 else inits[j]) for j in fstates]

    def step(*args):
        args = list(args)
        take = lambda k: [args.pop(0) for _ in range(k)]  # noqa: E731
        xs = take(S)
        taps = [take(c) for c in n_taps]
        stored = take(J)
        g_rows = take(len(fstates))
        stored_y = take(M)
        g_y = take(len(fnit))
        saved_at = take(len(saved_rows))
        cs = take(len(fstates))
        ws = take(len(nonseqs))
        replace = dict(zip(op.seqs, xs))
        for t, vals in zip(op.taps, taps):
            replace.update((v, val) for (_, v), val in zip(t, vals))
        # (independent stand-ins: two non-sequences may be one value and a view of it, b and
        # b[None, :], and a gradient w.r.t. one must not flow into the other)
        wp = [Variable(w.type, name=w.name) for w in ws]
        replace.update(zip(op.nonseqs, wp))
        fwd = clone_replace(op.state_outs + op.nitsot_outs + saved, replace)
        fwd, saved_here = fwd[:J + M], fwd[J + M:]
        gouts = [None] * (J + M)
        for j, g, c in zip(fstates, g_rows, cs):
            gouts[j] = g + (c if op.lags[j] == 1 else c[0])
        for m, g in zip(fnit, g_y):
            gouts[J + m] = g
        tap_vals = [v for vals in taps for v in vals]
        wrt = xs + tap_vals + wp
        grads = vjp(fwd, gouts, wrt)
        # the forward values the rules read are the stored rows, not recomputed ones
        stored_map = {f: s for f, s in zip(fwd, stored + stored_y) if f.owner is not None}
        stored_map.update(zip(saved_here, saved_at))
        present = [g for g in grads if g is not None]
        present = clone_replace(present, {**stored_map, **dict(zip(wp, ws))})
        it = iter(present)
        grads = [next(it) if g is not None else None for g in grads]
        g_xs, g_taps, g_ws = grads[:S], grads[S:S + len(tap_vals)], grads[S + len(tap_vals):]
        out = []
        pos = 0
        d_taps = []
        for j in range(J):
            d_taps.append({k: g for (k, _), g in zip(op.taps[j], g_taps[pos:pos + n_taps[j]])})
            pos += n_taps[j]
        for j, c in zip(fstates, cs):
            lag, d = op.lags[j], d_taps[j]
            rows = []
            c = c if lag > 1 else T.dimshuffle(c, "x", *range(c.ndim))
            for i in range(lag):
                row = c[i + 1] if i + 1 < lag else None
                g = d.get(-(i + 1))
                row = g if row is None else (row if g is None else row + g)
                rows.append(row if row is not None else T.zeros_like(c[0]))
            new = stack(rows) if lag > 1 else rows[0]
            out.append(T.cast(new, c.dtype) if new.dtype != c.dtype else new)
        for w in fnonseqs:  # this step's share (summed outside: rewrite/loop_outputs.py sink_loop_sums)
            g = g_ws[w]
            out.append(g if g is not None else T.zeros_like(ws[w]))
        for s in fseqs:
            g = g_xs[s]
            out.append(g if g is not None else T.zeros_like(xs[s]))
        return out

    res, _ = scan(step, sequences=rev, outputs_info=carries + [None] * (len(fnonseqs) + len(fseqs)),
                  non_sequences=list(nonseqs), n_steps=K, name=f"grad_of_{op.name or 'scan'}")
    res = res if isinstance(res, list) else [res]
    c_final = res[:len(fstates)]
    a_final = res[len(fstates):len(fstates) + len(fnonseqs)]
    gx = res[len(fstates) + len(fnonseqs):]
    result = [None] * len(inputs)
    for s, g in zip(fseqs, gx):
        result[1 + s] = set_subtensor(T.zeros_like(seqs[s])[n - K:n], g[::-1])
    for j, c in zip(fstates, c_final):
        lag = op.lags[j]
        last = c[-1][::-1] if lag > 1 else T.dimshuffle(c[-1], "x", *range(c.ndim - 1))
        # (row lag - 1 - i of the initial rows gets c[i])
        if op.truncate_gradient == -1:
            g0 = gbufs[j][:lag] + last
        else:
            start = lag + n - K  # the truncated loop's carry lands on rows start - lag .. start - 1
            full = inc_subtensor(zeros(bufs[j].shape, bufs[j].dtype)[start - lag:start], last)
            g0 = gbufs[j][:lag] + full[:lag]
        result[1 + S + j] = g0
    for w, a in zip(fnonseqs, a_final):
        result[1 + S + J + w] = T.sum(a, axis=0)
    return result


def saved_values(op, fstates, fnit):
    """The step's values that its backward pass reads and that cost more than an
    elementwise kernel to recompute: those that read the carried state with a product
    (or any op that is not elementwise or a view) on the way, other than the step's
    outputs (stored anyway). The reverse loop reads them as stored rows (as an autograd
    tape would) instead of recomputing the step's GEMMs over all steps."""
    from ..gradient import vjp
    roots = op.state_outs + op.nitsot_outs
    gouts = [None] * len(roots)
    for j in fstates:
        gouts[j] = Variable(op.state_outs[j].type)
    for m in fnit:
        gouts[op.n_states + m] = Variable(op.nitsot_outs[m].type)
    inner_in = op.inner_inputs
    grads = [g for g in vjp(roots, gouts, inner_in) if g is not None]
    forward = toposort(op.inner_roots)
    computed = {o for nd in forward for o in nd.outputs}
    # (a value that does not read the carried state is left to be recomputed: the
    # gradient loop's x_t . W + b moves out of it as one GEMM, rewrite/scan_hoist.py)
    state = {v for t in op.taps for _, v in t}
    costly = set()
    for nd in forward:
        if any(i in state for i in nd.inputs):
            state.update(nd.outputs)
        if nd.outputs[0] in state and (not (isinstance(nd.op, Elemwise) or nd.op.view) or
                                       any(i in costly for i in nd.inputs)):
            costly.update(nd.outputs)
    stored = set(roots)
    saved = []
    read = [g for g in grads if g in computed]  # (a gradient that is a forward value itself)
    for nd in toposort(grads, stop=set(inner_in) | computed):
        read += nd.inputs
    for v in read:
        while v in costly and v.owner.op.view:  # a view is stored as its source (loop outputs are kernels')
            v = v.owner.inputs[0]
        if v in costly and v not in stored and v not in saved:
            saved.append(v)
    return saved
