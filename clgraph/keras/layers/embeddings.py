"""Keras 1 Embedding: integer indices (samples, length) -> rows of W (samples, length, output_dim).

The lookup is one gather kernel (`W[indices]`), and its gradient a scatter-add of the
output's gradient into the rows of W on the device (the `put` kernel): nothing goes
through the host. mask_zero=True makes index 0 padding: the layer's output mask is
`indices != 0`, which recurrent layers use to carry their state over padded steps.
dropout (Keras 1) drops whole words: each row of W is zeroed with probability `dropout`
at each training step (the rest scaled by 1 / (1 - dropout)).
"""
import numpy as np

import clgraph.tensor as T

from .. import constraints, initializations, regularizers
from .. import backend as K
from ..engine.base_layer import Layer, layer_label
from .core import _config_of, _pick

__all__ = ["Embedding"]


class Embedding(Layer):
    """Keras 1: Embedding(input_dim, output_dim, init='uniform', input_length=None,
    W_regularizer=None, activity_regularizer=None, W_constraint=None, mask_zero=False,
    weights=None, dropout=0.). Keras 2 names: embeddings_initializer,
    embeddings_regularizer, embeddings_constraint. input_dim is the vocabulary size."""

    def __init__(self, input_dim, output_dim, init=None, input_length=None, W_regularizer=None,
                 activity_regularizer=None, W_constraint=None, mask_zero=False, weights=None, dropout=0., **kwargs):
        owner = "Embedding"
        init = _pick(owner, "init", init, "embeddings_initializer", kwargs, "uniform")
        W_regularizer = _pick(owner, "W_regularizer", W_regularizer, "embeddings_regularizer", kwargs, None)
        W_constraint = _pick(owner, "W_constraint", W_constraint, "embeddings_constraint", kwargs, None)
        if kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = (input_length,)
        if kwargs.get("input_dtype") is None and kwargs.get("dtype") is None:
            kwargs["input_dtype"] = "int32"
        super().__init__(weights=weights, **kwargs)
        for what, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{layer_label(self)}: {what} must be a positive integer, got {v!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.number)) or not 0. <= dropout < 1.:
            raise ValueError(f"{layer_label(self)}: dropout must be a number in [0, 1), got {dropout!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.input_length = input_length
        self.mask_zero = bool(mask_zero)
        self.dropout = float(dropout)
        self.init = self._lookup(initializations.get, init, "init")
        self.W_regularizer = self._lookup(regularizers.get, W_regularizer, "W_regularizer")
        self.activity_regularizer = self._lookup(regularizers.get, activity_regularizer, "activity_regularizer")
        self.W_constraint = self._lookup(constraints.get, W_constraint, "W_constraint")

    def _lookup(self, get, value, argument):
        try:
            return get(value)
        except ValueError as exc:
            raise ValueError(f"{layer_label(self)}: argument {argument}: {exc}") from None

    def build(self, input_shape):
        self.W = self.add_weight((self.input_dim, self.output_dim), self.init, name="embeddings",
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.built = True

    embeddings = property(lambda self: self.W)

    def assert_input_compatibility(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 1:
            raise ValueError(f"{layer_label(self)}: expected an input of rank >= 2 (samples, length), got shape "
                             f"{input_shape}")

    def compute_mask(self, x, mask=None):
        return T.neq(x, 0) if self.mask_zero else None

    def get_output_shape_for(self, input_shape):
        if self.input_length is not None and len(input_shape) == 2:
            return (input_shape[0], self.input_length, self.output_dim)
        return tuple(input_shape) + (self.output_dim,)

    def call(self, x, mask=None):
        if x.dtype not in ("int32", "int64"):
            x = T.cast(x, "int32")
        W = self.W
        if self.dropout and K.learning_phase():
            W = W * K.dropout(T.ones_like(W[:, 0]), self.dropout).dimshuffle(0, "x")   # whole rows (words)
        rows = W[T.flatten(x)]
        shape = [x.shape[k] for k in range(x.ndim)] + [self.output_dim]
        return T.reshape(rows, tuple(shape), ndim=x.ndim + 1)

    def get_config(self):
        config = {"input_dim": self.input_dim, "output_dim": self.output_dim,
                  "init": initializations.serialize(self.init), "input_length": self.input_length,
                  "W_regularizer": _config_of(self.W_regularizer),
                  "activity_regularizer": _config_of(self.activity_regularizer),
                  "W_constraint": _config_of(self.W_constraint), "mask_zero": self.mask_zero,
                  "dropout": self.dropout}
        return dict(super().get_config(), **config)

