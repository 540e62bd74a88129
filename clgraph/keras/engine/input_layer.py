"""InputLayer and Input(): where a model's graph starts (a placeholder variable)."""
import clgraph.tensor as T

from .. import backend as K
from .base_layer import Layer, Node

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    """Holds one placeholder of shape batch_input_shape (None for the batch axis)."""

    def __init__(self, input_shape=None, batch_input_shape=None, input_dtype=None, name=None, sparse=False,
                 batch_size=None, dtype=None):
        if not name:
            name = f"input_{K.get_uid('input')}"
        if batch_input_shape is None and input_shape is None:
            raise ValueError(f"InputLayer '{name}': give input_shape or batch_input_shape")
        if sparse:
            raise ValueError(f"InputLayer '{name}': sparse inputs are not supported")
        super().__init__(name=name, input_shape=input_shape, batch_input_shape=batch_input_shape,
                         input_dtype=input_dtype or dtype, batch_size=batch_size)
        self.trainable = False
        self.built = True
        var = T.tensor(self.input_dtype, (False,) * len(self.batch_input_shape), name=self.name)
        var._keras_shape = self.batch_input_shape
        var._keras_history = (self, 0, 0)
        var._keras_mask = None
        self.inbound_nodes.append(Node(self, [], [], [var], [], [self.batch_input_shape]))

    def get_config(self):
        return {"batch_input_shape": list(self.batch_input_shape), "input_dtype": self.input_dtype,
                "sparse": False, "name": self.name}


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False, tensor=None):
    """A Keras tensor for a model input: `x = Input(shape=(20,))` (batch axis left out)."""
    if tensor is not None:
        raise ValueError("Input: the tensor= argument is not supported")
    if shape is None and batch_shape is None:
        raise ValueError("Input: give shape (without the batch axis), e.g. Input(shape=(20,)), or batch_shape")
    layer = InputLayer(input_shape=tuple(shape) if shape is not None else None,
                       batch_input_shape=tuple(batch_shape) if batch_shape is not None else None,
                       name=name, input_dtype=dtype or K.floatx(), sparse=sparse)
    return layer.inbound_nodes[0].output_tensors[0]
