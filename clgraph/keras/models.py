"""Keras 1 models: Sequential (a linear stack of layers), Model (any graph of layers),
model_from_json and load_model."""
import numpy as np

from .engine.base_layer import Layer, layer_label
from .engine.input_layer import Input
from .engine.saving import load_model, model_from_config, model_from_json  # noqa: F401
from .engine.topology import layer_from_config
from .engine.training import Model

__all__ = ["Sequential", "Model", "model_from_json", "model_from_config", "load_model"]


class Sequential(Model):
    """model = Sequential(); model.add(Dense(64, input_dim=20)); ... The first layer
    needs input_dim / input_shape / batch_input_shape."""

    def __init__(self, layers=None, name=None):
        Layer.__init__(self, name=name)
        self._stack, self._stack_outputs = [], []
        self.inputs, self.outputs, self._nodes, self._layers = [], [], [], []
        self.input_names, self.output_names, self.input_layers, self.output_layers = [], [], [], []
        self.built = False
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        """Append a layer (or a model) and connect it to the previous one."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{layer_label(self)}.add: expected a Layer instance, got {layer!r}")
        if not self._stack:
            shape = layer.batch_input_shape
            if shape is None:
                raise ValueError(f"{layer_label(self)}: the first layer ({layer_label(layer)}) needs an input shape: "
                                 "pass input_dim=..., input_shape=... or batch_input_shape=...")
            prefix = type(layer).__name__.lower() + "_input"
            from . import backend as K
            x = Input(batch_shape=shape, dtype=layer.input_dtype, name=f"{prefix}_{K.get_uid(prefix)}")
        else:
            x = self._stack_outputs[-1]
        out = layer(x)
        if isinstance(out, list):
            raise ValueError(f"{layer_label(self)}: {layer_label(layer)} has {len(out)} outputs; a Sequential layer "
                             "must have one")
        self._stack.append(layer)
        self._stack_outputs.append(out)
        self._rebuild()

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError(f"{layer_label(self)}: there are no layers to pop")
        self._stack.pop()
        self._stack_outputs.pop()
        self._rebuild()

    def _rebuild(self):
        if self._stack:
            self._init_graph([self._input_of_first()], [self._stack_outputs[-1]])
        else:
            self.inputs, self.outputs, self._nodes, self._layers = [], [], [], []
        self._compiled = False
        self._reset_functions()

    def _input_of_first(self):
        out = self._stack_outputs[0]
        layer, node_index, _ = out._keras_history
        return layer.inbound_nodes[node_index].input_tensors[0]

    def get_config(self):
        return [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in self._stack]

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config, dict):  # Keras 2: {'name': ..., 'layers': [...]}
            name, config = config.get("name"), config["layers"]
        else:
            name = None
        model = cls(name=name)
        for conf in config:
            model.add(layer_from_config(conf, custom_objects))
        return model

    def predict_proba(self, x, batch_size=32, verbose=0):
        """predict(); warns (as Keras 1) when the outputs are not probabilities."""
        preds = self.predict(x, batch_size, verbose)
        if preds.min() < 0. or preds.max() > 1.:
            import warnings
            warnings.warn("Network returning invalid probability values. The last layer might not normalize "
                          "predictions into probabilities (like softmax or sigmoid would).", stacklevel=2)
        return preds

    def predict_classes(self, x, batch_size=32, verbose=0):
        """argmax of predict() for several units; (prediction > 0.5) for one unit."""
        proba = self.predict(x, batch_size, verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype(np.int32)
