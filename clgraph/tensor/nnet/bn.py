"""T.nnet.bn: batch normalisation, as Theano's theano.tensor.nnet.bn (0.9/1.0).

batch_normalization_train computes the batch's mean and variance with one BatchStats
kernel (ops/bn.py: one pass over the inputs, the running averages written beside the
statistics), and normalises with one fused elementwise kernel. Gradients (inputs,
gamma, beta, and through mean, invstd and the running averages) come from
clgraph.grad; out's gradient with respect to the inputs includes its path through the
batch statistics (two column sums and one elementwise kernel, ops/bn.py), and, as in
Theano's op, out passes none to mean and invstd themselves. The parameters may be
given with the inputs' rank (length 1 on the normalised axes) or without those axes,
as in Theano, and mean, invstd and the running averages come in that layout. Not
imposed: cuDNN's minimum epsilon of 1e-5 (Theano's check), as no cuDNN is involved;
epsilon must be a number >= 0."""
import numbers

import numpy as np

from ...errors import DTypeError, ShapeError
from ...graph.basic import Variable, as_variable, constant
from ...ops.bn import BatchStats, NormParam, normalize_op
from ...ops.nnet import _build_error
from ..basic import _elemwise, cast, sqrt

__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]


def _prepare_axes(fn, axes, inputs):
    """Theano's axes: 'per-activation' = (0,), 'spatial' = (0, 2, 3, ...), or a tuple;
    returns (normalised axes sorted, the others)."""
    ndim = inputs.ndim
    if isinstance(axes, str) and axes == "per-activation":
        axes = (0,)
    elif isinstance(axes, str) and axes == "spatial":
        axes = (0,) + tuple(range(2, ndim))
    elif isinstance(axes, (tuple, list, np.ndarray)) and all(isinstance(a, (numbers.Integral, np.integer))
                                                              for a in axes):
        axes = tuple(int(a) for a in axes)
    else:
        raise _build_error(ShapeError, f"{fn}: axes must be 'per-activation', 'spatial' or a tuple of ints, "
                                       f"got {axes!r}")
    if not axes or ndim == 0:
        raise _build_error(ShapeError, f"{fn}: needs at least one normalisation axis (inputs "
                                       f"{inputs.describe()}, axes {axes})")
    if len(set(axes)) != len(axes) or min(axes) < 0 or max(axes) >= ndim:
        raise _build_error(ShapeError, f"{fn}: axes {axes} are not distinct axes of the inputs "
                                       f"{inputs.describe()} (0 <= axis < {ndim})")
    axes = tuple(sorted(axes))
    return axes, tuple(a for a in range(ndim) if a not in axes)


def _float(fn, what, v):
    v = as_variable(v)
    if np.dtype(v.dtype).kind != "f":
        raise _build_error(DTypeError, f"{fn}: {what} must be float32 or float64, got {v.describe()}")
    return v


def _params(fn, inputs, axes, keep, named):
    """The parameters (name -> variable) checked for one layout (Theano's rule: gamma
    decides; the rest must follow), cast to the common dtype. Returns (dtype, full
    rank or not, {name: variable})."""
    ndim = inputs.ndim
    first = next(iter(named.values()))
    full = first.ndim == ndim
    want = ndim if full else len(keep)
    bad = [f"{k} {v.describe()}" for k, v in named.items() if v.ndim != want]
    if first.ndim not in (ndim, len(keep)) or bad:
        got = ", ".join(f"{k} {v.describe()}" for k, v in named.items())
        raise _build_error(ShapeError, f"{fn}: {' and '.join(named)} must all have the inputs' rank {ndim} "
                                       f"(length 1 on the normalised axes {axes}) or {len(keep)} (without "
                                       f"them), for inputs {inputs.describe()}; got {got}")
    dtype = np.result_type(inputs.dtype, *[v.dtype for v in named.values()]).name
    return dtype, full, {k: cast(v, dtype) for k, v in named.items()}


def _epsilon(fn, epsilon):
    if isinstance(epsilon, Variable) or not isinstance(epsilon, (numbers.Real, np.floating, np.integer)) \
            or not np.isfinite(epsilon) or epsilon < 0:
        raise _build_error(ShapeError, f"{fn}: epsilon must be a number >= 0, got {epsilon!r}")
    return float(epsilon)


def _as_bcast(fn, what, v, inputs, axes, full):
    """A parameter as a view with the inputs' rank, broadcastable on `axes` (its shape
    checked against the inputs' at each call)."""
    return NormParam(axes, full, fn, what)(v, inputs.shape)


def batch_normalization_train(inputs, gamma, beta, axes="per-activation", epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None, running_var=None):
    """Normalise `inputs` with the mean and biased variance over `axes` of this batch:
    out = (inputs - mean) * invstd * gamma + beta, invstd = 1 / sqrt(var + epsilon).

    Returns (out, mean, invstd), and with running_mean and running_var also
    (new_running_mean, new_running_var) = running * (1 - factor) + (mean, var * m / (m - 1))
    * factor, m the number of elements per statistic (Theano's unbiased running
    variance). gamma, beta and the running averages have the inputs' rank (length 1 on
    `axes`) or leave `axes` out; mean and invstd come in that layout too.
    running_average_factor may be a number or a symbolic scalar."""
    fn = "batch_normalization_train"
    inputs = _float(fn, "inputs", inputs)
    axes, keep = _prepare_axes(fn, axes, inputs)
    if (running_mean is None) != (running_var is None):
        raise _build_error(ShapeError, f"{fn}: running_mean and running_var must both be given or both be None")
    named = {"gamma": gamma, "beta": beta}
    if running_mean is not None:
        named.update(running_mean=running_mean, running_var=running_var)
    named = {k: _float(fn, k, v) for k, v in named.items()}
    eps = _epsilon(fn, epsilon)
    dtype, full, p = _params(fn, inputs, axes, keep, named)
    x = cast(inputs, dtype)
    stats_in = [x, constant(eps, dtype)]
    if running_mean is not None:
        factor = running_average_factor
        factor = cast(_float(fn, "running_average_factor", factor), dtype) if isinstance(factor, Variable) \
            else constant(float(factor), dtype)
        if factor.ndim != 0:
            raise _build_error(ShapeError, f"{fn}: running_average_factor must be a scalar, got {factor.describe()}")
        stats_in += [factor, p["running_mean"], p["running_var"]]
    stats = BatchStats(axes, running=running_mean is not None, caller=fn)(*stats_in)
    mean, _var, invstd = stats[:3]
    pattern = ["x" if a in axes else keep.index(a) for a in range(inputs.ndim)]
    gamma_b = _as_bcast(fn, "gamma", p["gamma"], x, axes, full)
    beta_b = _as_bcast(fn, "beta", p["beta"], x, axes, full)
    out = _elemwise(normalize_op(axes))(x, mean.dimshuffle(*pattern), invstd.dimshuffle(*pattern), gamma_b, beta_b)
    if full:
        mean, invstd = mean.dimshuffle(*pattern), invstd.dimshuffle(*pattern)
    return (out, mean, invstd) + tuple(stats[3:])


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation", epsilon=1e-4):
    """Normalise `inputs` with a given mean and variance (the running averages of
    training): out = (inputs - mean) * (gamma / sqrt(var + epsilon)) + beta. gamma,
    beta, mean and var have the inputs' rank (length 1 on `axes`) or leave `axes` out."""
    fn = "batch_normalization_test"
    inputs = _float(fn, "inputs", inputs)
    axes, keep = _prepare_axes(fn, axes, inputs)
    named = {k: _float(fn, k, v) for k, v in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var))}
    eps = _epsilon(fn, epsilon)
    dtype, full, p = _params(fn, inputs, axes, keep, named)
    x = cast(inputs, dtype)
    b = {k: _as_bcast(fn, k, v, x, axes, full) for k, v in p.items()}
    return (x - b["mean"]) * (b["gamma"] / sqrt(b["var"] + eps)) + b["beta"]


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """Theano 0.8's form, with the statistics given and everything broadcasting as in
    any elementwise expression: (inputs - mean) / std * gamma + beta ('low_mem') or
    (inputs - mean) * (gamma / std) + beta ('high_mem'); the same values (up to
    rounding), one fused kernel either way."""
    fn = "batch_normalization"
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"{fn}: mode must be 'low_mem' or 'high_mem', got {mode!r}")
    inputs = _float(fn, "inputs", inputs)
    gamma, beta, mean, std = (_float(fn, k, v) for k, v in
                              (("gamma", gamma), ("beta", beta), ("mean", mean), ("std", std)))
    for k, v in (("gamma", gamma), ("beta", beta), ("mean", mean), ("std", std)):
        if v.ndim > inputs.ndim:
            raise _build_error(ShapeError, f"{fn}: {k} {v.describe()} has more axes than the inputs "
                                           f"{inputs.describe()}")
    if mode == "low_mem":
        return (inputs - mean) / std * gamma + beta
    return (inputs - mean) * (gamma / std) + beta
