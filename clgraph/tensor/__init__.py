"""clgraph.tensor: the Theano-style T namespace."""
from . import basic, nnet  # noqa: F401
from .basic import *  # noqa: F401,F403
from .basic import (abs, abs_, add, and_, arctan, bitwise_and, bitwise_not, bitwise_or,  # noqa: F401
                    bitwise_xor, cast, ceil, clip, col, cos, dimshuffle, div, eq, exp, expm1, fill,
                    floor, floor_div, ge, grad, gt, intdiv, invert, le, log, log1p, lt, matrix, max,
                    maximum, min, minimum, mod, mul, neg, neq, ones_like, or_, pow, round, row, scalar,
                    second, sign, sin, sqr, sqrt, sub, sum, switch, tan, tanh, tensor, tensor3, tensor4,
                    transpose, true_div, vector, where, xor, zeros_like, mean, prod, argmax, argmin,
                    var, std, shape, as_shape, identity)
from .shape import alloc, arange, concatenate, eye, flatten, ones, reshape, stack, zeros  # noqa: F401
from .subtensor import inc_subtensor, set_subtensor  # noqa: F401
from ..graph.types import TensorType  # noqa: F401
from ..graph.basic import Variable as TensorVariable, constant  # noqa: F401
from . import random  # noqa: F401,E402  (T.random.RandomStreams)
from . import signal  # noqa: F401,E402  (T.signal.pool.pool_2d)
from .blas import batched_dot, dot, outer  # noqa: E402,F401
from .compositions import (addbroadcast, allclose, as_tensor_variable, cosh, cumprod, cumsum, int_div,  # noqa: E402,F401
                           isclose, isinf, isnan, join, largest, patternbroadcast, repeat, roll, sgn, shape_padaxis,
                           shape_padleft, shape_padright, sinh, smallest, tensordot, tile, unbroadcast)
from ..gradient import hessian, jacobian  # noqa: E402,F401


def __getattr__(name):
    """A Theano name clgraph deliberately does not offer: an error that says so and
    names the alternative (instead of an AttributeError deep inside user code)."""
    from .compositions import unavailable
    err = unavailable(name)
    if err is not None:
        raise err
    raise AttributeError(f"module 'clgraph.tensor' has no attribute {name!r}")
