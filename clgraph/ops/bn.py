"""The ops behind T.nnet.bn (tensor/nnet/bn.py).

BatchStats: the mean, biased variance and 1 / sqrt(var + eps) of x over a set of axes,
and optionally the new running averages, from one pass over x (family "bn_stats",
templates/bn_stats.cl.mako): batch normalisation needs both moments, and two
reductions would read the batch twice. Its gradient is a graph (d mean/dx = 1/m,
d var/dx = 2 (x - mean) / m), so the whole normalisation stays differentiable.

normalize_op: the normalisation (x - mean) * invstd * gamma + beta as one scalar op of
an elementwise node (it fuses with its neighbours like any other), whose gradient
with respect to x is the whole batch-norm gradient, the paths through the batch's
mean and invstd included: gamma * invstd * (gz - (sum(gz) + xhat * sum(gz * xhat)) / m).
Two column sums and one elementwise kernel instead of the four sums (one per
broadcast operand) and two elementwise kernels the chain rule makes of the plain
expression. As in Theano's batch-norm op, out, mean and invstd are sibling results:
out passes no gradient to mean and invstd (a cost that also uses them gets theirs
through BatchStats.grad).

NormParam: a view that puts gamma, beta (or a given mean and variance) into the
layout the normalisation broadcasts (inputs' rank, length 1 on the normalised axes),
checking their shape against the inputs' when the function is called: a mismatch is
then reported as a batch normalisation error at the user's line, not as an
elementwise broadcast error."""
import functools

import numpy as np

from ..errors import ShapeError, node_message
from ..graph.basic import Apply, Constant, as_variable
from ..graph.types import TensorType
from .base import Op
from .scalar import ScalarOp
from .shape import DimShuffle

__all__ = ["BatchStats", "NormParam", "normalize_op", "np_batch_stats"]


def _kept(shape, axes):
    return tuple(n for a, n in enumerate(shape) if a not in axes)


def _layout(shape, axes, full):
    """The shape a parameter must have: the inputs' with 1 on `axes` (full rank), or
    without the normalised axes."""
    return tuple(1 if a in axes else n for a, n in enumerate(shape)) if full else _kept(shape, axes)


def _fits(got, want, bcast):
    return len(got) == len(want) and all(g == w or (g == 1 and b) for g, w, b in zip(got, want, bcast))


def _is_zero(g):
    """True for the zeros clgraph.grad passes for an output the cost does not use."""
    node = g.owner
    if node is None or getattr(getattr(node.op, "scalar_op", None), "name", None) != "second":
        return isinstance(g, Constant) and not np.any(g.data)
    fill = node.inputs[1]
    return isinstance(fill, Constant) and not np.any(fill.data)


def np_batch_stats(x, axes, eps):
    """numpy reference: mean, biased variance and 1 / sqrt(var + eps), kept shape."""
    mean = np.mean(x, axis=axes)
    var = np.var(x, axis=axes)
    return mean, var, 1.0 / np.sqrt(var + eps)


class BatchStats(Op):
    """mean, var, invstd of x over `axes` (outputs: x's shape without `axes`; var is
    the biased variance), plus new_running_mean = rm * (1 - f) + mean * f and
    new_running_var = rv * (1 - f) + var * m / (m - 1) * f when `running` (m: the
    number of reduced elements). Inputs: x, eps [, f, rm, rv], all of one float dtype,
    eps and f 0-d; rm and rv with x's rank (length 1 on `axes`) or without `axes`,
    and the new running averages in their type. `caller` names the user's function
    in error messages."""
    family = "bn_stats"
    __props__ = ("axes", "running")

    def __init__(self, axes, running=False, caller="batch_normalization_train"):
        self.axes, self.running, self.caller = tuple(sorted(axes)), bool(running), caller

    def __str__(self):
        return f"batch_stats{{{','.join(map(str, self.axes))}}}"

    def make_node(self, x, eps, factor=None, running_mean=None, running_var=None):
        x, eps = as_variable(x), as_variable(eps)
        ins = [x, eps]
        kept_b = _kept(x.broadcastable, self.axes)
        outs = [TensorType(x.dtype, kept_b) for _ in range(3)]
        if self.running:
            ins += [as_variable(v) for v in (factor, running_mean, running_var)]
            for r in ins[3:]:
                full = r.ndim == x.ndim
                b = tuple(r.broadcastable[a] if a in self.axes else x.broadcastable[a] for a in range(x.ndim)) \
                    if full else kept_b
                outs.append(TensorType(x.dtype, b))
        if any(v.dtype != x.dtype for v in ins) or np.dtype(x.dtype).kind != "f" \
                or any(v.ndim for v in ins[1:3 if self.running else 2]):
            raise TypeError(f"{self}: needs float inputs of one dtype, scalar eps and factor; got "
                            + ", ".join(v.describe() for v in ins))
        return Apply(self, ins, outs)

    def infer_shape(self, node, shapes, values=None):
        x_shape = tuple(shapes[0])
        kept = _kept(x_shape, self.axes)
        out = [kept] * 3
        for what, v, shape in zip(("running_mean", "running_var"), node.inputs[3:], shapes[3:]):
            full = v.ndim == len(x_shape)
            want = _layout(x_shape, self.axes, full)
            if tuple(shape) != want:
                raise ShapeError(node_message(node, f"{self.caller}: {what} has shape {tuple(shape)}, but the "
                                                    f"inputs of shape {x_shape} normalised over axes "
                                                    f"{self.axes} need {want}"))
            out.append(want)
        return out

    def perform(self, node, inputs):
        x, eps = inputs[:2]
        dtype = node.outputs[0].dtype
        mean, var, invstd = np_batch_stats(x, self.axes, eps)
        outs = [mean, var, invstd]
        if self.running:
            f, rm, rv = inputs[2:]
            m = int(np.prod([x.shape[a] for a in self.axes], dtype=np.int64))
            with np.errstate(all="ignore"):
                outs.append(rm * (1 - f) + mean.reshape(rm.shape) * f)
                outs.append(rv * (1 - f) + var.reshape(rv.shape) * (m / (m - 1)) * f)
        return [np.asarray(o, dtype=dtype) for o in outs]

    def grad(self, inputs, outputs, output_grads):
        from ..tensor import basic as T
        from .reduce import _reduced_count
        x, eps = inputs[:2]
        mean, var, invstd = outputs[:3]
        g_mean, g_var, g_invstd = (None if _is_zero(g) else g for g in output_grads[:3])
        axes, ndim = self.axes, x.ndim
        keep = [a for a in range(ndim) if a not in axes]
        pattern = ["x" if a in axes else keep.index(a) for a in range(ndim)]
        m = T.cast(_reduced_count(x, axes), x.dtype)
        g_eps = g_factor = g_rm = g_rv = None
        if g_invstd is not None:  # invstd = (var + eps) ** -1/2
            d_invstd = g_invstd * (-0.5 * invstd * invstd * invstd)
            g_var = d_invstd if g_var is None else g_var + d_invstd
            g_eps = T.sum(d_invstd)
        if self.running:
            factor, rm, rv = inputs[2:]
            g_nrm, g_nrv = (None if _is_zero(g) else g for g in output_grads[3:])

            def kept(v):  # a running-average layout -> the kept layout of mean and var
                return DimShuffle(v.broadcastable, keep, drop_any=True)(v) if v.ndim == ndim else v
            g_factor = 0
            if g_nrm is not None:
                g_mean = factor * kept(g_nrm) if g_mean is None else g_mean + factor * kept(g_nrm)
                g_rm = (1 - factor) * g_nrm
                g_factor = g_factor + T.sum(g_nrm * (_kept_like(mean, rm, keep) - rm))
            if g_nrv is not None:
                unbiased = m / (m - 1)
                d = unbiased * factor * kept(g_nrv)
                g_var = d if g_var is None else g_var + d
                g_rv = (1 - factor) * g_nrv
                g_factor = g_factor + T.sum(g_nrv * (_kept_like(var, rv, keep) * unbiased - rv))
            g_factor = None if isinstance(g_factor, int) else g_factor
        g_x = None
        if g_mean is not None:
            g_x = g_mean.dimshuffle(*pattern) / m
        if g_var is not None:
            centered = (x - mean.dimshuffle(*pattern)) * (g_var.dimshuffle(*pattern) * (2 / m))
            g_x = centered if g_x is None else g_x + centered
        if g_x is not None and g_x.broadcastable != x.broadcastable:
            g_x = T.second(x, g_x)  # (only the mean term: a value per kept element)
        grads = [g_x, g_eps]
        if self.running:
            grads += [g_factor, g_rm, g_rv]
        return grads


def _np_normalize(x, mean, invstd, gamma, beta):
    return (x - mean) * invstd * gamma + beta


def _normalize_grad(axes, x, mean, invstd, gamma, beta, out, gz):
    from ..tensor import basic as T
    from .reduce import _reduced_count
    xhat = (x - mean) * invstd
    s1 = T.sum(gz, axis=axes, keepdims=True)
    s2 = T.sum(gz * xhat, axis=axes, keepdims=True)
    m = T.cast(_reduced_count(x, axes), x.dtype)
    return [gamma * invstd * (gz - (s1 + xhat * s2) / m), None, None, s2, s1]


@functools.lru_cache(maxsize=None)
def normalize_op(axes):
    """(x, mean, invstd, gamma, beta) -> (x - mean) * invstd * gamma + beta, the batch
    statistics over `axes` being BatchStats(axes) of x (module doc)."""
    axes = tuple(sorted(axes))
    return ScalarOp("bn_normalize", 5, {"f": "(((({0} - {1}) * {2}) * {3}) + {4})"}, _np_normalize,
                    functools.partial(_normalize_grad, axes), key=("bn_normalize", axes))


def _kept_like(stat, like, keep):
    """A kept-layout statistic in the layout of a running average `like`."""
    if like.ndim == stat.ndim:
        return stat
    pattern = ["x"] * like.ndim
    for k, a in enumerate(keep):
        pattern[a] = k
    return stat.dimshuffle(*pattern)


class NormParam(Op):
    """A parameter of the normalisation (gamma, beta, a given mean or variance) as a
    view in the inputs' rank, broadcastable on the normalised `axes`: given either
    with that rank (length 1 on `axes`) or without those axes (`full` False). Inputs:
    the parameter and the inputs' shape vector (x.shape, known on the host), against
    which the parameter's shape is checked at each call; `caller` and `what` name the
    user's function and argument in the message."""
    view = True
    keeps_order = True  # (only axes of length 1 come and go)
    # (caller and what too: the same variable given as gamma and as beta gets two
    # nodes, each naming its argument; views cost nothing)
    __props__ = ("axes", "full", "caller", "what")

    def __init__(self, axes, full, caller="batch_normalization", what="gamma"):
        self.axes, self.full, self.caller, self.what = tuple(sorted(axes)), bool(full), caller, what

    def __str__(self):
        return f"norm_param{{{','.join(map(str, self.axes))}}}"

    def make_node(self, p, x_shape):
        p, x_shape = as_variable(p), as_variable(x_shape)
        ndim = p.ndim if self.full else p.ndim + len(self.axes)
        kept_b = iter(p.broadcastable)
        b = [True if a in self.axes else (p.broadcastable[a] if self.full else next(kept_b)) for a in range(ndim)]
        return Apply(self, [p, x_shape], [TensorType(p.dtype, b)])

    def _want(self, x_shape):
        return _layout(tuple(int(n) for n in x_shape), self.axes, self.full)

    def infer_shape(self, node, shapes, values=None):
        p_shape = tuple(shapes[0])
        x_shape = values[1] if values is not None else None
        if x_shape is not None:
            want = self._want(x_shape)
            if not _fits(p_shape, want, node.inputs[0].broadcastable):
                raise ShapeError(node_message(node, f"{self.caller}: {self.what} has shape {p_shape}, but the "
                                                    f"inputs of shape {tuple(int(n) for n in x_shape)} "
                                                    f"normalised over axes {self.axes} need {want}"))
        return [self._full_shape(p_shape)]

    def _full_shape(self, p_shape):
        if self.full:
            return tuple(p_shape)
        it = iter(p_shape)
        return tuple(1 if a in self.axes else next(it) for a in range(len(p_shape) + len(self.axes)))

    def view_of(self, shape, strides, offset, values):
        if self.full:
            return tuple(shape), tuple(0 if a in self.axes else s for a, s in enumerate(strides)), offset
        it = iter(strides)
        return self._full_shape(shape), tuple(0 if a in self.axes else next(it)
                                              for a in range(len(shape) + len(self.axes))), offset

    def perform(self, node, inputs):
        p = np.asarray(inputs[0])
        return [p.reshape(self._full_shape(p.shape))]

    def grad(self, inputs, outputs, output_grads):
        # (Elemwise.grad already summed g over the broadcast axes: it has the view's
        # pattern; full rank: length 1 on `axes`, as the parameter)
        p, (g,) = inputs[0], output_grads
        if not self.full:
            g = DimShuffle(g.broadcastable, [a for a in range(g.ndim) if a not in self.axes], drop_any=True)(g)
        return [g, None]
