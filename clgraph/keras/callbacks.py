"""Keras 1.2 callbacks: hooks the training loop calls around epochs and batches.

The loop owns a CallbackList, gives it `params` (Keras 1 keys: 'batch_size', 'nb_epoch',
'nb_sample', 'verbose', 'do_validation', 'metrics'; Keras 2's 'epochs' and 'samples'
are read too) and the model, and calls on_train_begin, then per epoch on_epoch_begin,
on_batch_begin/on_batch_end per batch (logs hold 'batch', 'size' and the batch's metric
values) and on_epoch_end (logs hold the epoch's averages, filled in by BaseLogger).
A callback may set `model.stop_training = True` to end training after the epoch.
The model needs, depending on the callback: `stop_training`, `optimizer.lr` (a shared
scalar), `save_weights(path, overwrite=True)` and `save(path, overwrite=True)`.
"""
import csv
import os
import statistics
import time
import warnings
from collections import deque
from collections.abc import Iterable

import numpy as np

from .utils.generic_utils import Progbar


class CallbackList:
    """Calls each hook on every callback in order; warns when batch hooks are slow."""

    def __init__(self, callbacks=None, queue_length=10):
        self.callbacks = list(callbacks or [])
        self.queue_length = queue_length
        self._reset_timing()

    def _reset_timing(self):
        self._delta_t_batch = 0.
        self._delta_ts_batch_begin = deque([], maxlen=self.queue_length)
        self._delta_ts_batch_end = deque([], maxlen=self.queue_length)
        self._t_enter_batch = None

    def append(self, callback):
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def set_params(self, params):
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        for callback in self.callbacks:
            callback.set_model(model)

    def on_epoch_begin(self, epoch, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)
        self._reset_timing()

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        logs = {} if logs is None else logs
        t_before = time.time()
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)
        self._warn_if_slow("on_batch_begin", self._delta_ts_batch_begin, time.time() - t_before)
        self._t_enter_batch = time.time()

    def on_batch_end(self, batch, logs=None):
        logs = {} if logs is None else logs
        if self._t_enter_batch is not None:
            self._delta_t_batch = time.time() - self._t_enter_batch
        t_before = time.time()
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)
        self._warn_if_slow("on_batch_end", self._delta_ts_batch_end, time.time() - t_before)

    def _warn_if_slow(self, hook, deltas, delta):
        """Keras 1: warn when the callbacks take longer than the batch update itself."""
        deltas.append(delta)
        if delta <= 0.1:  # a median above 0.1 s needs slow calls; this check runs per batch
            return
        median = statistics.median(deltas)
        if self._delta_t_batch > 0. and median > 0.95 * self._delta_t_batch and median > 0.1:
            warnings.warn(f"Method {hook}() is slow compared to the batch update ({median:f}). "
                          f"Check your callbacks.", RuntimeWarning)

    def on_train_begin(self, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_end(logs)


class Callback:
    """Base class: every hook does nothing. `model` and `params` are set by the loop."""

    model = None
    params = None
    validation_data = None

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


def _param(params, *names):
    """The first of `names` present in params (Keras 1 and Keras 2 spell some differently)."""
    for name in names:
        if name in params:
            return params[name]
    raise KeyError(f"callback params lack {' / '.join(map(repr, names))}; got {sorted(params)}")


class BaseLogger(Callback):
    """Averages the batch values of params['metrics'] over the epoch, weighted by the batch
    size logs['size'], and writes them into the epoch logs (always the first callback)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        batch_size = logs.get("size", 0)
        self.seen += batch_size
        for k, v in logs.items():
            self.totals[k] = self.totals.get(k, 0) + v * batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for k in self.params.get("metrics", ()):
            if k in self.totals and self.seen:
                logs[k] = self.totals[k] / self.seen


class ProgbarLogger(Callback):
    """Prints 'Epoch i/n' and a Progbar per epoch (verbose 1: the bar, 2: one line)."""

    def on_train_begin(self, logs=None):
        self.verbose = self.params.get("verbose", 1)
        self.nb_epoch = _param(self.params, "nb_epoch", "epochs")
        self.target = _param(self.params, "nb_sample", "samples")

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print("Epoch %d/%d" % (epoch + 1, self.nb_epoch))
            self.progbar = Progbar(target=self.target, verbose=self.verbose)
        self.seen = 0
        self.log_values = []

    def on_batch_begin(self, batch, logs=None):
        if self.target is None or self.seen < self.target:
            self.log_values = []

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.seen += logs.get("size", 0)
        for k in self.params.get("metrics", ()):
            if k in logs:
                self.log_values.append((k, logs[k]))
        # the last batch is drawn by on_epoch_end, together with the validation values
        if self.verbose and (self.target is None or self.seen < self.target):
            self.progbar.update(self.seen, self.log_values)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {k for k, _ in self.log_values}
        for k in self.params.get("metrics", ()):
            # the epoch averages of batch values are the bar's own running averages already;
            # adding them again (Keras 1.2 did) would count the last batch twice
            if k in logs and k not in shown:
                self.log_values.append((k, logs[k]))
        if self.verbose:
            self.progbar.update(self.seen, self.log_values, force=True)


class History(Callback):
    """Records the epoch logs: `epoch` (indices) and `history` (name -> list of values).
    fit() returns it."""

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)


def _monitor_op(owner, monitor, mode):
    """np.less or np.greater for mode 'min'/'max'; 'auto' picks greater for accuracies."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", RuntimeWarning)
        mode = "auto"
    if mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))):
        return np.greater
    return np.less


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved by more than min_delta.

    Keras 1.2's count: training stops at the end of the epoch in which `wait` (epochs
    without improvement before this one) has reached `patience`, i.e. after patience + 1
    epochs without improvement.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto"):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.monitor_op = _monitor_op("EarlyStopping", monitor, mode)
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf

    def on_train_begin(self, logs=None):
        self.wait = 0  # the instance may be reused
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Early stopping requires {self.monitor} available! (logs have "
                          f"{sorted(logs or {})})", RuntimeWarning)
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
        else:
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
            self.wait += 1

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print("Epoch %05d: early stopping" % self.stopped_epoch)


class ModelCheckpoint(Callback):
    """Saves the model (or only its weights) after every `period` epochs.

    `filepath` may hold format fields: `{epoch:02d}` (the 0-based epoch index, as Keras 1)
    and any key of the epoch logs, e.g. 'weights.{epoch:02d}-{val_loss:.2f}.hdf5'.
    With save_best_only, a file is written only when `monitor` improved.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", period=1):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = period
        self.epochs_since_last_save = 0
        self.monitor_op = _monitor_op("ModelCheckpoint", monitor, mode)
        self.best = np.inf if self.monitor_op is np.less else -np.inf

    def _path(self, epoch, logs):
        try:
            return self.filepath.format(**dict(logs, epoch=epoch))
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(f"ModelCheckpoint: cannot format filepath {self.filepath!r} with epoch={epoch} "
                             f"and the log keys {sorted(logs)}: {e!r}") from None

    def _save(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save < self.period:
            return
        self.epochs_since_last_save = 0
        filepath = self._path(epoch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                print("Epoch %05d: saving model to %s" % (epoch, filepath))
            self._save(filepath)
            return
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", RuntimeWarning)
        elif self.monitor_op(current, self.best):
            if self.verbose > 0:
                print("Epoch %05d: %s improved from %0.5f to %0.5f, saving model to %s"
                      % (epoch, self.monitor, self.best, current, filepath))
            self.best = current
            self._save(filepath)
        elif self.verbose > 0:
            print("Epoch %05d: %s did not improve" % (epoch, self.monitor))


class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file: a header 'epoch,<sorted log keys>', then one
    row per epoch. With append, continues an existing file (no second header)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        self.writer, self.keys, self.append_header = None, None, True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self.append_header = not f.readline()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.writer is None:
            self.keys = sorted(logs)
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         delimiter=self.sep, lineterminator="\n")
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _csv_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file, self.writer = None, None


def _csv_value(value):
    """A list-like value as "[a, b]" (Keras); a 0-d array or a number as itself."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, Iterable) and not isinstance(value, str):
        return "[%s]" % ", ".join(map(str, value))
    return value


def _lr_variable(owner, model):
    lr = getattr(getattr(model, "optimizer", None), "lr", None)
    if lr is None or not hasattr(lr, "set_value"):
        raise ValueError(f"{owner}: the model's optimizer must have a shared 'lr' attribute "
                         f"(got {type(lr).__name__})")
    return lr


class LearningRateScheduler(Callback):
    """Sets the optimizer's lr to schedule(epoch) at the start of each epoch."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        lr_var = _lr_variable("LearningRateScheduler", self.model)
        lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
            raise ValueError(f'LearningRateScheduler: the output of the "schedule" function should be a float, '
                             f"got {lr!r} for epoch {epoch}")
        lr_var.set_value(np.float32(lr))


class ReduceLROnPlateau(Callback):
    """Multiplies lr by `factor` when `monitor` has not improved by more than `epsilon`
    for `patience` epochs, then waits `cooldown` epochs; never below `min_lr`. Adds the
    current lr to the epoch logs as 'lr'."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 epsilon=1e-4, cooldown=0, min_lr=0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0 (got {factor})")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.epsilon = epsilon
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode
        self._minimize = _monitor_op("ReduceLROnPlateau", monitor, mode) is np.less
        self._reset()

    def _reset(self):
        if self._minimize:
            self.monitor_op = lambda a, b: np.less(a, b - self.epsilon)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.epsilon)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0
        self.lr_epsilon = self.min_lr * 1e-4

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        lr_var = _lr_variable("ReduceLROnPlateau", self.model)
        logs["lr"] = float(lr_var.get_value())
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning Rate Plateau Reducing requires {self.monitor} available!", RuntimeWarning)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            if self.wait >= self.patience:
                old_lr = float(lr_var.get_value())
                if old_lr > self.min_lr + self.lr_epsilon:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    lr_var.set_value(np.float32(new_lr))
                    if self.verbose > 0:
                        print("Epoch %05d: reducing learning rate to %s." % (epoch, new_lr))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
            self.wait += 1


class LambdaCallback(Callback):
    """A callback from plain functions: on_epoch_begin(epoch, logs), on_epoch_end(epoch,
    logs), on_batch_begin(batch, logs), on_batch_end(batch, logs), on_train_begin(logs),
    on_train_end(logs); the hooks not given do nothing."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_batch_begin": on_batch_begin, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        for name, fn in hooks.items():
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback: {name} must be callable, got {fn!r}")
                setattr(self, name, fn)
