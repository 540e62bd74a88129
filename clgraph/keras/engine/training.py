"""Model: a Container that can be compiled, trained, evaluated and used to predict.

Each of the three jobs is ONE compiled clgraph function, built on first use and kept:
  train step  (batch index, batch size) -> [loss, per-output losses, metrics], with the
              optimizer's updates (and the layers' own, e.g. running statistics): the
              forward pass in the training phase, the loss, its gradient and the update
              of every weight run on the device in one call;
  test step   the same outputs in the inference phase, no updates;
  predict     (batch index, batch size) -> the outputs, inference phase.
Their data are DeviceData shared variables, uploaded once per fit (once per epoch when
shuffling), and each step reads its minibatch as a slice through `givens`. The only
per-batch traffic is the call's two integers and the few scalars it returns for the
callbacks; the batch size is an input, so one function serves every batch size
(and the shorter last batch).
"""
import numpy as np

import clgraph
import clgraph.tensor as T

from .. import backend as K
from .. import callbacks as cbks
from .. import metrics as metrics_module
from .. import objectives
from .. import optimizers
from ..utils.generic_utils import Progbar
from .base_layer import layer_label
from .data import DeviceData, check_lengths, standardize_arrays, standardize_weights
from .generators import GeneratorMethods
from .topology import Container

__all__ = ["Model"]

_function = clgraph.function  # one place, so tests can count compilations


def _batch_hooks(callback_list, labels, b, size, outputs):
    """Batch b's hooks around `outputs()` (the step's values), with the logs Keras 1
    gives them: batch, size, then each metric as a float."""
    logs = {"batch": b, "size": size}
    callback_list.on_batch_begin(b, logs)
    for label, value in zip(labels, outputs()):
        logs[label] = float(value)
    callback_list.on_batch_end(b, logs)


def _per_output(value, names, what, required=True):
    """A list with one entry per output from a single value, a list or a dict by name."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"compile({what}=...): unknown output name(s) {unknown}; the outputs are {names}")
        missing = [n for n in names if n not in value]
        if missing and required:
            raise ValueError(f"compile({what}=...): no {what} given for output(s) {missing}")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"compile({what}=...): the model has {len(names)} output(s) {names}, got a list of "
                             f"{len(value)}")
        return list(value)
    return [value] * len(names)


class Model(GeneratorMethods, Container):
    """The Keras 1 functional model: Model(input=x, output=y) (Keras 2: inputs, outputs)."""

    # -- compile -------------------------------------------------------------------------------------
    def compile(self, optimizer, loss, metrics=None, loss_weights=None, sample_weight_mode=None, **kwargs):
        """Choose the optimizer, the loss per output (name or function; a list or a dict
        by output name for several outputs), the metrics ('accuracy', ...), the weights
        of the outputs' losses, and sample_weight_mode=None or 'temporal'."""
        for key in kwargs:
            raise TypeError(f"compile: keyword argument not understood: {key!r}")
        if not self.outputs:
            raise RuntimeError(f"{layer_label(self)}: the model has no layers yet; add layers before compile")
        names = self.output_names
        try:
            self.optimizer = optimizers.get(optimizer)
        except ValueError as exc:
            raise ValueError(f"compile(optimizer=...): {exc}") from None
        losses = _per_output(loss, names, "loss")
        try:
            self.loss_functions = [objectives.get(fn) for fn in losses]
        except ValueError as exc:
            raise ValueError(f"compile(loss=...): {exc}") from None
        weights = _per_output(loss_weights if loss_weights is not None else 1., names, "loss_weights")
        self.loss_weights_list = [1. if w is None else float(w) for w in weights]
        modes = _per_output(sample_weight_mode, names, "sample_weight_mode", required=False)
        for m in modes:
            if m not in (None, "temporal"):
                raise ValueError(f"compile(sample_weight_mode=...): expected None or 'temporal', got {m!r}")
        self.sample_weight_modes = modes
        self.loss, self.metrics, self.loss_weights = loss, metrics, loss_weights
        self.sample_weight_mode = sample_weight_mode
        self._metric_fns = self._resolve_metrics(metrics)
        prefix = [f"{n}_" if len(names) > 1 else "" for n in names]
        self.metrics_names = ["loss"] + ([f"{n}_loss" for n in names] if len(names) > 1 else []) + \
            [prefix[k] + label for k, fns in enumerate(self._metric_fns) for label, _ in fns]
        self.targets = [K.placeholder(ndim=len(s), name=f"{n}_target")
                        for n, s in zip(names, self.internal_output_shapes)]
        self.sample_weights = [K.placeholder(ndim=2 if m == "temporal" else 1, name=f"{n}_sample_weights")
                               for n, m in zip(names, modes)]
        self._train_function = self._test_function = None
        self._compiled = True

    def _resolve_metrics(self, metrics):
        if metrics is None:
            metrics = []
        per = _per_output(metrics, self.output_names, "metrics", required=False) if isinstance(metrics, dict) \
            else [metrics] * len(self.output_names)
        found = []
        for k, wanted in enumerate(per):
            fns = []
            for m in ([] if wanted is None else [wanted] if isinstance(wanted, str) or callable(wanted)
                      else wanted):
                if m in ("accuracy", "acc"):
                    fns.append(("acc", metrics_module.accuracy_for(self.loss_functions[k],
                                                                   self.internal_output_shapes[k])))
                    continue
                try:
                    fn = metrics_module.get(m)
                except ValueError as exc:
                    raise ValueError(f"compile(metrics=...): {exc}") from None
                fns.append((getattr(fn, "__name__", str(m)), fn))
            found.append(fns)
        return found

    def _check_compiled(self, caller):
        if not getattr(self, "_compiled", False):
            raise RuntimeError(f"{layer_label(self)}: compile the model before {caller} "
                               "(model.compile(optimizer, loss))")

    # -- the compiled steps --------------------------------------------------------------------------
    def _loss_graph(self, outputs, masks, scope):
        """[total loss] + [loss per output, if several] + metrics, as float32 scalars."""
        per_output, total = [], None
        for k, (y, mask) in enumerate(zip(outputs, masks)):
            target, weights = self.targets[k], self.sample_weights[k]
            score = self.loss_functions[k](target, y)
            if mask is not None:  # Keras 1: masked entries count for nothing
                mask = T.cast(mask, K.floatx())
                score = score * mask / T.mean(mask)
            if score.ndim > weights.ndim:
                score = T.mean(score, axis=list(range(weights.ndim, score.ndim)))
            # Keras 1: mean(score * w) / mean(w != 0), i.e. the weighted mean over the
            # samples whose weight is not zero (0 when every weight is 0)
            count = T.cast(weights.size, K.floatx())
            nonzero = T.sum(T.cast(T.neq(weights, 0), K.floatx()))
            loss = T.sum(score * weights) / T.maximum(nonzero, K.epsilon() * count)
            per_output.append(loss)
            term = loss * self.loss_weights_list[k] if self.loss_weights_list[k] != 1. else loss
            total = term if total is None else total + term
        penalty = self.weight_penalty()
        if penalty is not None:
            total = total + penalty
        for p in scope.losses:
            total = total + p
        metric_values = [T.cast(T.mean(fn(self.targets[k], outputs[k])), K.floatx())
                         for k, fns in enumerate(self._metric_fns) for _, fn in fns]
        results = [total] + (per_output if len(outputs) > 1 else []) + metric_values
        return [T.cast(r, K.floatx()) for r in results]

    def _step(self, placeholders, outputs, updates, name):
        data = DeviceData(placeholders, name)
        index, batch_size = T.lscalar("batch_index"), T.lscalar("batch_size")
        fn = _function([index, batch_size], outputs, updates=updates, givens=data.givens(index, batch_size),
                       name=f"{self.name}.{name}", on_unused_input="ignore")
        return fn, data

    def _make_train_function(self):
        self._check_compiled("training")
        if self._train_function is not None:
            return self._train_function
        with K.learning_phase_scope(1) as scope:
            outputs, masks = self.run_graph(self.inputs)
            results = self._loss_graph(outputs, masks, scope)
        params = self.trainable_weights
        if not params:
            raise RuntimeError(f"{layer_label(self)}: the model has no trainable weights to train")
        updates = list(self.optimizer.get_updates(params, self.constraints, results[0])) + scope.updates
        pending = getattr(self, "_pending_optimizer_weights", None)
        if pending is not None:
            self.optimizer.set_weights(pending)
            self._pending_optimizer_weights = None
        self._train_function = self._step(self.inputs + self.targets + self.sample_weights, results, updates,
                                          "train")
        return self._train_function

    def _make_test_function(self):
        self._check_compiled("evaluation")
        if self._test_function is None:
            with K.learning_phase_scope(0) as scope:
                outputs, masks = self.run_graph(self.inputs)
                results = self._loss_graph(outputs, masks, scope)
            # stateful recurrent layers carry their state in evaluation too (Keras 1)
            self._test_function = self._step(self.inputs + self.targets + self.sample_weights, results,
                                             getattr(scope, "state_updates", []), "test")
        return self._test_function

    def _make_predict_function(self):
        if getattr(self, "_predict_function", None) is None:
            if not self.outputs:
                raise RuntimeError(f"{layer_label(self)}: the model has no layers yet")
            with K.learning_phase_scope(0) as scope:
                outputs, _ = self.run_graph(self.inputs)
            self._predict_function = self._step(self.inputs, outputs, getattr(scope, "state_updates", []),
                                                "predict")
        return self._predict_function

    @property
    def train_function(self):
        return self._make_train_function()[0]

    @property
    def test_function(self):
        return self._make_test_function()[0]

    @property
    def predict_function(self):
        return self._make_predict_function()[0]

    def _reset_functions(self):
        self._train_function = self._test_function = self._predict_function = None

    # -- data ---------------------------------------------------------------------------------------
    def _standardize_x(self, x, caller):
        return standardize_arrays(x, self.input_names, self.internal_input_shapes, self.input_consumers,
                                  f"{caller}: argument x", "input", [t.dtype for t in self.inputs])

    def _standardize_user_data(self, x, y, sample_weight=None, class_weight=None, caller="fit"):
        self._check_compiled(caller)
        xs = self._standardize_x(x, caller)
        sparse = [fn is objectives.sparse_categorical_crossentropy for fn in self.loss_functions]
        ys = standardize_arrays(y, self.output_names, self.internal_output_shapes, self.output_layers,
                                f"{caller}: argument y", "target", [K.floatx()] * len(self.outputs),
                                check_last=[not s for s in sparse])
        check_lengths(xs, ys)
        sws = _per_output(sample_weight, self.output_names, "sample_weight", required=False) \
            if isinstance(sample_weight, (dict, list, tuple)) else [sample_weight] * len(ys)
        cws = class_weight if isinstance(class_weight, dict) and set(class_weight) <= set(self.output_names) \
            and class_weight else None
        weights = []
        for k, (yk, name) in enumerate(zip(ys, self.output_names)):
            cw = cws.get(name) if cws is not None else class_weight
            weights.append(standardize_weights(yk, sws[k], cw, self.sample_weight_modes[k], name, K.floatx()))
        check_lengths(xs, ys, weights)
        return xs, ys, weights

    # -- training -----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=32, nb_epoch=10, verbose=1, callbacks=None, validation_split=0.,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0, **kwargs):
        """Train for nb_epoch (Keras 2: epochs) epochs; returns the History callback."""
        if "epochs" in kwargs:
            nb_epoch = kwargs.pop("epochs")
        for key in kwargs:
            raise TypeError(f"fit: keyword argument not understood: {key!r}")
        batch_size = _check_batch_size(batch_size, "fit")
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"fit: shuffle must be True, False or 'batch', got {shuffle!r}")
        xs, ys, ws = self._standardize_user_data(x, y, sample_weight, class_weight, "fit")
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                                 f"val_sample_weights), got {type(validation_data).__name__}")
            vx, vy = validation_data[:2]
            vw = validation_data[2] if len(validation_data) == 3 else None
            val = self._standardize_user_data(vx, vy, vw, None, "fit(validation_data)")
        elif validation_split:
            if not 0. < validation_split < 1.:
                raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
            split_at = int(len(xs[0]) * (1. - validation_split))
            if split_at == 0 or split_at == len(xs[0]):
                raise ValueError(f"fit: validation_split={validation_split} of {len(xs[0])} samples leaves no "
                                 "training or no validation sample")
            val = tuple([a[split_at:] for a in arrays] for arrays in (xs, ys, ws))
            xs, ys, ws = ([a[:split_at] for a in arrays] for arrays in (xs, ys, ws))
        self._make_train_function()
        if val is not None:
            self._make_test_function()
        return self._fit_loop(xs + ys + ws, batch_size, nb_epoch, verbose, callbacks or [], val, shuffle,
                              initial_epoch)

    def _fit_loop(self, arrays, batch_size, nb_epoch, verbose, callbacks, val, shuffle, initial_epoch):
        fn, data = self._train_function
        n = len(arrays[0])
        nb_batch = -(-n // batch_size)
        labels = list(self.metrics_names)
        callback_list = self._training_callbacks(callbacks, verbose, val is not None, batch_size=batch_size,
                                                 nb_epoch=nb_epoch, epochs=nb_epoch, nb_sample=n, samples=n)
        val_arrays = None if val is None else val[0] + val[1] + val[2]
        val_token = object()
        # with only the built-in loggers (no callback that could change the model or its
        # data between batches), batch b + 1 is enqueued before batch b's values are read
        in_flight = all(type(c) in (cbks.BaseLogger, cbks.ProgbarLogger, cbks.History) for c in callback_list)
        try:
            callback_list.on_train_begin()
            epoch_arrays, token = arrays, object()  # a token no load returned: load before batch 0
            for epoch in range(initial_epoch, nb_epoch):
                callback_list.on_epoch_begin(epoch)
                if shuffle:
                    order = _shuffled(n, batch_size, shuffle)
                    epoch_arrays = [a[order] for a in arrays]
                    token = data.load(epoch_arrays)
                if data.token is not token:  # first epoch, or a callback used this model's data
                    token = data.load(epoch_arrays)
                if in_flight:
                    self._batches_in_flight(fn, nb_batch, batch_size, n, labels, callback_list)
                else:
                    for b in range(nb_batch):
                        if data.token is not token:  # a callback used this model's data
                            token = data.load(epoch_arrays)
                        _batch_hooks(callback_list, labels, b, min(batch_size, n - b * batch_size),
                                     lambda: fn(b, batch_size))
                epoch_logs = {}
                if val is not None:
                    test_fn, test_data = self._test_function
                    if test_data.token is not val_token:
                        val_token = test_data.load(val_arrays)
                    for label, value in zip(labels, self._averaged(test_fn, test_data, batch_size, 0)):
                        epoch_logs["val_" + label] = value
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            callback_list.on_train_end()
        finally:
            data.release()
            if val is not None:
                self._test_function[1].release()
        return self.history

    def _training_callbacks(self, callbacks, verbose, validate, **params):
        """The callbacks of a training run (loss averaging, the progress bar when verbose,
        the user's, the History it returns) set on this model, with Keras' params."""
        labels = list(self.metrics_names)
        self.history = cbks.History()
        callback_list = cbks.CallbackList([cbks.BaseLogger()] + ([cbks.ProgbarLogger()] if verbose else []) +
                                          list(callbacks or []) + [self.history])
        callback_list.set_model(self)
        self.stop_training = False
        callback_list.set_params(dict(params, verbose=verbose, do_validation=validate,
                                      metrics=labels + (["val_" + label for label in labels] if validate else [])))
        return callback_list

    @staticmethod
    def _batches_in_flight(fn, nb_batch, batch_size, n, labels, callback_list):
        """One epoch's batches with the next one enqueued (Function.call_async) before
        the hooks of the last one run: the host prepares batch b + 1 while the device
        runs batch b. The hooks see every batch's values, in order, as without it."""
        def finish(b, call):
            _batch_hooks(callback_list, labels, b, min(batch_size, n - b * batch_size), call.result)

        last = None
        try:
            for b in range(nb_batch):
                call = fn.call_async(b, batch_size)
                if last is not None:
                    finish(*last)
                last = (b, call)
        except BaseException:
            if last is not None:
                last[1].result()  # (the device is done with this epoch's data)
            raise
        if last is not None:
            finish(*last)

    def _averaged(self, fn, data, batch_size, verbose):
        """The step's outputs averaged over the loaded data, weighted by batch size."""
        n = data.size
        totals = None
        progbar = Progbar(target=n, verbose=verbose) if verbose == 1 else None
        for b in range(-(-n // batch_size)):
            size = min(batch_size, n - b * batch_size)
            outs = np.array([float(o) for o in fn(b, batch_size)])
            totals = outs * size if totals is None else totals + outs * size
            if progbar is not None:
                progbar.update(b * batch_size + size)
        return [float(t) / n for t in totals]

    def evaluate(self, x, y, batch_size=32, verbose=1, sample_weight=None):
        """The loss (and metrics) on (x, y): a float, or a list in metrics_names order."""
        batch_size = _check_batch_size(batch_size, "evaluate")
        xs, ys, ws = self._standardize_user_data(x, y, sample_weight, None, "evaluate")
        fn, data = self._make_test_function()
        data.load(xs + ys + ws)
        try:
            outs = self._averaged(fn, data, batch_size, verbose)
        finally:
            data.release()
        return outs[0] if len(outs) == 1 else outs

    def predict(self, x, batch_size=32, verbose=0):
        """The outputs for x, computed batch by batch in the inference phase."""
        batch_size = _check_batch_size(batch_size, "predict")
        xs = self._standardize_x(x, "predict")
        check_lengths(xs)
        fn, data = self._make_predict_function()
        data.load(xs)
        n = len(xs[0])
        progbar = Progbar(target=n, verbose=verbose) if verbose == 1 else None
        parts = []
        try:
            for b in range(-(-n // batch_size)):
                outs = fn(b, batch_size)
                parts.append(outs)
                if progbar is not None:
                    progbar.update(min(n, (b + 1) * batch_size))
        finally:
            data.release()
        results = [np.concatenate([p[k] for p in parts]) for k in range(len(self.outputs))]
        return results[0] if len(results) == 1 else results

    # -- single batches -------------------------------------------------------------------------------
    def _on_batch(self, make, arrays):
        fn, data = make()
        data.load(arrays)
        outs = fn(0, len(arrays[0]))
        return outs

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One gradient step on (x, y); returns the loss (and metrics)."""
        xs, ys, ws = self._standardize_user_data(x, y, sample_weight, class_weight, "train_on_batch")
        outs = [float(o) for o in self._on_batch(self._make_train_function, xs + ys + ws)]
        return outs[0] if len(outs) == 1 else outs

    def test_on_batch(self, x, y, sample_weight=None):
        xs, ys, ws = self._standardize_user_data(x, y, sample_weight, None, "test_on_batch")
        outs = [float(o) for o in self._on_batch(self._make_test_function, xs + ys + ws)]
        return outs[0] if len(outs) == 1 else outs

    def predict_on_batch(self, x):
        xs = self._standardize_x(x, "predict_on_batch")
        check_lengths(xs)
        outs = self._on_batch(self._make_predict_function, xs)
        return outs[0] if len(outs) == 1 else outs

    # -- inspection and saving ------------------------------------------------------------------------
    def summary(self, line_length=100, positions=(.33, .55, .67, 1.)):
        from .summary import print_summary
        print_summary(self, line_length, positions)

    def to_json(self, **kwargs):
        import json
        from .saving import model_config
        return json.dumps(model_config(self), **kwargs)

    def save_weights(self, filepath, overwrite=True):
        from .saving import save_weights
        save_weights(self, filepath, overwrite)

    def load_weights(self, filepath, by_name=False):
        from .saving import load_weights
        load_weights(self, filepath, by_name)

    def save(self, filepath, overwrite=True):
        from .saving import save_model
        save_model(self, filepath, overwrite)


def _check_batch_size(batch_size, caller):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{caller}: batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _shuffled(n, batch_size, mode):
    """A permutation of the samples; 'batch' shuffles whole batches (Keras 1's mode for
    HDF5 data), keeping the last, partial batch at the end."""
    if mode != "batch":
        return np.random.permutation(n)
    full = n // batch_size
    blocks = np.arange(full * batch_size).reshape(full, batch_size)
    np.random.shuffle(blocks)
    return np.append(blocks.reshape(-1), np.arange(full * batch_size, n))


def slice_X(X, start=None, stop=None):
    """Keras 1's slice_X: rows start:stop (or the rows listed in `start`) of an array or
    of each array of a list."""
    def cut(x):
        if hasattr(start, "__len__"):
            return x[np.asarray(start)]
        return x[start:stop]
    return [cut(x) for x in X] if isinstance(X, list) else cut(X)
