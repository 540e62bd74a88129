"""clgraph.scalar: the dtype helpers of Theano's `theano.scalar` that user code calls."""
import numpy as np

from .config import config

__all__ = ["upcast"]


def upcast(dtype, *dtypes):
    """The dtype numpy gives a result of these dtypes ('floatX' is config.floatX):
    upcast('float32', 'int64') == 'float64', upcast('int8', 'int16') == 'int16'."""
    names = [config.floatX if d == "floatX" else d for d in (dtype,) + dtypes]
    return np.result_type(*[np.dtype(d) for d in names]).name
