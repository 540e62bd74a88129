"""Run scripts written for Theano and Keras 1 with only their import names changed:
`theano` and `keras` are installed as aliases of clgraph's modules for the test that
runs them (and removed afterwards)."""
import importlib
import runpy
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent / "scripts"

ALIASES = {
    "theano": "clgraph",
    "theano.tensor": "clgraph.tensor",
    "theano.tensor.nnet": "clgraph.tensor.nnet",
    "theano.tensor.nnet.conv": "clgraph.tensor.nnet.conv",
    "theano.tensor.signal": "clgraph.tensor.signal",
    "theano.tensor.signal.pool": "clgraph.tensor.signal.pool",
    "theano.tensor.signal.downsample": "clgraph.tensor.signal.downsample",
    "theano.tensor.shared_randomstreams": "clgraph.tensor.shared_randomstreams",
    "theano.sandbox": "clgraph.sandbox",
    "theano.sandbox.rng_mrg": "clgraph.sandbox.rng_mrg",
    "theano.printing": "clgraph.printing",
    "keras": "clgraph.keras",
    "keras.models": "clgraph.keras.models",
    "keras.layers": "clgraph.keras.layers",
    "keras.layers.core": "clgraph.keras.layers.core",
    "keras.layers.recurrent": "clgraph.keras.layers.recurrent",
    "keras.layers.embeddings": "clgraph.keras.layers.embeddings",
    "keras.layers.convolutional": "clgraph.keras.layers.convolutional",
    "keras.layers.pooling": "clgraph.keras.layers.pooling",
    "keras.layers.wrappers": "clgraph.keras.layers.wrappers",
    "keras.optimizers": "clgraph.keras.optimizers",
    "keras.utils": "clgraph.keras.utils",
    "keras.utils.np_utils": "clgraph.keras.utils.np_utils",
    "keras.preprocessing": "clgraph.keras.preprocessing",
    "keras.preprocessing.sequence": "clgraph.keras.preprocessing.sequence",
    "keras.preprocessing.text": "clgraph.keras.preprocessing.text",
    "keras.backend": "clgraph.keras.backend",
    "keras.callbacks": "clgraph.keras.callbacks",
}


@pytest.fixture
def run_script():
    """run_script(name, **globals) -> the script's globals, with the aliases installed."""
    saved = {name: sys.modules.get(name) for name in ALIASES}

    def run(name, **init_globals):
        for alias, target in ALIASES.items():
            sys.modules[alias] = importlib.import_module(target)
        return runpy.run_path(str(SCRIPTS / name), init_globals=init_globals, run_name="__main__")
    yield run
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module
