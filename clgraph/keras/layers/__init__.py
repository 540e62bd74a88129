"""Keras 1 layers: `from clgraph.keras.layers import Dense, Dropout, Input, merge, ...`.

The core layers and the engine's Input/InputLayer/Merge are always here; the other
Keras 1 submodules (convolutional, pooling, recurrent, normalization, embeddings,
wrappers) are re-exported when they are installed in this package.
"""
import importlib
import importlib.util

from ..engine import Input, InputLayer, Layer, Merge, merge  # noqa: F401
from ..engine.merge import (Add, Average, Concatenate, Maximum, Multiply, add, average,  # noqa: F401
                            concatenate, maximum, multiply)
from .core import Activation, Dense, Dropout, Flatten, Permute, RepeatVector, Reshape  # noqa: F401
from .lambda_layer import Lambda  # noqa: F401

_OPTIONAL = ("convolutional", "pooling", "recurrent", "normalization", "embeddings", "wrappers", "noise",
             "advanced_activations", "local")


def _export(name):
    """Import the submodule (its own errors propagate) and re-export its public names."""
    module = importlib.import_module(f"{__name__}.{name}")
    names = getattr(module, "__all__", [n for n in vars(module) if n[:1].isupper()])
    globals().update({n: getattr(module, n) for n in names})


for _name in _OPTIONAL:
    if importlib.util.find_spec(f"{__name__}.{_name}") is not None:
        _export(_name)
