"""The NaN guard: `function(..., mode='NanGuard')` or `clgraph.config.nan_guard = True`
(env CLGRAPH_NAN_GUARD=1). After each kernel of a call it reads the kernel's float
results back and raises NanGuardError at the first one holding NaN or Inf, naming the
kernel, the node that made the value and the user's line that built it. It runs inside
the call, before the updates are swapped in, so a call it stops changes no shared
variable. A debug mode: it waits for every kernel. Integer and bool results (indices,
random stream states) are never checked."""
import numpy as np

from ..errors import NanGuardError, node_message
from ..graph.basic import Constant
from ..runtime.arrays import materialize

__all__ = ["NanGuard", "MODES", "guard_mode"]

#: `mode` values that turn the guard on; the others Theano users pass change nothing here
MODES = ("NanGuard", "NanGuardMode")
# Theano's other modes: clgraph always optimises, and checks shapes and dtypes anyway
_PLAIN = (None, "FAST_RUN", "FAST_COMPILE", "Mode", "DebugMode", "DEBUG_MODE", "ProfileMode", "PROFILE_MODE")


def guard_mode(mode):
    """True when `mode` asks for the guard; a clear error for modes clgraph lacks."""
    name = mode if isinstance(mode, str) or mode is None else type(mode).__name__
    if name in MODES:
        return True
    if name in _PLAIN:
        return False
    raise ValueError(f"function: unknown mode {mode!r}; clgraph knows mode=None, Theano's 'FAST_RUN', "
                     f"'FAST_COMPILE', 'DebugMode', 'ProfileMode' (all compiled alike) and 'NanGuardMode' (a NaN/Inf "
                     f"check after every kernel)")


def _is_float(dtype):
    return np.dtype(dtype).kind == "f"


def _bad(values):
    """'NaN', 'Inf', 'NaN and Inf' or '' for a host array."""
    nan, inf = bool(np.isnan(values).any()), bool(np.isinf(values).any())
    return " and ".join(w for w, b in (("NaN", nan), ("Inf", inf)) if b)


class NanGuard:
    """The `on_launch` hook of Plan.enqueue for one call."""

    def __init__(self, queue):
        self.queue = queue

    def _read(self, arrays):
        hosts = [a.enqueue_read(self.queue) for a in arrays]
        self.queue.finish()
        return [materialize(h) for h in hosts]

    def __call__(self, step, events, ins, outs):
        checked = [(v, a) for v, a in zip(step.outputs, outs) if _is_float(a.dtype) and a.size]
        if not checked:
            return
        hosts = self._read([a for _, a in checked])
        bad = [(v, h) for (v, _), h in zip(checked, hosts) if not np.isfinite(h).all()]
        if bad:
            raise NanGuardError(self._explain(step, ins, bad))

    def _explain(self, step, ins, bad):
        var, host = bad[0]
        in_hosts = self._read(ins)
        tainted = [repr(v) for v, h in zip(step.inputs, in_hosts) if _is_float(h.dtype) and _bad(h)]
        node = _culprit(step, in_hosts) or var.owner
        what = _bad(host)
        count = int(np.count_nonzero(~np.isfinite(host)))
        head = (f"{node.op}: the NaN guard found {what} ({count} of {host.size} values) in the result of kernel "
                f"{step.name} ({host.dtype}, shape {host.shape}); ")
        head += (f"its inputs already held NaN/Inf: {', '.join(tainted)}" if tainted
                 else "no input of the kernel held NaN or Inf")
        text = node_message(node, head)
        others = [n for n in step.nodes if n is not node]
        if others:
            text += f"\n  kernel {step.name} also computes: " + ", ".join(
                f"{n.op}" + (f" ({n.trace.filename}:{n.trace.lineno})" if n.trace else "") for n in others)
        return text + "\n  (the call changed no shared variable)"


def _culprit(step, in_hosts):
    """The first node of the kernel whose result is not finite although its inputs
    are (else the first whose result is not finite), found by replaying the kernel's
    nodes with their numpy references on the values read back; None when a node's
    inputs are not all at hand or its reference fails."""
    values = dict(zip(step.inputs, in_hosts))
    first = None
    try:
        with np.errstate(all="ignore"):
            for node in step.nodes:
                args = []
                for i in node.inputs:
                    if i in values:
                        args.append(values[i])
                    elif isinstance(i, Constant):
                        args.append(i.data)
                    else:
                        return first
                outs = node.op.perform(node, args)
                values.update(zip(node.outputs, outs))
                out_bad = any(_is_float(o.dtype) and _bad(o) for o in map(np.asarray, outs))
                if not out_bad:
                    continue
                if not any(_is_float(np.asarray(a).dtype) and _bad(np.asarray(a)) for a in args):
                    return node
                first = first or node
    except Exception:  # the replay only sharpens the message; the kernel result stands
        return first
    return first
