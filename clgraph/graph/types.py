"""TensorType and the one table that maps numpy dtypes to OpenCL C types."""
import numpy as np

from ..errors import DTypeError

__all__ = ["TensorType", "CTYPES", "ctype", "check_dtype", "is_float", "literal"]

# numpy dtype name -> OpenCL C storage type. bool is stored as one byte holding 0 or 1.
CTYPES = {
    "bool": "uchar", "int8": "char", "uint8": "uchar", "int16": "short", "uint16": "ushort",
    "int32": "int", "uint32": "uint", "int64": "long", "uint64": "ulong",
    "float32": "float", "float64": "double",
}


def check_dtype(dtype):
    """Normalise a dtype to its name, or raise naming the supported ones."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = str(dtype)
    if name not in CTYPES:
        raise DTypeError(f"dtype {name!r} is not supported by clgraph; supported: {', '.join(CTYPES)}")
    return name


def ctype(dtype):
    return CTYPES[check_dtype(dtype)]


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def literal(value, dtype):
    """A C literal of `value` in `dtype` (exact for floats: 9/17 significant digits)."""
    dtype = check_dtype(dtype)
    kind = np.dtype(dtype).kind
    if kind == "f":
        v = float(value)
        c = CTYPES[dtype]
        if np.isnan(v):
            return f"(({c})NAN)"
        if np.isinf(v):
            return f"(({c})INFINITY)" if v > 0 else f"(-({c})INFINITY)"
        text = f"{float(np.float32(v)):.9g}" if dtype == "float32" else f"{v:.17g}"
        if not any(ch in text for ch in ".e"):
            text += ".0"
        return text + "f" if dtype == "float32" else f"(({c}){text})"
    if kind == "b":
        return "1" if value else "0"
    v = int(value)
    if dtype == "int64":
        # -2**63 cannot be written as a literal: write it as an expression.
        return "((long)(-9223372036854775807L - 1L))" if v == -(2**63) else f"{v}L"
    if kind == "u":
        return f"(({CTYPES[dtype]}){v}UL)"
    return f"(({CTYPES[dtype]}){v})"


class TensorType:
    """The static type of a tensor variable: its dtype and which axes are broadcastable
    (known to have length 1). The rank is len(broadcastable)."""

    __slots__ = ("dtype", "broadcastable")

    def __init__(self, dtype, broadcastable):
        self.dtype = check_dtype(dtype)
        self.broadcastable = tuple(bool(b) for b in broadcastable)

    @property
    def ndim(self):
        return len(self.broadcastable)

    def __eq__(self, other):
        return (isinstance(other, TensorType) and self.dtype == other.dtype
                and self.broadcastable == other.broadcastable)

    def __hash__(self):
        return hash((self.dtype, self.broadcastable))

    def __call__(self, name=None):
        """`TensorType('float32', (False,))('x')` makes a variable, as in Theano."""
        from .basic import Variable
        return Variable(self, name=name)

    def __repr__(self):
        names = {0: "Scalar", 1: "Vector", 2: "Matrix"}
        return f"TensorType({self.dtype}, {names.get(self.ndim, f'{self.ndim}D')}{self.pattern()})"

    def pattern(self):
        return "(" + ", ".join("1" if b else "?" for b in self.broadcastable) + ")" if self.ndim else ""
