"""Keras 1 recurrent layers: SimpleRNN, GRU, LSTM (Keras 2 argument names accepted too).

Each layer is one `clgraph.scan` over time. The input projection x_t . W + b does not
depend on the carried state, so it is computed for all steps at once before the loop:
one GEMM over (time * batch, input_dim) rows of the time-major input. The step then
only computes h_{t-1} . U (one GEMM) and the gate nonlinearities, which the plan runs
in that GEMM's epilogue: an LSTM's forward step is 2 kernels per time step.

Weights are laid out as Keras 2 writes them, so they exchange with it:
  SimpleRNN  kernel (input_dim, u), recurrent_kernel (u, u), bias (u,)
  GRU        kernel (input_dim, 3u), recurrent_kernel (u, 3u), bias (3u,): z, r, h
             (Keras 2.0's GRU: the reset gate multiplies h_{t-1} before its product)
  LSTM       kernel (input_dim, 4u), recurrent_kernel (u, 4u), bias (4u,): i, f, c, o
Initial values follow Keras 1: `init` and `inner_init` draw each gate's block on its
own (an orthogonal (u, u) block per gate), the LSTM forget bias from forget_bias_init.

Masks (from Embedding(mask_zero=True) or Masking): a masked step carries every state
through (h_t = h_{t-1}), so the last output is the state after the last real step; with
return_sequences the mask goes on to the next layer and into the loss. go_backwards
processes the steps last to first and returns the outputs in that order (as Keras).
stateful=True (with batch_input_shape) starts each batch from the last state of the
previous one, in training, evaluation and prediction alike; reset_states() zeroes it.
"""
import inspect

import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.tensor.shape import concatenate, stack

from .. import activations, constraints, initializations, regularizers
from .. import backend as K
from ..engine.base_layer import Layer, layer_label
from .core import Masking, _config_of, _shape_str

# Masking lives in core (Keras 1's path); listed here so that clgraph.keras.layers exports it
__all__ = ["Recurrent", "SimpleRNN", "GRU", "LSTM", "Masking"]

_RENAMES = {"units": "output_dim", "kernel_initializer": "init", "recurrent_initializer": "inner_init",
            "recurrent_activation": "inner_activation", "dropout": "dropout_W", "recurrent_dropout": "dropout_U",
            "kernel_regularizer": "W_regularizer", "recurrent_regularizer": "U_regularizer",
            "bias_regularizer": "b_regularizer"}
_IMPLEMENTATIONS = {0: "cpu", 1: "mem", 2: "gpu"}


def rnn(step, sequences, initial_states, mask=None, go_backwards=False, unroll=False, non_sequences=(),
        name=None):
    """Run `step(*inputs_t, *states_tm1, *non_sequences) -> new states` over time-major
    `sequences` (time, batch, ...). mask: (time, batch) or None; a step whose mask is 0
    keeps every state. Returns one (time, batch, ...) sequence per state, in the order
    the steps ran (last to first with go_backwards)."""
    n_seq, n_states = len(sequences), len(initial_states)

    def masked_step(*args):
        inputs, m = args[:n_seq], args[n_seq] if mask is not None else None
        rest = args[n_seq + (mask is not None):]
        states, consts = rest[:n_states], rest[n_states:]
        new = list(step(*inputs, *states, *consts))
        if m is not None:
            keep = m.dimshuffle(0, "x") > 0
            new = [T.switch(keep, s_new, s_old) for s_new, s_old in zip(new, states)]
        return new

    seqs = list(sequences) + ([T.cast(mask, K.floatx())] if mask is not None else [])
    if unroll:
        length = unroll
        order = range(length - 1, -1, -1) if go_backwards else range(length)
        states, outs = list(initial_states), [[] for _ in initial_states]
        for t in order:
            states = masked_step(*[s[t] for s in seqs], *states, *non_sequences)
            for k, s in enumerate(states):
                outs[k].append(s)
        return [T.stack(o) for o in outs]
    results, _ = clgraph.scan(masked_step, sequences=seqs, outputs_info=list(initial_states),
                              non_sequences=list(non_sequences), go_backwards=go_backwards, name=name)
    return results if isinstance(results, (list, tuple)) else [results]


def _blocks(init, shape, n, name):
    """n blocks of `shape` drawn by `init` one after another, side by side (Keras 1 draws
    each gate's weight on its own)."""
    parts = []
    for k in range(n):
        value = init(shape, name=f"{name}_{k}")
        parts.append(value.get_value() if hasattr(value, "get_value") else np.asarray(value))
    return np.concatenate(parts, axis=-1).astype(K.floatx())


class Recurrent(Layer):
    """What SimpleRNN, GRU and LSTM share: arguments, weights, masks, states and the loop.
    Subclasses set _gates (blocks per weight), _n_states and implement _step."""

    _gates = 1
    _n_states = 1

    def __init__(self, args, kwargs):
        owner = type(self).__name__
        defaults = {k: p.default for k, p in inspect.signature(type(self).__init__).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        for new, old in _RENAMES.items():
            if new in kwargs:
                if old not in args:
                    raise TypeError(f"{owner}: keyword argument not understood: {new!r}")
                if args[old] is not None and args[old] != defaults.get(old):
                    raise TypeError(f"{owner}: give {old} or {new} (its Keras 2 name), not both")
                args[old] = kwargs.pop(new)
        implementation = kwargs.pop("implementation", None)
        consume_less = kwargs.pop("consume_less", None)
        if consume_less is None:
            consume_less = _IMPLEMENTATIONS.get(implementation, "cpu")
        if consume_less not in ("cpu", "mem", "gpu"):
            raise ValueError(f"{owner}: consume_less must be 'cpu', 'mem' or 'gpu', got {consume_less!r}")
        self.consume_less = consume_less   # the dropout masks: one per gate, or one for all with "gpu"
        self.return_sequences = bool(kwargs.pop("return_sequences", False))
        self.go_backwards = bool(kwargs.pop("go_backwards", False))
        self.stateful = bool(kwargs.pop("stateful", False))
        self.unroll = bool(kwargs.pop("unroll", False))
        self.return_state = bool(kwargs.pop("return_state", False))
        self.bias = bool(kwargs.pop("use_bias", kwargs.pop("bias", True)))
        bias_init = kwargs.pop("bias_initializer", "zero")
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        W_constraint = kwargs.pop("kernel_constraint", kwargs.pop("W_constraint", None))
        U_constraint = kwargs.pop("recurrent_constraint", kwargs.pop("U_constraint", None))
        b_constraint = kwargs.pop("bias_constraint", kwargs.pop("b_constraint", None))
        self.input_dim = kwargs.get("input_dim")
        self.input_length = kwargs.get("input_length")
        if kwargs.get("input_dim") is not None and kwargs.get("input_shape") is None:
            kwargs["input_shape"] = (self.input_length, kwargs.pop("input_dim"))
            kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        output_dim = args["output_dim"]
        if isinstance(output_dim, bool) or not isinstance(output_dim, (int, np.integer)) or output_dim < 1:
            raise ValueError(f"{layer_label(self)}: output_dim (units) must be a positive integer, got {output_dim!r}")
        self.output_dim = int(output_dim)
        self.init = self._lookup(initializations.get, args["init"], "init")
        self.inner_init = self._lookup(initializations.get, args["inner_init"], "inner_init")
        self.bias_init = self._lookup(initializations.get, bias_init, "bias_initializer")
        self.activation = self._lookup(activations.get, args["activation"], "activation")
        if "inner_activation" in args:
            self.inner_activation = self._lookup(activations.get, args["inner_activation"], "inner_activation")
        if "forget_bias_init" in args:
            self.forget_bias_init = self._lookup(initializations.get, args["forget_bias_init"], "forget_bias_init")
        self.W_regularizer = self._lookup(regularizers.get, args["W_regularizer"], "W_regularizer")
        self.U_regularizer = self._lookup(regularizers.get, args["U_regularizer"], "U_regularizer")
        self.b_regularizer = self._lookup(regularizers.get, args["b_regularizer"], "b_regularizer")
        self.activity_regularizer = self._lookup(regularizers.get, activity_regularizer, "activity_regularizer")
        self.W_constraint = self._lookup(constraints.get, W_constraint, "W_constraint")
        self.U_constraint = self._lookup(constraints.get, U_constraint, "U_constraint")
        self.b_constraint = self._lookup(constraints.get, b_constraint, "b_constraint")
        for what in ("dropout_W", "dropout_U"):
            p = args[what]
            if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or not 0. <= p < 1.:
                raise ValueError(f"{layer_label(self)}: {what} must be a number in [0, 1), got {p!r}")
        self.dropout_W, self.dropout_U = float(args["dropout_W"]), float(args["dropout_U"])
        self.supports_masking = True
        self.states = None
        if self.unroll and self.batch_input_shape is not None and self.batch_input_shape[1:2] == (None,):
            raise ValueError(f"{layer_label(self)}: unroll=True needs the number of time steps: give input_length "
                             "or a complete input_shape")

    def _lookup(self, get, value, argument):
        try:
            return get(value)
        except ValueError as exc:
            raise ValueError(f"{layer_label(self)}: argument {argument}: {exc}") from None

    # -- shapes and weights -------------------------------------------------------------------
    def assert_input_compatibility(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) != 3:
            raise ValueError(f"{layer_label(self)}: expected an input of rank 3 (samples, timesteps, features), got "
                             f"shape {input_shape if not isinstance(input_shape, tuple) else _shape_str(input_shape)}")
        if input_shape[-1] is None:
            raise ValueError(f"{layer_label(self)}: the last axis of the input must have a known size, got shape "
                             f"{_shape_str(input_shape)}")
        if self.built and input_shape[-1] != self.kernel.get_value().shape[0]:
            raise ValueError(f"{layer_label(self)}: expected input with {self.kernel.get_value().shape[0]} features "
                             f"per step, got input of shape {_shape_str(input_shape)}")
        if self.unroll and input_shape[1] is None:
            raise ValueError(f"{layer_label(self)}: unroll=True needs the number of time steps: give input_length "
                             "or a complete input_shape")

    def _bias_value(self, shape, name=None):
        return _blocks(self.bias_init, (self.output_dim,), self._gates, name)

    def build(self, input_shape):
        input_dim, u, g = input_shape[-1], self.output_dim, self._gates
        self._length = input_shape[1]
        self.kernel = self.add_weight((input_dim, g * u), lambda s, name=None: _blocks(self.init, (input_dim, u), g,
                                                                                        name),
                                      name="kernel", regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.recurrent_kernel = self.add_weight((u, g * u), lambda s, name=None: _blocks(self.inner_init, (u, u), g,
                                                                                          name),
                                                name="recurrent_kernel", regularizer=self.U_regularizer,
                                                constraint=self.U_constraint)
        self.bias_weight = self.add_weight((g * u,), self._bias_value, name="bias", regularizer=self.b_regularizer,
                                           constraint=self.b_constraint) if self.bias else None
        if self.stateful:
            batch = input_shape[0] if input_shape[0] is not None else (self.batch_input_shape or (None,))[0]
            if batch is None:
                raise ValueError(f"{layer_label(self)}: a stateful layer needs the batch size: give the first layer "
                                 "batch_input_shape=(batch, timesteps, features) (Input(batch_shape=...))")
            self.states = [K.variable(np.zeros((batch, u)), name=f"{self.name}_state_{k}")
                           for k in range(self._n_states)]
        self.built = True

    # Keras 1 attribute names of the three weights
    W = property(lambda self: self.kernel)
    U = property(lambda self: self.recurrent_kernel)
    b = property(lambda self: self.bias_weight)

    def reset_states(self, states=None):
        """Zero the carried states (or set them to `states`, a list of (batch, units) arrays)."""
        if not self.stateful:
            raise AttributeError(f"{layer_label(self)}: reset_states needs a stateful layer (stateful=True)")
        if self.states is None:
            raise RuntimeError(f"{layer_label(self)}: the layer is not built yet")
        values = states if states is not None else [np.zeros(s.get_value().shape) for s in self.states]
        K.set_values(self.states, values,
                     lambda n: f"{layer_label(self)}: reset_states got {n} arrays, the layer has {self._n_states} "
                               "states",
                     lambda p, expected, got: f"{layer_label(self)}: state {p.name!r} has shape {expected}, got "
                                              f"an array of shape {got}")

    def get_output_shape_for(self, input_shape):
        out = (input_shape[0], input_shape[1], self.output_dim) if self.return_sequences else \
            (input_shape[0], self.output_dim)
        if self.return_state:
            return [out] + [(input_shape[0], self.output_dim)] * self._n_states
        return out

    def compute_mask(self, x, mask=None):
        out = mask if self.return_sequences else None
        return [out] + [None] * self._n_states if self.return_state else out

    # -- the computation ------------------------------------------------------------------------
    def _recurrent_weights(self):
        """The step's weights, read from outside the loop (whole, or cut outside it)."""
        return [self.recurrent_kernel]

    def _masks(self):
        """Dropout masks of the input and of the state: one per gate, as Keras 1's
        consume_less 'cpu' and 'mem' (Keras 2's implementation 0 and 1), or one shared by
        every gate with 'gpu' (implementation 2)."""
        return 1 if self.consume_less == "gpu" else self._gates

    def _step(self, p_t, *args):
        """(precomputed x_t . W + b rows, states_tm1..., U, dropout mask of h or None) ->
        new states; the first state is the output."""
        raise NotImplementedError

    def call(self, x, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        u = self.output_dim
        batch = x.shape[0]
        xt = x.dimshuffle(1, 0, 2)                         # time-major: the loop reads rows
        training = K.learning_phase() and (self.dropout_W or self.dropout_U)
        steps = xt.shape[0]
        dim = self.kernel.get_value().shape[0]
        # all steps in one GEMM; the -1 (not steps * batch) keeps the reshape of a minibatch
        # slice replayable (a view target computed from a givens slice's shape is not)
        if training and self.dropout_W:
            # masks per sample, the same at every step: one per gate as Keras' 'cpu' and
            # 'mem' modes (Keras 2's implementation 0 and 1), one for all with 'gpu'
            keeps = [K.dropout(T.ones_like(x[:, 0, :]), self.dropout_W) for _ in range(self._masks())]
            rows = [T.reshape(xt * k.dimshuffle("x", 0, 1), (-1, dim), ndim=2) for k in keeps]
            if len(rows) == 1:
                proj = T.dot(rows[0], self.kernel)
            else:
                proj = concatenate([T.dot(r, self.kernel[:, g * u:(g + 1) * u]) for g, r in enumerate(rows)], axis=1)
        else:
            proj = T.dot(T.reshape(xt, (-1, dim), ndim=2), self.kernel)
        if self.bias:
            proj = proj + self.bias_weight
        proj = T.reshape(proj, (steps, batch, self._gates * u), ndim=3)
        if self.stateful:
            initial = list(self.states)
        else:
            zero = T.zeros((batch, u), dtype=K.floatx())
            initial = [zero] * self._n_states
        consts = self._recurrent_weights()
        n_weights = len(consts)
        if training and self.dropout_U:  # (a mask per gate, stacked, or one: see _masks)
            drops = [K.dropout(T.ones_like(initial[0]), self.dropout_U) for _ in range(self._masks())]
            consts.append(drops[0] if len(drops) == 1 else stack(drops))
        if mask is not None:
            mask = mask.dimshuffle(1, 0)
        length = getattr(self, "_length", None)       # timesteps known when the layer was built
        if self.unroll and length is None:
            raise ValueError(f"{layer_label(self)}: unroll=True needs the number of time steps")
        n_consts = len(consts)
        states = rnn(lambda *a: self._step(a[0], *a[1:1 + self._n_states], *a[1 + self._n_states:],
                                           *([None] * (n_weights + 1 - n_consts))),
                     [proj], initial, mask=mask, go_backwards=self.go_backwards,
                     unroll=length if self.unroll else False, non_sequences=consts, name=self.name)
        last = [s[-1] for s in states]
        if self.stateful:
            pairs = [(v, s) for v, s in zip(self.states, last)]
            K.add_update(pairs)
            scope = K.current_scope()   # evaluation and prediction carry the state too (Keras 1)
            if not hasattr(scope, "state_updates"):
                scope.state_updates = []
            scope.state_updates.extend(pairs)
        out = states[0].dimshuffle(1, 0, 2) if self.return_sequences else last[0]
        return [out] + last if self.return_state else out

    def get_config(self):
        config = {"output_dim": self.output_dim, "init": initializations.serialize(self.init),
                  "inner_init": initializations.serialize(self.inner_init),
                  "activation": activations.serialize(self.activation),
                  "W_regularizer": _config_of(self.W_regularizer), "U_regularizer": _config_of(self.U_regularizer),
                  "b_regularizer": _config_of(self.b_regularizer),
                  "dropout_W": self.dropout_W, "dropout_U": self.dropout_U,
                  "return_sequences": self.return_sequences, "go_backwards": self.go_backwards,
                  "stateful": self.stateful, "unroll": self.unroll, "consume_less": self.consume_less,
                  "input_dim": self.input_dim, "input_length": self.input_length}
        if hasattr(self, "inner_activation"):
            config["inner_activation"] = activations.serialize(self.inner_activation)
        if hasattr(self, "forget_bias_init"):
            config["forget_bias_init"] = initializations.serialize(self.forget_bias_init)
        if self.return_state:
            config["return_state"] = True
        if not self.bias:
            config["use_bias"] = False
        if self.bias_init is not initializations.zero:
            config["bias_initializer"] = initializations.serialize(self.bias_init)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = _config_of(self.activity_regularizer)
        for key, c in (("W_constraint", self.W_constraint), ("U_constraint", self.U_constraint),
                       ("b_constraint", self.b_constraint)):
            if c is not None:
                config[key] = _config_of(c)
        return dict(super().get_config(), **config)


class SimpleRNN(Recurrent):
    """h_t = activation(x_t . W + h_{t-1} . U + b).

    Keras 1: SimpleRNN(output_dim, init='glorot_uniform', inner_init='orthogonal',
    activation='tanh', W_regularizer, U_regularizer, b_regularizer, dropout_W, dropout_U,
    return_sequences, go_backwards, stateful, unroll, consume_less, input_dim,
    input_length). Keras 2: units, kernel_initializer, recurrent_initializer, dropout,
    recurrent_dropout, kernel_/recurrent_/bias_regularizer, use_bias, return_state."""

    def __init__(self, output_dim=None, init="glorot_uniform", inner_init="orthogonal", activation="tanh",
                 W_regularizer=None, U_regularizer=None, b_regularizer=None, dropout_W=0., dropout_U=0., **kwargs):
        args = dict(output_dim=output_dim, init=init, inner_init=inner_init, activation=activation,
                    W_regularizer=W_regularizer, U_regularizer=U_regularizer, b_regularizer=b_regularizer,
                    dropout_W=dropout_W, dropout_U=dropout_U)
        super().__init__(args, kwargs)

    def _step(self, p_t, h, U, drop):
        return [self.activation(p_t + T.dot(h if drop is None else h * drop, U))]


class GRU(Recurrent):
    """Keras 2.0's GRU (reset gate before the recurrent product), gate order z, r, h:
    z = inner_activation(x_z + h_{t-1} . U_z), r = inner_activation(x_r + h_{t-1} . U_r),
    hh = activation(x_h + (r * h_{t-1}) . U_h), h_t = z * h_{t-1} + (1 - z) * hh.

    Keras 1: GRU(output_dim, init, inner_init, activation='tanh',
    inner_activation='hard_sigmoid', W_/U_/b_regularizer, dropout_W, dropout_U, ...);
    Keras 2: recurrent_activation and the names of SimpleRNN."""

    _gates = 3

    def __init__(self, output_dim=None, init="glorot_uniform", inner_init="orthogonal", activation="tanh",
                 inner_activation="hard_sigmoid", W_regularizer=None, U_regularizer=None, b_regularizer=None,
                 dropout_W=0., dropout_U=0., **kwargs):
        args = dict(output_dim=output_dim, init=init, inner_init=inner_init, activation=activation,
                    inner_activation=inner_activation, W_regularizer=W_regularizer, U_regularizer=U_regularizer,
                    b_regularizer=b_regularizer, dropout_W=dropout_W, dropout_U=dropout_U)
        super().__init__(args, kwargs)

    def _recurrent_weights(self):
        # U_zr and U_h are cut outside the loop: the step reads two matrices of its own,
        # each a GEMM operand with unit-stride rows
        u = self.output_dim
        return [self.recurrent_kernel[:, :2 * u], self.recurrent_kernel[:, 2 * u:]]

    def _step(self, p_t, h, U_zr, U_h, drop):
        u = self.output_dim
        if drop is not None and drop.ndim == 3:  # a mask per gate (z, r, h)
            zr = p_t[:, :2 * u] + concatenate([T.dot(h * drop[0], U_zr[:, :u]), T.dot(h * drop[1], U_zr[:, u:])],
                                              axis=1)
            hd = h * drop[2]
        else:
            hd = h if drop is None else h * drop
            zr = p_t[:, :2 * u] + T.dot(hd, U_zr)
        z = self.inner_activation(zr[:, :u])
        r = self.inner_activation(zr[:, u:])
        hh = self.activation(p_t[:, 2 * u:] + T.dot(r * hd, U_h))
        return [z * h + (1. - z) * hh]


class LSTM(Recurrent):
    """Gate order i, f, c, o: i = inner_activation(x_i + h_{t-1} . U_i), f and o alike,
    c_t = f * c_{t-1} + i * activation(x_c + h_{t-1} . U_c), h_t = o * activation(c_t).

    Keras 1: LSTM(output_dim, init='glorot_uniform', inner_init='orthogonal',
    forget_bias_init='one', activation='tanh', inner_activation='hard_sigmoid',
    W_/U_/b_regularizer, dropout_W, dropout_U, return_sequences, go_backwards, stateful,
    unroll, consume_less, input_dim, input_length). Keras 2: units, kernel_initializer,
    recurrent_initializer, bias_initializer, unit_forget_bias (True: forget bias 1),
    recurrent_activation, dropout, recurrent_dropout, return_state (output, h, c)."""

    _gates = 4
    _n_states = 2

    def __init__(self, output_dim=None, init="glorot_uniform", inner_init="orthogonal", forget_bias_init="one",
                 activation="tanh", inner_activation="hard_sigmoid", W_regularizer=None, U_regularizer=None,
                 b_regularizer=None, dropout_W=0., dropout_U=0., **kwargs):
        if "unit_forget_bias" in kwargs:
            forget_bias_init = "one" if kwargs.pop("unit_forget_bias") else kwargs.get("bias_initializer", "zero")
        args = dict(output_dim=output_dim, init=init, inner_init=inner_init, forget_bias_init=forget_bias_init,
                    activation=activation, inner_activation=inner_activation, W_regularizer=W_regularizer,
                    U_regularizer=U_regularizer, b_regularizer=b_regularizer, dropout_W=dropout_W,
                    dropout_U=dropout_U)
        super().__init__(args, kwargs)

    def _bias_value(self, shape, name=None):
        u = self.output_dim
        parts = [self.bias_init, self.forget_bias_init, self.bias_init, self.bias_init]
        values = [p((u,), name=name) for p in parts]
        return np.concatenate([v.get_value() if hasattr(v, "get_value") else np.asarray(v)
                               for v in values]).astype(K.floatx())

    def _step(self, p_t, h, c, U, drop):
        u = self.output_dim
        if drop is not None and drop.ndim == 3:  # a mask per gate (i, f, c, o)
            z = p_t + concatenate([T.dot(h * drop[g], U[:, g * u:(g + 1) * u]) for g in range(4)], axis=1)
        else:
            z = p_t + T.dot(h if drop is None else h * drop, U)
        i = self.inner_activation(z[:, :u])
        f = self.inner_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.inner_activation(z[:, 3 * u:])
        c_new = f * c + i * g
        return [o * self.activation(c_new), c_new]
