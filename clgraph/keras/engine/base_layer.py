"""Layer: the Keras 1 base class, and Node, the record of one call of a layer.

A layer subclass implements
    build(input_shape)                 create weights with self.add_weight(...)
    call(x, mask=None)                 the symbolic computation (x: a tensor or a list)
    get_output_shape_for(input_shape)  shapes with None for the batch axis
                                       (Keras 2's compute_output_shape works too)
    get_config()                       the constructor arguments, JSON-compatible
and may use K.in_train_phase(train_value, test_value) (decided when the graph is built)
and self.add_update([(shared, expr)]) for state changed by training.

Calling a layer on a Keras tensor (Input() or another layer's output) builds it,
computes its output in the test phase, records a Node and marks the output with
`_keras_shape` and `_keras_history = (layer, node_index, tensor_index)`. A model re-runs
these nodes to build its training graph (training phase) and its inference graph.
"""
import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.config import config

from .. import backend as K
from .. import constraints as constraints_module
from .. import regularizers as regularizers_module

__all__ = ["Layer", "Node", "LAYERS", "to_list", "layer_label", "keras2_kwargs"]

LAYERS = {}  # class name -> Layer subclass, for model_from_json (no code is ever evaluated)


def to_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def layer_label(layer):
    """"Dense 'dense_1'", for messages."""
    return f"{type(layer).__name__} '{layer.name}'"


def keras2_kwargs(owner, kwargs, renames):
    """Move Keras 2 argument names to their Keras 1 names ({'units': 'output_dim', ...}),
    refusing both spellings at once."""
    for new, old in renames.items():
        if new in kwargs:
            if old in kwargs:
                raise TypeError(f"{owner}: give {old} or {new} (its Keras 2 name), not both")
            kwargs[old] = kwargs.pop(new)
    return kwargs


def _camel_to_prefix(name):
    return name.lower()


class Node:
    """One call of `layer`: the Keras tensors that went in (by their history) and came out."""

    def __init__(self, layer, inbound, input_tensors, output_tensors, input_shapes, output_shapes,
                 list_input=False):
        self.layer = layer
        self.list_input = list_input        # the layer was called on a list of tensors
        self.inbound = inbound              # [(layer, node_index, tensor_index)] per input
        self.input_tensors = input_tensors
        self.output_tensors = output_tensors
        self.input_shapes = input_shapes
        self.output_shapes = output_shapes


class Layer:
    """Keras 1 Layer. Keyword arguments every layer takes: name, trainable, weights
    (initial values), input_shape / input_dim / batch_input_shape / batch_size (for a
    first layer) and input_dtype (Keras 2: dtype)."""

    _common_kwargs = {"input_shape", "input_dim", "batch_input_shape", "batch_size", "input_dtype", "dtype",
                      "name", "trainable", "weights", "input_length"}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            LAYERS[cls.__name__] = cls

    def __init__(self, **kwargs):
        for key in kwargs:
            if key not in self._common_kwargs:
                raise TypeError(f"{type(self).__name__}: keyword argument not understood: {key!r}")
        name = kwargs.get("name")
        if not name:
            prefix = _camel_to_prefix(type(self).__name__)
            name = f"{prefix}_{K.get_uid(prefix)}"
        self.name = name
        self.trainable = kwargs.get("trainable", True)
        self.built = False
        self.supports_masking = getattr(self, "supports_masking", False)
        self.trainable_weights, self.non_trainable_weights = [], []
        self.regularizers = []          # [(regularizer, weight)]
        self.constraints = {}           # {weight: constraint}
        self.activity_regularizer = getattr(self, "activity_regularizer", None)
        self.updates = []
        self.inbound_nodes, self.outbound_nodes = [], []
        self.initial_weights = kwargs.get("weights")
        self.batch_input_shape = _batch_input_shape(self, kwargs)
        self.input_dtype = kwargs.get("input_dtype") or kwargs.get("dtype") or config.floatX

    # -- weights ---------------------------------------------------------------------------
    def add_weight(self, shape, initializer, name=None, trainable=True, regularizer=None, constraint=None):
        """A new floatX shared weight, initialised by `initializer(shape, name=...)`."""
        from .. import initializations
        init = initializations.get(initializer)
        full_name = f"{self.name}_{name}" if name else f"{self.name}_param_{len(self.weights)}"
        value = init(tuple(int(s) for s in shape), name=full_name)
        if not isinstance(value, clgraph.SharedVariable):
            value = K.variable(value, name=full_name)
        if value.dtype != K.floatx():
            value = K.variable(value.get_value(), name=full_name)
        (self.trainable_weights if trainable else self.non_trainable_weights).append(value)
        regularizer = regularizers_module.get(regularizer)
        if regularizer is not None:
            self.regularizers.append((regularizer, value))
        constraint = constraints_module.get(constraint)
        if constraint is not None:
            self.constraints[value] = constraint
        return value

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    def get_weights(self):
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        """Set every weight from a list of arrays with the weights' shapes (checked first)."""
        params = self.weights
        K.set_values(params, weights,
                     lambda n: f"{layer_label(self)}: set_weights got a list of {n} arrays, the layer has "
                               f"{len(params)} weights (shapes {[w.get_value().shape for w in params]})",
                     lambda p, expected, got: f"{layer_label(self)}: weight {p.name!r} has shape {expected}, got "
                                              f"an array of shape {got}")

    def count_params(self):
        return int(sum(np.prod(w.get_value().shape) for w in self.weights))

    def weight_penalty(self):
        """The sum of the weight regularizers' penalties (None if there are none)."""
        terms = [reg(w) for reg, w in self.regularizers]
        return sum(terms[1:], terms[0]) if terms else None

    def add_update(self, updates, inputs=None):
        K.add_update(list(updates))

    # -- what subclasses implement ----------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, x, mask=None):
        return x

    def get_output_shape_for(self, input_shape):
        return input_shape

    def compute_output_shape(self, input_shape):
        return self.get_output_shape_for(input_shape)

    def compute_mask(self, x, mask=None):
        if mask is None or all(m is None for m in to_list(mask)):
            return None
        if not self.supports_masking:
            raise TypeError(f"{layer_label(self)} does not support masking, but was passed an input mask")
        return mask

    def assert_input_compatibility(self, input_shape):
        """Raise a ValueError naming the layer when `input_shape` cannot be its input."""

    def get_config(self):
        config_ = {"name": self.name, "trainable": self.trainable}
        if self.batch_input_shape is not None:
            config_["batch_input_shape"] = list(self.batch_input_shape)
            config_["input_dtype"] = self.input_dtype
        return config_

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)

    # -- calling on Keras tensors -----------------------------------------------------------
    def __call__(self, x, mask=None):
        inputs = to_list(x)
        for t in inputs:
            if not isinstance(t, T.TensorVariable) or getattr(t, "_keras_history", None) is None:
                raise TypeError(f"{layer_label(self)} was called on {t!r}, which is not a Keras tensor; call "
                                "layers on the output of Input() or of another layer")
        shapes = [t._keras_shape for t in inputs]
        masks = to_list(mask) if mask is not None else [getattr(t, "_keras_mask", None) for t in inputs]
        shape_in = shapes if isinstance(x, (list, tuple)) else shapes[0]
        mask_in = masks if isinstance(x, (list, tuple)) else masks[0]
        if not self.built:
            self.assert_input_compatibility(shape_in)
            self.build(shape_in)
            self.built = True
            if self.initial_weights is not None:
                self.set_weights(self.initial_weights)
                self.initial_weights = None
        self.assert_input_compatibility(shape_in)
        with K.learning_phase_scope(0):
            outputs = self.call(x if isinstance(x, (list, tuple)) else inputs[0], mask_in)
            out_masks = self.compute_mask(x if isinstance(x, (list, tuple)) else inputs[0], mask_in)
        out_shapes = self.compute_output_shape(shape_in)
        single = not isinstance(outputs, (list, tuple))
        outputs, out_masks = to_list(outputs), to_list(out_masks) if out_masks is not None else [None] * (
            1 if single else len(outputs))
        out_shapes = [out_shapes] if single else list(out_shapes)
        # an output that *is* an input (a test-phase Dropout) needs its own variable,
        # or its history would overwrite the input's
        outputs = [T.identity(o) if any(o is t for t in inputs) else o for o in outputs]
        node_index = len(self.inbound_nodes)
        node = Node(self, [t._keras_history for t in inputs], inputs, outputs, shapes,
                    [tuple(s) for s in out_shapes], isinstance(x, (list, tuple)))
        self.inbound_nodes.append(node)
        for t in inputs:
            t._keras_history[0].outbound_nodes.append(node)
        for k, (out, shape, m) in enumerate(zip(outputs, out_shapes, out_masks)):
            out._keras_shape = tuple(shape)
            out._keras_history = (self, node_index, k)
            out._keras_mask = m
        return outputs[0] if single else outputs

    # -- Keras 1 accessors --------------------------------------------------------------------
    def _node(self, index, what):
        if not self.inbound_nodes:
            raise AttributeError(f"{layer_label(self)} has no {what}: it has not been called yet")
        return self.inbound_nodes[index]

    @property
    def input(self):
        t = self._node(0, "input").input_tensors
        return t[0] if len(t) == 1 else t

    @property
    def output(self):
        t = self._node(0, "output").output_tensors
        return t[0] if len(t) == 1 else t

    @property
    def input_shape(self):
        s = self._node(0, "input shape").input_shapes
        return s[0] if len(s) == 1 else s

    @property
    def output_shape(self):
        s = self._node(0, "output shape").output_shapes
        return s[0] if len(s) == 1 else s

    def get_output_at(self, index):
        t = self._node(index, "output").output_tensors
        return t[0] if len(t) == 1 else t

    def get_input_at(self, index):
        t = self._node(index, "input").input_tensors
        return t[0] if len(t) == 1 else t

    def __repr__(self):
        return f"<{layer_label(self)}>"


def _batch_input_shape(layer, kwargs):
    """(None, ...) from batch_input_shape, input_shape (+ batch_size) or input_dim."""
    if kwargs.get("batch_input_shape") is not None:
        shape = tuple(kwargs["batch_input_shape"])
    elif kwargs.get("input_shape") is not None:
        shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
    elif kwargs.get("input_dim") is not None:
        if kwargs.get("input_length") is not None:
            shape = (kwargs.get("batch_size"), kwargs["input_length"], kwargs["input_dim"])
        else:
            shape = (kwargs.get("batch_size"), kwargs["input_dim"])
    else:
        return None
    for s in shape[1:]:
        if s is not None and (not isinstance(s, (int, np.integer)) or s < 0):
            raise ValueError(f"{layer_label(layer)}: input shape {shape[1:]} must hold non-negative ints or None")
    return tuple(None if s is None else int(s) for s in shape)
