"""Keras 1 layer wrappers: TimeDistributed(layer) and Bidirectional(layer, merge_mode).

TimeDistributed applies its layer to every time step at once: the input (samples,
timesteps, ...) is reshaped to (samples * timesteps, ...), the layer runs once (a
TimeDistributed(Dense) is one GEMM with its bias and activation in the epilogue) and
the result is reshaped back. Bidirectional runs a recurrent layer forwards and a copy
of it with go_backwards flipped, puts the backward outputs back in time order when it
returns sequences, and merges the two ('concat', 'sum', 'mul', 'ave', or None for a list).
The wrappers own their inner layers' weights (forward ones first for Bidirectional),
so summary(), get_weights and saving see them.
"""
import clgraph.tensor as T

from ..engine.base_layer import Layer, layer_label
from ..engine.topology import layer_from_config
from .core import _shape_str

__all__ = ["Wrapper", "TimeDistributed", "Bidirectional"]


class Wrapper(Layer):
    """A layer around another one: its weights, regularizers, constraints and config."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"{type(self).__name__}: expected a Layer instance to wrap, got {layer!r}")
        self.layer = layer
        super().__init__(**kwargs)
        if self.batch_input_shape is None and layer.batch_input_shape is not None:
            self.batch_input_shape = layer.batch_input_shape
            self.input_dtype = layer.input_dtype

    def _build_inner(self, layer, input_shape):
        if not layer.built:
            layer.assert_input_compatibility(input_shape)
            layer.build(input_shape)
            layer.built = True
            if layer.initial_weights is not None:
                layer.set_weights(layer.initial_weights)
                layer.initial_weights = None
        layer.assert_input_compatibility(input_shape)

    def _adopt(self, *layers):
        self.trainable_weights = [w for la in layers for w in la.trainable_weights]
        self.non_trainable_weights = [w for la in layers for w in la.non_trainable_weights]
        self.regularizers = [r for la in layers for r in la.regularizers]
        self.constraints = {w: c for la in layers for w, c in la.constraints.items()}

    def get_config(self):
        return dict(super().get_config(), layer={"class_name": type(self.layer).__name__,
                                                 "config": self.layer.get_config()})

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = layer_from_config(config.pop("layer"))
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Apply `layer` to every temporal slice of the input: TimeDistributed(Dense(8)) on
    (samples, timesteps, features) gives (samples, timesteps, 8). Masks pass through."""

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    @staticmethod
    def _inner_shape(input_shape):
        return (None if input_shape[0] is None or input_shape[1] is None else input_shape[0] * input_shape[1],) + \
            tuple(input_shape[2:])

    def assert_input_compatibility(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 3:
            raise ValueError(f"{layer_label(self)}: expected an input of rank >= 3 (samples, timesteps, ...), got "
                             f"shape {input_shape if not isinstance(input_shape, tuple) else _shape_str(input_shape)}")

    def build(self, input_shape):
        self._build_inner(self.layer, self._inner_shape(input_shape))
        self._rest = tuple(input_shape[2:])
        self._adopt(self.layer)
        self.built = True

    def get_output_shape_for(self, input_shape):
        child = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1]) + tuple(child[1:])

    def call(self, x, mask=None):
        batch, steps = x.shape[0], x.shape[1]
        known = getattr(self, "_rest", None)
        if known is not None and all(s is not None for s in known):
            # -1 for samples * timesteps: the reshape of a minibatch slice stays replayable
            flat = T.reshape(x, (-1,) + tuple(known), ndim=x.ndim - 1)
        else:
            rest = [x.shape[k] for k in range(2, x.ndim)]
            flat = T.reshape(x, tuple([batch * steps] + rest), ndim=x.ndim - 1)
        y = self.layer.call(flat)
        shape = [batch, steps] + [y.shape[k] for k in range(1, y.ndim)]
        return T.reshape(y, tuple(shape), ndim=y.ndim + 1)


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Wrapper):
    """Bidirectional(LSTM(16, return_sequences=True), merge_mode='concat'): the layer
    runs forwards and (a copy, go_backwards flipped) backwards over the input."""

    def __init__(self, layer, merge_mode="concat", weights=None, **kwargs):
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of 'concat', 'sum', 'mul', 'ave' or None, got "
                             f"{merge_mode!r}")
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise TypeError(f"Bidirectional: expected a recurrent layer (SimpleRNN, GRU, LSTM), got {layer!r}")
        super().__init__(layer, weights=weights, **kwargs)
        config = layer.get_config()
        config.pop("batch_input_shape", None)
        config.pop("input_dtype", None)
        config["input_dim"] = config["input_length"] = None
        self.forward_layer = type(layer).from_config(dict(config, name="forward_" + layer.name))
        self.backward_layer = type(layer).from_config(dict(config, name="backward_" + layer.name,
                                                           go_backwards=not layer.go_backwards))
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.stateful = layer.stateful
        self.supports_masking = True

    def build(self, input_shape):
        self.forward_layer.batch_input_shape = self.backward_layer.batch_input_shape = \
            self.batch_input_shape or input_shape
        for layer in (self.forward_layer, self.backward_layer):
            self._build_inner(layer, input_shape)
        self._adopt(self.forward_layer, self.backward_layer)
        self.built = True

    def assert_input_compatibility(self, input_shape):
        self.forward_layer.assert_input_compatibility(input_shape)

    def get_output_shape_for(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return tuple(shape[:-1]) + (2 * shape[-1],)
        if self.merge_mode is None:
            return [shape, shape]
        return shape

    def compute_mask(self, x, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        return [out, out] if self.merge_mode is None else out

    def call(self, x, mask=None):
        y = self.forward_layer.call(x, mask)
        y_rev = self.backward_layer.call(x, mask)
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        if self.merge_mode == "concat":
            return T.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "mul":
            return y * y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2.
        return [y, y_rev]

    def reset_states(self):
        for layer in (self.forward_layer, self.backward_layer):
            layer.reset_states()

    def get_config(self):
        return dict(super().get_config(), merge_mode=self.merge_mode)

