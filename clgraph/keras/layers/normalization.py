"""Keras 1 BatchNormalization (Keras 2 spellings accepted).

mode=0 (the default, feature-wise): in a training graph the batch's own mean and
variance over every axis but `axis` normalise it (T.nnet.bn.batch_normalization_train:
one statistics kernel and one fused normalisation kernel), and the moving averages
become part of the training step's updates, on the device:
    moving = moving * momentum + batch statistic * (1 - momentum),
with the batch's biased variance, as Keras 1 (both backends) computes it. Prediction and
evaluation graphs (the learning phase, as Dropout) normalise with the moving statistics
(batch_normalization_test). mode=2: batch statistics in every phase, no moving
averages. mode=1: each sample over its last axis, (x - mean) / (std + epsilon) with
std = sqrt(var + epsilon), as Keras 1.

Weights, in Keras' order: [gamma, beta, running_mean, running_std] (Keras 2:
moving_mean, moving_variance; the last holds the variance, whatever Keras 1 named it);
center=False / scale=False (Keras 2) leave out beta / gamma.
"""
import numpy as np

import clgraph.tensor as T
from clgraph.tensor.nnet.bn import batch_normalization_test, batch_normalization_train

from .. import backend as K
from .. import constraints, initializations, regularizers
from ..engine.base_layer import Layer, layer_label
from .convolutional import _lookup
from .core import _config_of, _pick, _shape_str

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """Keras 1: BatchNormalization(epsilon=1e-3, mode=0, axis=-1, momentum=0.99,
    weights=None, beta_init='zero', gamma_init='one', gamma_regularizer=None,
    beta_regularizer=None). Keras 2 names: beta_initializer, gamma_initializer,
    moving_mean_initializer, moving_variance_initializer, center, scale,
    beta_constraint, gamma_constraint. For 'th' images (channels first) pass axis=1."""

    def __init__(self, epsilon=1e-3, mode=0, axis=-1, momentum=0.99, weights=None, beta_init=None, gamma_init=None,
                 gamma_regularizer=None, beta_regularizer=None, **kwargs):
        owner = "BatchNormalization"
        beta_init = _pick(owner, "beta_init", beta_init, "beta_initializer", kwargs, "zero")
        gamma_init = _pick(owner, "gamma_init", gamma_init, "gamma_initializer", kwargs, "one")
        mean_init = kwargs.pop("moving_mean_initializer", "zero")
        var_init = kwargs.pop("moving_variance_initializer", "one")
        center, scale = kwargs.pop("center", True), kwargs.pop("scale", True)
        beta_constraint, gamma_constraint = kwargs.pop("beta_constraint", None), kwargs.pop("gamma_constraint", None)
        super().__init__(weights=weights, **kwargs)
        label = layer_label(self)
        if mode not in (0, 1, 2):
            raise ValueError(f"{label}: mode must be 0 (feature-wise), 1 (sample-wise) or 2 (feature-wise, batch "
                             f"statistics always), got {mode!r}")
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"{label}: axis must be an int, got {axis!r}")
        for what, value, low, high in (("epsilon", epsilon, 0., np.inf), ("momentum", momentum, 0., 1.)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or \
                    not low <= value <= high or not np.isfinite(value):
                raise ValueError(f"{label}: {what} must be a number in [{low}, {high}], got {value!r}")
        self.epsilon, self.mode, self.axis, self.momentum = float(epsilon), int(mode), int(axis), float(momentum)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_init = _lookup(self, initializations.get, beta_init, "beta_init")
        self.gamma_init = _lookup(self, initializations.get, gamma_init, "gamma_init")
        self.moving_mean_init = _lookup(self, initializations.get, mean_init, "moving_mean_initializer")
        self.moving_variance_init = _lookup(self, initializations.get, var_init, "moving_variance_initializer")
        self.gamma_regularizer = _lookup(self, regularizers.get, gamma_regularizer, "gamma_regularizer")
        self.beta_regularizer = _lookup(self, regularizers.get, beta_regularizer, "beta_regularizer")
        self.gamma_constraint = _lookup(self, constraints.get, gamma_constraint, "gamma_constraint")
        self.beta_constraint = _lookup(self, constraints.get, beta_constraint, "beta_constraint")
        self.supports_masking = True

    def _axis_of(self, input_shape):
        return self.axis % len(input_shape)

    def assert_input_compatibility(self, input_shape):
        label = layer_label(self)
        if not isinstance(input_shape, tuple) or len(input_shape) < 2:
            raise ValueError(f"{label}: expected an input of rank >= 2, got shape {input_shape}")
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"{label}: axis {self.axis} is not a feature axis of an input of shape "
                             f"{_shape_str(input_shape)} (axis 0 is the batch)")
        a = self._axis_of(input_shape)
        if self.mode == 1 and a != ndim - 1:
            raise ValueError(f"{label}: mode=1 normalises each sample over its last axis; axis must be -1, got "
                             f"{self.axis} for an input of shape {_shape_str(input_shape)}")
        if input_shape[a] is None:
            raise ValueError(f"{label}: the normalised axis {self.axis} of the input must have a known size, got "
                             f"shape {_shape_str(input_shape)}")
        if self.built:
            built = self._built_shape
            if len(built) != ndim or input_shape[a] != built[self._axis_of(built)]:
                raise ValueError(f"{label}: expected an input with {built[self._axis_of(built)]} features on axis "
                                 f"{self.axis} (the layer was built for shape {_shape_str(built)}), got input of "
                                 f"shape {_shape_str(input_shape)}")

    def build(self, input_shape):
        self._built_shape = tuple(input_shape)
        shape = (input_shape[self._axis_of(input_shape)],)
        self.gamma = self.add_weight(shape, self.gamma_init, name="gamma", regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(shape, self.beta_init, name="beta", regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.running_mean = self.add_weight(shape, self.moving_mean_init, name="running_mean", trainable=False)
        self.running_std = self.add_weight(shape, self.moving_variance_init, name="running_std", trainable=False)
        self.built = True

    moving_mean = property(lambda self: self.running_mean)
    moving_variance = property(lambda self: self.running_std)

    def _params(self, dtype):
        n = int(self.running_mean.get_value().shape[0])
        gamma = self.gamma if self.gamma is not None else T.constant(np.ones(n, dtype))
        beta = self.beta if self.beta is not None else T.constant(np.zeros(n, dtype))
        return gamma, beta

    def call(self, x, mask=None):
        gamma, beta = self._params(K.floatx())
        if self.mode == 1:
            m = T.mean(x, axis=-1, keepdims=True)
            std = T.sqrt(T.var(x, axis=-1, keepdims=True) + self.epsilon)
            return gamma * ((x - m) / (std + self.epsilon)) + beta
        a = self.axis % x.ndim
        axes = tuple(k for k in range(x.ndim) if k != a)

        def batch_statistics():
            out, mean, invstd = batch_normalization_train(x, gamma, beta, axes, self.epsilon)
            if self.mode == 0:
                variance = 1. / T.sqr(invstd) - self.epsilon   # the batch's biased variance
                self.add_update([K.moving_average_update(self.running_mean, mean, self.momentum),
                                 K.moving_average_update(self.running_std, variance, self.momentum)])
            return out

        if self.mode == 2:
            return batch_statistics()
        return K.in_train_phase(batch_statistics, lambda: batch_normalization_test(
            x, gamma, beta, self.running_mean, self.running_std, axes, self.epsilon))

    def get_config(self):
        config = {"epsilon": self.epsilon, "mode": self.mode, "axis": self.axis, "momentum": self.momentum,
                  "gamma_regularizer": _config_of(self.gamma_regularizer),
                  "beta_regularizer": _config_of(self.beta_regularizer),
                  "beta_init": initializations.serialize(self.beta_init),
                  "gamma_init": initializations.serialize(self.gamma_init)}
        if not (self.center and self.scale):
            config.update(center=self.center, scale=self.scale)
        if self.moving_mean_init is not initializations.zero:
            config["moving_mean_initializer"] = initializations.serialize(self.moving_mean_init)
        if self.moving_variance_init is not initializations.one:
            config["moving_variance_initializer"] = initializations.serialize(self.moving_variance_init)
        for what in ("gamma_constraint", "beta_constraint"):
            if getattr(self, what) is not None:
                config[what] = _config_of(getattr(self, what))
        return dict(super().get_config(), **config)
