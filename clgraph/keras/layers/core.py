"""Keras 1 core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Masking."""
import numpy as np

import clgraph.tensor as T

from .. import activations, constraints, initializations, regularizers
from .. import backend as K
from ..engine.base_layer import Layer, layer_label

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Masking"]


def _pick(owner, old_name, old_value, new_name, kwargs, default):
    """The Keras 1 argument, or its Keras 2 spelling from kwargs, or the default."""
    if new_name in kwargs:
        if old_value is not None:
            raise TypeError(f"{owner}: give {old_name} or {new_name} (its Keras 2 name), not both")
        return kwargs.pop(new_name)
    return default if old_value is None else old_value


def _config_of(obj):
    return None if obj is None else obj.get_config()


def _shape_str(shape):
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


class Dense(Layer):
    """output = activation(dot(input, W) + b); W has shape (input_dim, output_dim).

    Keras 1: Dense(output_dim, init='glorot_uniform', activation=None, weights=None,
    W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint,
    bias=True, input_dim=None). Keras 2 names: units, kernel_initializer,
    bias_initializer, use_bias, kernel_/bias_regularizer, kernel_/bias_constraint."""

    def __init__(self, output_dim=None, init=None, activation=None, weights=None, W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None, b_constraint=None, bias=None,
                 input_dim=None, **kwargs):
        owner = "Dense"
        output_dim = _pick(owner, "output_dim", output_dim, "units", kwargs, None)
        init = _pick(owner, "init", init, "kernel_initializer", kwargs, "glorot_uniform")
        bias_init = kwargs.pop("bias_initializer", "zero")
        bias = _pick(owner, "bias", bias, "use_bias", kwargs, True)
        W_regularizer = _pick(owner, "W_regularizer", W_regularizer, "kernel_regularizer", kwargs, None)
        b_regularizer = _pick(owner, "b_regularizer", b_regularizer, "bias_regularizer", kwargs, None)
        W_constraint = _pick(owner, "W_constraint", W_constraint, "kernel_constraint", kwargs, None)
        b_constraint = _pick(owner, "b_constraint", b_constraint, "bias_constraint", kwargs, None)
        if input_dim is not None:
            kwargs["input_dim"] = input_dim
        super().__init__(weights=weights, **kwargs)
        if isinstance(output_dim, bool) or not isinstance(output_dim, (int, np.integer)) or output_dim < 1:
            raise ValueError(f"{layer_label(self)}: output_dim (units) must be a positive integer, got {output_dim!r}")
        self.output_dim = int(output_dim)
        self.input_dim = input_dim
        self.init = self._lookup(initializations.get, init, "init")
        self.bias_init = self._lookup(initializations.get, bias_init, "bias_initializer")
        self.activation = self._lookup(activations.get, activation, "activation")
        self.bias = bool(bias)
        self.W_regularizer = self._lookup(regularizers.get, W_regularizer, "W_regularizer")
        self.b_regularizer = self._lookup(regularizers.get, b_regularizer, "b_regularizer")
        self.activity_regularizer = self._lookup(regularizers.get, activity_regularizer, "activity_regularizer")
        self.W_constraint = self._lookup(constraints.get, W_constraint, "W_constraint")
        self.b_constraint = self._lookup(constraints.get, b_constraint, "b_constraint")

    def _lookup(self, get, value, argument):
        try:
            return get(value)
        except ValueError as exc:
            raise ValueError(f"{layer_label(self)}: argument {argument}: {exc}") from None

    def assert_input_compatibility(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 2:
            raise ValueError(f"{layer_label(self)}: expected an input of rank >= 2 (samples, features), got shape "
                             f"{input_shape}")
        if input_shape[-1] is None:
            raise ValueError(f"{layer_label(self)}: the last axis of the input must have a known size, got shape "
                             f"{_shape_str(input_shape)}")
        if self.built and input_shape[-1] != self.W.get_value().shape[0]:
            n = self.W.get_value().shape[0]
            raise ValueError(f"{layer_label(self)}: expected input with {n} features (shape (None, {n})), got "
                             f"input of shape {_shape_str(input_shape)}")

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight((input_dim, self.output_dim), self.init, name="W", regularizer=self.W_regularizer,
                                 constraint=self.W_constraint)
        self.b = self.add_weight((self.output_dim,), self.bias_init, name="b", regularizer=self.b_regularizer,
                                 constraint=self.b_constraint) if self.bias else None
        self.built = True

    kernel = property(lambda self: self.W)

    def call(self, x, mask=None):
        output = T.dot(x, self.W)
        if self.bias:
            output = output + self.b
        return self.activation(output)

    def get_output_shape_for(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = {"output_dim": self.output_dim, "init": initializations.serialize(self.init),
                  "activation": activations.serialize(self.activation),
                  "W_regularizer": _config_of(self.W_regularizer), "b_regularizer": _config_of(self.b_regularizer),
                  "activity_regularizer": _config_of(self.activity_regularizer),
                  "W_constraint": _config_of(self.W_constraint), "b_constraint": _config_of(self.b_constraint),
                  "bias": self.bias, "input_dim": self.input_dim}
        if self.bias_init is not initializations.zero:
            config["bias_initializer"] = initializations.serialize(self.bias_init)
        return dict(super().get_config(), **config)


class Activation(Layer):
    """Applies an activation function: Activation('relu')."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        try:
            self.activation = activations.get(activation)
        except ValueError as exc:
            raise ValueError(f"{layer_label(self)}: {exc}") from None
        self.supports_masking = True

    def call(self, x, mask=None):
        return self.activation(x)

    def get_config(self):
        return dict(super().get_config(), activation=activations.serialize(self.activation))


class Dropout(Layer):
    """Sets a fraction p (Keras 2: rate) of the inputs to 0 at each training step and
    scales the rest by 1 / (1 - p); does nothing at evaluation and prediction."""

    def __init__(self, p=None, noise_shape=None, seed=None, **kwargs):
        p = _pick("Dropout", "p", p, "rate", kwargs, None)
        super().__init__(**kwargs)
        if p is None or isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or not 0. <= p < 1.:
            raise ValueError(f"{layer_label(self)}: p (rate) must be a number in [0, 1), got {p!r}")
        self.p, self.noise_shape, self.seed = float(p), noise_shape, seed
        self.supports_masking = True

    def call(self, x, mask=None):
        if 0. < self.p < 1.:
            return K.in_train_phase(lambda: K.dropout(x, self.p, self.noise_shape, self.seed), x)
        return x

    def get_config(self):
        return dict(super().get_config(), p=self.p, noise_shape=self.noise_shape, seed=self.seed)


class Flatten(Layer):
    """(samples, d1, d2, ...) -> (samples, d1 * d2 * ...)."""

    def get_output_shape_for(self, input_shape):
        if any(s is None for s in input_shape[1:]):
            raise ValueError(f"{layer_label(self)}: the shape of the input is not fully defined (got "
                             f"{_shape_str(input_shape)}); give a complete input_shape to the first layer")
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def call(self, x, mask=None):
        return T.flatten(x, 2)


class Reshape(Layer):
    """(samples, ...) -> (samples,) + target_shape; one entry may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for s in target_shape if s == -1) > 1 or any(
                not isinstance(s, (int, np.integer)) or (s < 1 and s != -1) for s in target_shape):
            raise ValueError(f"{layer_label(self)}: target_shape must hold positive ints and at most one -1, got "
                             f"{target_shape}")
        self.target_shape = tuple(int(s) for s in target_shape)

    def _resolved(self, input_shape):
        """target_shape with -1 replaced where the input size is known (checked)."""
        if any(s is None for s in input_shape[1:]):
            return tuple(None if s == -1 else s for s in self.target_shape)
        total = int(np.prod(input_shape[1:]))
        known = int(np.prod([s for s in self.target_shape if s != -1]))
        if -1 in self.target_shape:
            if known == 0 or total % known:
                raise ValueError(f"{layer_label(self)}: cannot reshape an input of shape {_shape_str(input_shape)} "
                                 f"to (None,) + {self.target_shape}: {total} values per sample")
            return tuple(total // known if s == -1 else s for s in self.target_shape)
        if known != total:
            raise ValueError(f"{layer_label(self)}: total size of the new array must be unchanged: input shape "
                             f"{_shape_str(input_shape)} ({total} values per sample) cannot become "
                             f"(None,) + {self.target_shape} ({known} values)")
        return self.target_shape

    def assert_input_compatibility(self, input_shape):
        self._resolved(input_shape)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0],) + self._resolved(input_shape)

    def call(self, x, mask=None):
        return T.reshape(x, (x.shape[0],) + self.target_shape, ndim=len(self.target_shape) + 1)

    def get_config(self):
        return dict(super().get_config(), target_shape=list(self.target_shape))


class Permute(Layer):
    """Permutes the non-batch axes: Permute((2, 1)) swaps axes 1 and 2 (1-based, as Keras)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"{layer_label(self)}: dims must be a permutation of 1..{len(dims)}, got {dims}")
        self.dims = dims

    def assert_input_compatibility(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f"{layer_label(self)}: dims {self.dims} need an input of rank {len(self.dims) + 1}, got "
                             f"shape {_shape_str(input_shape)}")

    def get_output_shape_for(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, x, mask=None):
        return x.dimshuffle((0,) + self.dims)

    def get_config(self):
        return dict(super().get_config(), dims=list(self.dims))


class RepeatVector(Layer):
    """(samples, features) -> (samples, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{layer_label(self)}: n must be a positive integer, got {n!r}")
        self.n = int(n)

    def assert_input_compatibility(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{layer_label(self)}: expected an input of rank 2 (samples, features), got shape "
                             f"{_shape_str(input_shape)}")

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, x, mask=None):
        return T.alloc(x.dimshuffle(0, "x", 1), x.shape[0], self.n, x.shape[1])

    def get_config(self):
        return dict(super().get_config(), n=self.n)


class Masking(Layer):
    """Masks the time steps whose features all equal mask_value: (samples, timesteps,
    features) -> the same, with those steps zeroed and the mask `any(x != mask_value)`
    passed on (recurrent layers carry their state over masked steps)."""

    def __init__(self, mask_value=0., **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def compute_mask(self, x, mask=None):
        return T.sum(T.neq(x, self.mask_value), axis=-1) > 0

    def call(self, x, mask=None):
        keep = T.cast(self.compute_mask(x), x.dtype)
        return x * keep.dimshuffle(*range(x.ndim - 1), "x")

    def get_config(self):
        return dict(super().get_config(), mask_value=self.mask_value)
