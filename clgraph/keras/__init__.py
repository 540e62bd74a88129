"""clgraph.keras: the Keras 1 layer API on top of clgraph's symbolic layer.

    from clgraph.keras.models import Sequential
    from clgraph.keras.layers.core import Dense, Dropout
    from clgraph.keras.optimizers import SGD

Every layer is built from clgraph.tensor expressions; a model's training step (forward,
loss, gradient, optimizer updates) is one compiled clgraph function, and its data live
in shared variables on the device.
"""
__version__ = "1.2.2"

from . import activations, backend, initializations, metrics, objectives  # noqa: F401,E402
from . import engine, layers, models  # noqa: F401,E402
from . import callbacks, constraints, optimizers, regularizers  # noqa: F401,E402
from . import initializers, losses  # noqa: F401,E402
from .utils import np_utils  # noqa: F401,E402
