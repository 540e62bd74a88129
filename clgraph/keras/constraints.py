"""Keras 1.2 weight constraints: callables applied to a parameter's new value after each
optimizer step (`new_p = constraint(new_p)`), as graph expressions."""
import clgraph.tensor as T

from .utils.generic_utils import get_from_module

_EPSILON = 1e-7  # Keras' K.epsilon(): keeps the division defined for an all-zero column


def _norms(p, axis):
    return T.sqrt(T.sum(T.sqr(p), axis=axis, keepdims=True))


class Constraint:
    """Base class: leaves the parameter as it is."""

    def __call__(self, p):
        return p

    def get_config(self):
        return {"name": type(self).__name__}


class MaxNorm(Constraint):
    """Rescales the slices along `axis` whose L2 norm exceeds `m` (Keras 2: max_value)."""

    def __init__(self, m=2, axis=0, max_value=None):
        self.m = m if max_value is None else max_value
        if not self.m >= 0:
            raise ValueError(f"MaxNorm: m must be >= 0, got {self.m!r}")
        self.axis = axis

    def __call__(self, p):
        norms = _norms(p, self.axis)
        desired = T.clip(norms, 0, self.m)
        return p * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"name": type(self).__name__, "m": self.m, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative entries to zero."""

    def __call__(self, p):
        return p * T.cast(p >= 0., p.dtype)


class UnitNorm(Constraint):
    """Scales the slices along `axis` to unit L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, p):
        return p / (_EPSILON + _norms(p, self.axis))

    def get_config(self):
        return {"name": type(self).__name__, "axis": self.axis}


# Keras 1 (lower case) and Keras 2 (snake case) aliases.
maxnorm = max_norm = MaxNorm
nonneg = non_neg = NonNeg
unitnorm = unit_norm = UnitNorm

_BY_NAME = {"maxnorm": MaxNorm, "max_norm": MaxNorm, "MaxNorm": MaxNorm, "nonneg": NonNeg,
            "non_neg": NonNeg, "NonNeg": NonNeg, "unitnorm": UnitNorm, "unit_norm": UnitNorm,
            "UnitNorm": UnitNorm, "Constraint": Constraint}


def get(identifier, kwargs=None):
    """None -> None; a name ('maxnorm', 'nonneg', 'unitnorm', ...), a config dict (what
    get_config returns) or a callable, returned as it is."""
    if identifier is None:
        return None
    return get_from_module(identifier, _BY_NAME, "constraint", instantiate=True, kwargs=kwargs, configs=True)
