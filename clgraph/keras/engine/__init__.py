"""The Keras 1 engine: Layer, Input, Container/Model (training) and Merge."""
from .base_layer import Layer, Node  # noqa: F401
from .input_layer import Input, InputLayer  # noqa: F401
from .merge import Merge, merge  # noqa: F401
from .topology import Container, layer_from_config  # noqa: F401
from .training import Model  # noqa: F401
