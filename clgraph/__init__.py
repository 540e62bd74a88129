"""clgraph: Theano-style symbolic tensors and Keras-1-style models on any OpenCL device.

    import clgraph, clgraph.tensor as T
    x = T.scalar('x'); f = clgraph.function([x], 2 * x ** 2 + 5 * x); f(2)  # array(18.)
"""
__version__ = "0.1.0"

from . import cache, tensor  # noqa: F401
from .compile.function import Function, function  # noqa: F401
from .compile.inputs import In  # noqa: F401
from .custom_ops import elemwise_op  # noqa: F401
from .config import config  # noqa: F401
from .errors import (ClgraphError, DeviceError, DisconnectedInputError, DTypeError, GradientError,  # noqa: F401
                     IndexOutOfRange, InputError, KernelBuildError, MissingInputError, NanGuardError, ShapeError,
                     TemplateError, UnusedInputError)
from .gradient import grad  # noqa: F401
from .runtime.device import devices  # noqa: F401
from .shared import SharedVariable, shared  # noqa: F401
from . import gradient, printing, scalar, scan_module  # noqa: F401
from .scan_module import scan, until as scan_until  # noqa: F401


def device():
    """The OpenCL device clgraph uses (from config.device)."""
    from .runtime.device import current
    return current()
