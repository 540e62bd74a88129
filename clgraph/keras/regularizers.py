"""Keras 1.2 regularizers: callables that turn a weight (or an activation) into a penalty.

`reg(x)` returns a scalar graph, sum(l1 * |x|) + sum(l2 * x**2), that a layer adds to the
training loss. Keras 1.2 already merged WeightRegularizer and ActivityRegularizer into one
L1L2Regularizer; the old names stay as aliases.
"""
import numpy as np

import clgraph.tensor as T

from .utils.generic_utils import get_from_module


class Regularizer:
    """Base class: no penalty."""

    def __call__(self, x):
        return T.constant(np.float32(0))

    def get_config(self):
        return {"name": type(self).__name__}


class L1L2Regularizer(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x**2), float32 coefficients as Keras' cast_to_floatx."""

    def __init__(self, l1=0., l2=0.):
        for name, value in (("l1", l1), ("l2", l2)):
            if not value >= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be >= 0, got {value!r}")
        self.l1 = np.float32(l1)
        self.l2 = np.float32(l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = T.sum(self.l1 * abs(x))
        if self.l2:
            term = T.sum(self.l2 * T.sqr(x))
            penalty = term if penalty is None else penalty + term
        return super().__call__(x) if penalty is None else penalty

    def get_config(self):
        return {"name": type(self).__name__, "l1": float(self.l1), "l2": float(self.l2)}


# Keras 1 and Keras 2 spellings of the same regularizer.
WeightRegularizer = ActivityRegularizer = L1L2 = L1L2Regularizer


def l1(l=0.01):  # noqa: E741  (Keras' argument name)
    return L1L2Regularizer(l1=l)


def l2(l=0.01):  # noqa: E741
    return L1L2Regularizer(l2=l)


def l1l2(l1=0.01, l2=0.01):
    return L1L2Regularizer(l1=l1, l2=l2)


l1_l2 = l1l2
activity_l1, activity_l2, activity_l1l2 = l1, l2, l1l2

_BY_NAME = {"l1": l1, "l2": l2, "l1l2": l1l2, "l1_l2": l1l2, "activity_l1": l1, "activity_l2": l2,
            "activity_l1l2": l1l2, "L1L2Regularizer": L1L2Regularizer, "WeightRegularizer": L1L2Regularizer,
            "ActivityRegularizer": L1L2Regularizer, "L1L2": L1L2Regularizer, "Regularizer": Regularizer}


def get(identifier, kwargs=None):
    """None -> None; a name ('l1', 'l2', 'l1l2'; default strength 0.01), a config dict
    (what get_config returns) or a callable, returned as it is."""
    if identifier is None:
        return None
    return get_from_module(identifier, _BY_NAME, "regularizer", instantiate=True, kwargs=kwargs, configs=True)
