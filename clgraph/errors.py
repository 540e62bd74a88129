"""The exceptions a user can see. Each message starts with what went wrong in the user's
terms (op, shapes, dtypes) and ends with the user's file:line that built the node."""

__all__ = [
    "ClgraphError", "DTypeError", "ShapeError", "IndexOutOfRange", "InputError", "MissingInputError",
    "UnusedInputError", "GradientError", "DisconnectedInputError", "DeviceError",
    "KernelBuildError", "TemplateError", "NanGuardError", "node_message",
]


class ClgraphError(Exception):
    """Base class of every error clgraph raises on purpose."""


class DTypeError(ClgraphError, TypeError):
    """An operation got a dtype it does not support, or a lossy cast was needed."""


class ShapeError(ClgraphError, ValueError):
    """Shapes that do not fit together (found when building or when running)."""


class IndexOutOfRange(ClgraphError, IndexError):
    """An index outside the axis it indexes (checked before reading anything)."""


class InputError(ClgraphError, TypeError):
    """A compiled function was called with the wrong number or kind of arguments."""


class MissingInputError(ClgraphError, ValueError):
    """The graph needs a variable that is neither an input, shared, nor constant."""


class UnusedInputError(ClgraphError, ValueError):
    """An input given to `function` is not used by any output or update."""


class GradientError(ClgraphError, ValueError):
    """`grad` was asked for something that has no gradient (non-scalar cost, ...)."""


class DisconnectedInputError(GradientError):
    """The cost does not depend on a variable `grad` was asked about."""


class DeviceError(ClgraphError, RuntimeError):
    """No usable OpenCL device, an unknown device string, or a missing capability."""


class KernelBuildError(ClgraphError, RuntimeError):
    """The OpenCL compiler rejected a rendered kernel."""


class TemplateError(ClgraphError, RuntimeError):
    """A Mako template failed to render (message quotes template:line)."""


class NanGuardError(ClgraphError, FloatingPointError):
    """The NaN guard (mode='NanGuard', config.nan_guard) found NaN or Inf in the result
    of a kernel; the message names the kernel, the op and the user's line."""


def node_message(node, message):
    """`message` followed by where the user created `node` (an Apply or a Variable)."""
    trace = getattr(node, "trace", None)
    if trace is None and getattr(node, "owner", None) is not None:
        trace = node.owner.trace
    if trace is None:
        return message
    return f"{message}\n  {trace}"
