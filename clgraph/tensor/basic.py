"""The T.* namespace: variable constructors and thin functions over the ops."""
import numpy as np

from ..config import config
from ..graph.basic import Constant, Variable, as_variable, constant
from ..graph.types import TensorType, check_dtype
from ..ops import scalar as S
from ..ops.elemwise import Elemwise
from ..ops.reduce import Reduce
from ..ops.shape import DimShuffle, MakeVector, Shape

# -- variables ---------------------------------------------------------------------


def _maker(ndim, default_dtype=None, bcast=None):
    def make(name=None, dtype=None):
        dtype = dtype or default_dtype or config.floatX
        return Variable(TensorType(dtype, bcast if bcast is not None else (False,) * ndim), name=name)
    return make


scalar, vector, matrix = _maker(0), _maker(1), _maker(2)
tensor3, tensor4 = _maker(3), _maker(4)
row, col = _maker(2, bcast=(True, False)), _maker(2, bcast=(False, True))
for _prefix, _dtype in [("f", "float32"), ("d", "float64"), ("i", "int32"), ("l", "int64"),
                        ("b", "int8")]:
    for _kind, _nd in [("scalar", 0), ("vector", 1), ("matrix", 2), ("tensor3", 3), ("tensor4", 4)]:
        globals()[_prefix + _kind] = _maker(_nd, _dtype)
    globals()[_prefix + "row"] = _maker(2, _dtype, (True, False))
    globals()[_prefix + "col"] = _maker(2, _dtype, (False, True))


def tensor(dtype=None, broadcastable=None, name=None, ndim=None):
    """A variable of any rank: `T.tensor('float32', (False, True))` or `T.tensor(ndim=3)`."""
    if broadcastable is None:
        broadcastable = (False,) * (ndim or 0)
    return Variable(TensorType(dtype or config.floatX, broadcastable), name=name)


# -- elementwise -------------------------------------------------------------------

_ELEMWISE = {}


def _elemwise(scalar_op):
    op = _ELEMWISE.get(scalar_op)
    if op is None:
        op = _ELEMWISE[scalar_op] = Elemwise(scalar_op)
    return op


def _wrap(name):
    op = S.SCALAR_OPS[name]

    def fn(*args):
        return _elemwise(op)(*args)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (numpy semantics: broadcasting and dtype promotion)."
    return fn


add, sub, mul, true_div, floor_div, mod, pow = map(_wrap, ["add", "sub", "mul", "true_div", "floor_div",
                                                           "mod", "pow"])
neg, abs_, exp, log, log1p, expm1, sqrt, sqr = map(_wrap, ["neg", "abs", "exp", "log", "log1p", "expm1",
                                                           "sqrt", "sqr"])
sin, cos, tan, tanh, arctan, sign, floor, ceil = map(_wrap, ["sin", "cos", "tan", "tanh", "arctan", "sign",
                                                             "floor", "ceil"])
maximum, minimum, lt, le, gt, ge, eq, neq = map(_wrap, ["maximum", "minimum", "lt", "le", "gt", "ge",
                                                        "eq", "neq"])
and_, or_, xor, invert, switch, second = map(_wrap, ["and", "or", "xor", "invert", "switch", "second"])
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert
div = truediv = true_div
intdiv = floor_div
fill = second
where = switch
abs = abs_  # noqa: A001  (T.abs as in PyTensor)
less, less_equal, greater, greater_equal, equal, not_equal = lt, le, gt, ge, eq, neq


def round(x, mode="half_to_even"):  # noqa: A001
    """numpy's rounding (half to even) by default; mode='half_away_from_zero' as C."""
    if mode == "half_to_even":
        return _wrap("round")(x)
    if mode == "half_away_from_zero":
        return _wrap("round_half_away_from_zero")(x)
    raise ValueError(f"round: unknown mode {mode!r}")


def clip(x, a_min, a_max):
    return _wrap("clip")(x, a_min, a_max)


def cast(x, dtype):
    """Convert to `dtype` (numpy's astype; to bool means nonzero)."""
    x = as_variable(x)
    dtype = check_dtype(config.floatX if dtype == "floatX" else dtype)
    if x.dtype == dtype:
        return x
    return _elemwise(S.cast_op(dtype))(x)


def zeros_like(x, dtype=None):
    x = as_variable(x)
    return second(x, constant(0, dtype or x.dtype))


def ones_like(x, dtype=None):
    x = as_variable(x)
    return second(x, constant(1, dtype or x.dtype))


# -- reductions ----------------------------------------------------------------------


def _axes(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    norm = []
    for a in axes:
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"axis {a} is out of range for a variable of rank {x.ndim}")
        norm.append(a % x.ndim)
    return tuple(sorted(set(norm)))


def _reduce(kind, x, axis, keepdims, acc_dtype=None):
    x = as_variable(x)
    axes = _axes(x, axis)
    if not axes and kind in ("argmax", "argmin"):
        return zeros_like(x, "int64")
    out = Reduce(kind, axes, acc_dtype)(x) if axes or kind == "mean" and x.ndim == 0 else x
    if keepdims and axes:
        k, pattern = 0, []
        for a in range(x.ndim):
            if a in axes:
                pattern.append("x")
            else:
                pattern.append(k)
                k += 1
        out = out.dimshuffle(*pattern)
    return out


def sum(x, axis=None, keepdims=False, dtype=None):  # noqa: A001
    return _reduce("sum", x, axis, keepdims, check_dtype(dtype) if dtype else None)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("max", x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("min", x, axis, keepdims)


def mean(x, axis=None, keepdims=False, dtype=None):
    """numpy's mean (integers give float64); one pass, the division in the kernel."""
    return _reduce("mean", x, axis, keepdims, check_dtype(dtype) if dtype else None)


def prod(x, axis=None, keepdims=False, dtype=None):
    return _reduce("prod", x, axis, keepdims, check_dtype(dtype) if dtype else None)


def argmax(x, axis=None, keepdims=False):
    """Index of the first maximum: flat over all axes when axis is None, else along
    axis (with several axes, the flat index within them, in C order)."""
    return _reduce("argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _reduce("argmin", x, axis, keepdims)


def var(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """numpy's var: mean((x - mean(x))**2) (two passes, each one kernel)."""
    x = as_variable(x)
    if np.dtype(x.dtype).kind != "f":
        x = cast(x, "float64")
    centered = x - mean(x, axis, keepdims=True)
    if ddof:
        count = 1
        for a in _axes(x, axis):
            count = mul(count, x.shape[a])
        return sum(sqr(centered), axis, keepdims) / cast(sub(count, ddof), x.dtype)
    return mean(sqr(centered), axis, keepdims)


def std(x, axis=None, ddof=0, keepdims=False, corrected=False):
    return sqrt(var(x, axis, ddof, keepdims))


# -- shape ---------------------------------------------------------------------------


def shape(x):
    """x.shape: an int64 vector, known on the host before any kernel runs."""
    return Shape()(as_variable(x))


def as_shape(size):
    """A size argument (an int, a tuple of ints and int scalars, or a vector such as
    x.shape) as an int64 vector variable."""
    if isinstance(size, Variable):
        if size.ndim == 1:
            return cast(size, "int64")
        if size.ndim == 0:
            return MakeVector("int64")(cast(size, "int64"))
        raise TypeError(f"a shape must be a vector or scalars, got {size.describe()}")
    if isinstance(size, (int, np.integer)):
        size = (size,)
    size = tuple(size)
    if all(isinstance(s, (int, np.integer)) for s in size):
        return constant(np.asarray(size, dtype=np.int64).reshape(len(size)))
    return MakeVector("int64")(*[cast(as_variable(s), "int64") for s in size])


def dimshuffle(x, *pattern):
    x = as_variable(x)
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = tuple(pattern[0])
    op = DimShuffle(x.broadcastable, pattern)
    if isinstance(x, Constant):  # fold: a constant stays a constant (and a kernel literal)
        node = op.make_node(x)
        return Constant(node.outputs[0].type, op.perform(node, [x.data])[0], weak=x.weak)
    return op(x)


def transpose(x, axes=None):
    x = as_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
        axes = tuple(axes[0])
    return dimshuffle(x, *axes) if tuple(axes) != tuple(range(x.ndim)) else x


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    from ..gradient import grad as _grad
    return _grad(cost, wrt, consider_constant, disconnected_inputs)


identity = _wrap("identity")
