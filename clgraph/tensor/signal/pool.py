"""clgraph.tensor.signal.pool: Theano's pool_2d (0.9/1.0 argument names, 0.9's
ds/st/padding too) over the last two axes of a tensor of any rank >= 2."""
from ...graph.basic import as_variable
from ...ops.nnet import _build_error
from ...ops.pool import MODES, MaxPoolGradGrad, Pool, PoolGrad, pool_out_len  # noqa: F401

__all__ = ["pool_2d", "Pool", "PoolGrad", "MaxPoolGradGrad", "MODES"]


def _renamed(new, value, old, old_value, unset=None):
    """The value of an argument that Theano 0.9 spelled `old`; both given is an error."""
    if old_value is None:
        return value
    if value is not unset and value != unset:
        raise _build_error(ValueError, f"pool_2d: give {new} or its old name {old}, not both "
                                       f"({new}={value!r}, {old}={old_value!r})")
    return old_value


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max", ds=None, st=None,
            padding=None):
    """Pool every (ws[0], ws[1]) window of the last two axes: mode 'max', 'sum',
    'average_inc_pad' (padded cells count) or 'average_exc_pad' (only real cells).

    stride defaults to ws; pad (ph, pw) zeros on each side needs ignore_border=True and
    pad < ws. ignore_border=False keeps the partial windows at the end (Theano's output
    size); None means False, as Theano chose (it warned that the default would change),
    so that old code that leaves it out gets the shapes it always had. 'max_deterministic' is 'max', as in Theano."""
    old_names = [f"{o} is now called {n}" for o, n, v in (("ds", "ws", ds), ("st", "stride", st),
                                                             ("padding", "pad", padding)) if v is not None]
    ws = _renamed("ws", ws, "ds", ds)
    stride = _renamed("stride", stride, "st", st)
    pad = _renamed("pad", pad, "padding", padding, unset=(0, 0))
    if old_names:
        import warnings
        warnings.warn(f"pool_2d: {', '.join(old_names)} (as in Theano 0.9); the old names still work",
                      DeprecationWarning, stacklevel=2)
    if ws is None:
        raise _build_error(ValueError, "pool_2d: the window size ws (a pair of ints) is required")
    if mode == "max_deterministic":
        mode = "max"
    op = Pool(ws, stride, (0, 0) if pad is None else pad, bool(ignore_border), mode)
    return op(as_variable(input))
