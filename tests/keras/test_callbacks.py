"""Keras 1.2 callbacks, driven by a fake model through the loop shape of Keras 1's fit."""
import csv
import sys

import numpy as np
import pytest

import clgraph
from clgraph.keras import callbacks as cbks
from clgraph.keras.utils import generic_utils


class FakeOptimizer:
    def __init__(self, lr):
        self.lr = clgraph.shared(np.float32(lr), name="lr")


class FakeModel:
    """What callbacks touch: stop_training, optimizer.lr, save_weights and save."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(lr)
        self.saved = []

    def save_weights(self, path, overwrite=False):
        self.saved.append(("save_weights", path, overwrite))

    def save(self, path, overwrite=False):
        self.saved.append(("save", path, overwrite))


def fit(callbacks, epochs, model=None, params=None, batches=((4, {"loss": 1.0}),)):
    """Keras 1's _fit_loop without the numbers: `batches` is a list of (size, logs) run in
    every epoch; `epochs` a list of the epoch logs (e.g. validation values) per epoch.
    Returns the model and the epoch logs as the callbacks left them."""
    model = model or FakeModel()
    cl = cbks.CallbackList(callbacks)
    cl.set_model(model)
    cl.set_params(params or {"metrics": ["loss", "val_loss"], "verbose": 0, "nb_epoch": len(epochs),
                             "nb_sample": sum(size for size, _ in batches), "batch_size": 4})
    model.stop_training = False
    cl.on_train_begin()
    all_logs = []
    for epoch, val_logs in enumerate(epochs):
        cl.on_epoch_begin(epoch)
        for i, (size, logs) in enumerate(batches):
            batch_logs = {"batch": i, "size": size}
            cl.on_batch_begin(i, batch_logs)
            batch_logs.update(logs)
            cl.on_batch_end(i, batch_logs)
        epoch_logs = dict(val_logs)
        cl.on_epoch_end(epoch, epoch_logs)
        all_logs.append(epoch_logs)
        if model.stop_training:
            break
    cl.on_train_end()
    return model, all_logs


class Recorder(cbks.Callback):
    def __init__(self, tag, calls):
        super().__init__()
        self.tag, self.calls = tag, calls

    def on_train_begin(self, logs=None):
        self.calls.append((self.tag, "train_begin", self.params["nb_epoch"], self.model is not None))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append((self.tag, "epoch_begin", epoch))

    def on_batch_begin(self, batch, logs=None):
        self.calls.append((self.tag, "batch_begin", batch, logs["size"]))

    def on_batch_end(self, batch, logs=None):
        self.calls.append((self.tag, "batch_end", batch, logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((self.tag, "epoch_end", epoch, dict(logs)))

    def on_train_end(self, logs=None):
        self.calls.append((self.tag, "train_end"))


def test_hooks_fire_in_order_for_every_callback_in_turn():
    calls = []
    lam = cbks.LambdaCallback(on_epoch_end=lambda epoch, logs: calls.append(("L", "epoch_end", epoch)),
                              on_train_end=lambda logs: calls.append(("L", "train_end")))
    fit([Recorder("A", calls), lam, Recorder("B", calls)], [{"val_loss": 0.5}],
        batches=[(4, {"loss": 1.0}), (2, {"loss": 3.0})])
    assert calls == [
        ("A", "train_begin", 1, True), ("B", "train_begin", 1, True),
        ("A", "epoch_begin", 0), ("B", "epoch_begin", 0),
        ("A", "batch_begin", 0, 4), ("B", "batch_begin", 0, 4),
        ("A", "batch_end", 0, 1.0), ("B", "batch_end", 0, 1.0),
        ("A", "batch_begin", 1, 2), ("B", "batch_begin", 1, 2),
        ("A", "batch_end", 1, 3.0), ("B", "batch_end", 1, 3.0),
        ("A", "epoch_end", 0, {"val_loss": 0.5}), ("L", "epoch_end", 0), ("B", "epoch_end", 0, {"val_loss": 0.5}),
        ("A", "train_end"), ("L", "train_end"), ("B", "train_end")]
    with pytest.raises(TypeError, match="on_batch_end must be callable"):
        cbks.LambdaCallback(on_batch_end=3)


def test_base_logger_averages_weighted_by_batch_size_and_history_records():
    history = cbks.History()
    batches = [(4, {"loss": 1.0, "acc": 0.25, "other": 9.0}), (4, {"loss": 2.0, "acc": 0.5, "other": 9.0}),
               (2, {"loss": 4.0, "acc": 1.0, "other": 9.0})]
    params = {"metrics": ["loss", "acc", "val_loss"], "verbose": 0, "nb_epoch": 2, "nb_sample": 10}
    _, logs = fit([cbks.BaseLogger(), history], [{"val_loss": 0.7}, {"val_loss": 0.6}], params=params,
                  batches=batches)
    want = {"loss": (4 * 1 + 4 * 2 + 2 * 4) / 10, "acc": (4 * .25 + 4 * .5 + 2 * 1.) / 10}
    assert logs[0] == pytest.approx(dict(want, val_loss=0.7))  # 'other' is not a metric
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [2.0, 2.0], "acc": [0.5, 0.5], "val_loss": [0.7, 0.6]}  # exact sums


def run_early_stopping(values, monitor="val_loss", **kwargs):
    es = cbks.EarlyStopping(monitor=monitor, **kwargs)
    _, logs = fit([es], [{monitor: v} for v in values])
    return len(logs), es


def test_early_stopping_patience_min_delta_and_mode():
    # Keras 1.2 counts: stop once `wait` (earlier epochs without improvement) reaches patience
    n, es = run_early_stopping([1.0, 0.9, 0.95, 0.92, 0.91, 0.85], patience=1)
    assert n == 4 and es.stopped_epoch == 3
    assert run_early_stopping([1.0, 0.9, 0.95, 0.92, 0.91, 0.85], patience=3)[0] == 6
    assert run_early_stopping([1.0, 0.96, 0.5], patience=0)[0] == 3
    assert run_early_stopping([1.0, 0.96, 0.5], patience=0, min_delta=0.05)[0] == 2  # 0.04 is too little
    assert run_early_stopping([0.5, 0.6, 0.55, 0.7], monitor="val_acc", patience=0)[0] == 3  # auto -> max
    assert run_early_stopping([0.5, 0.6, 0.55, 0.7], monitor="score", mode="max", patience=0)[0] == 3
    assert run_early_stopping([0.5, 0.6, 0.55, 0.7], monitor="score", patience=0)[0] == 2  # auto -> min
    with pytest.warns(RuntimeWarning, match="mode 'lowest' is unknown"):
        cbks.EarlyStopping(mode="lowest")


def test_early_stopping_warns_when_the_monitored_value_is_missing(capsys):
    with pytest.warns(RuntimeWarning, match="Early stopping requires val_loss available"):
        model, logs = fit([cbks.EarlyStopping(patience=0, verbose=1)], [{"loss": 1.0}, {"loss": 2.0}])
    assert len(logs) == 2 and not model.stop_training
    run_early_stopping([1.0, 2.0, 3.0], patience=0, verbose=1)
    assert capsys.readouterr().out == "Epoch 00001: early stopping\n"


def test_model_checkpoint_best_only_with_formatted_names(tmp_path):
    pattern = str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5")
    ck = cbks.ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True)
    model, _ = fit([ck], [{"val_loss": v} for v in (0.5, 0.6, 0.4, 0.4)])
    assert model.saved == [("save_weights", str(tmp_path / "w.00-0.50.h5"), True),
                           ("save_weights", str(tmp_path / "w.02-0.40.h5"), True)]
    ck = cbks.ModelCheckpoint(tmp_path / "best.h5", monitor="val_acc", save_best_only=True)  # auto -> max
    model, _ = fit([ck], [{"val_acc": v} for v in (0.5, 0.6, 0.4)])
    assert model.saved == [("save", str(tmp_path / "best.h5"), True)] * 2


def test_model_checkpoint_period_and_errors(tmp_path, capsys):
    ck = cbks.ModelCheckpoint(str(tmp_path / "m{epoch}.h5"), period=2, verbose=1)
    model, _ = fit([ck], [{"val_loss": 1.0}] * 5)
    assert [s[:2] for s in model.saved] == [("save", str(tmp_path / "m1.h5")), ("save", str(tmp_path / "m3.h5"))]
    assert capsys.readouterr().out.splitlines()[0] == "Epoch 00001: saving model to %s" % (tmp_path / "m1.h5")
    with pytest.warns(RuntimeWarning, match="Can save best model only with val_loss available"):
        model, _ = fit([cbks.ModelCheckpoint(str(tmp_path / "x.h5"), save_best_only=True)], [{"loss": 1.0}])
    assert model.saved == []
    with pytest.raises(ValueError, match=r"cannot format filepath .*\{val_acc\}.* log keys \['val_loss'\]"):
        fit([cbks.ModelCheckpoint(str(tmp_path / "{val_acc}.h5"))], [{"val_loss": 1.0}])


def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    epochs = [{"val_loss": 0.5, "loss": 1.0, "acc": np.float32(0.25)}, {"val_loss": 0.25, "loss": 0.5, "acc": 0.5}]
    fit([cbks.CSVLogger(str(path))], epochs)
    assert path.read_text() == "epoch,acc,loss,val_loss\n0,0.25,1.0,0.5\n1,0.5,0.5,0.25\n"
    fit([cbks.CSVLogger(str(path), append=True)], epochs[:1])  # no second header
    assert path.read_text().splitlines()[-2:] == ["1,0.5,0.5,0.25", "0,0.25,1.0,0.5"]
    path2 = tmp_path / "semi.csv"
    fit([cbks.CSVLogger(path2, separator=";")], [{"loss": np.array(2.0), "ranks": [1, 2]}])
    with open(path2, newline="") as f:
        assert list(csv.reader(f, delimiter=";")) == [["epoch", "loss", "ranks"], ["0", "2.0", "[1, 2]"]]


def test_learning_rate_scheduler_sets_float32_lr():
    seen = []
    sched = cbks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    spy = cbks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.lr.get_value()))
    model = FakeModel(lr=1.0)
    fit([sched, spy], [{}] * 3, model=model)
    assert seen == [np.float32(0.1), np.float32(0.05), np.float32(0.1 / 3)]
    assert model.optimizer.lr.get_value().dtype == np.float32
    with pytest.raises(ValueError, match='"schedule" function should be a float'):
        fit([cbks.LearningRateScheduler(lambda e: "fast")], [{}])
    model.optimizer = object()
    with pytest.raises(ValueError, match="must have a shared 'lr' attribute"):
        fit([cbks.LearningRateScheduler(lambda e: 0.1)], [{}], model=model)


def test_reduce_lr_on_plateau_patience_cooldown_and_min_lr():
    model = FakeModel(lr=1.0)
    history = cbks.History()
    rl = cbks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    _, logs = fit([rl, history], [{"val_loss": 1.0}] * 9, model=model)
    # Keras 1.2: reduce when wait reached patience; the cooldown epoch resets wait
    assert history.history["lr"] == pytest.approx([1, 1, 1, .5, .5, .25, .25, .2, .2])
    assert model.optimizer.lr.get_value() == np.float32(0.2)
    model = FakeModel(lr=1.0)
    fit([cbks.ReduceLROnPlateau(factor=0.5, patience=0)], [{"val_loss": v} for v in (1., .9, .8, .7)],
        model=model)
    assert model.optimizer.lr.get_value() == np.float32(1.0)  # improving every epoch
    fit([cbks.ReduceLROnPlateau(factor=0.5, patience=0, epsilon=0.2)], [{"val_loss": v} for v in (1., .9)],
        model=model)
    assert model.optimizer.lr.get_value() == np.float32(0.5)  # 0.1 < epsilon: no improvement at epoch 1
    with pytest.raises(ValueError, match="factor >= 1.0"):
        cbks.ReduceLROnPlateau(factor=1.5)
    with pytest.warns(RuntimeWarning, match="requires val_loss available"):
        fit([cbks.ReduceLROnPlateau()], [{"loss": 1.0}])


def test_progbar_logger_output(monkeypatch, capsys):
    monkeypatch.setattr(generic_utils, "_now", lambda: 50.0)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    params = {"metrics": ["loss", "val_loss"], "verbose": 1, "nb_epoch": 2, "nb_sample": 10}
    batches = [(4, {"loss": 1.0}), (4, {"loss": 2.0}), (2, {"loss": 5.0})]  # epoch average 2.2
    fit([cbks.BaseLogger(), cbks.ProgbarLogger()], [{"val_loss": 0.5}, {"val_loss": 0.25}], params=params,
        batches=batches)
    bar = "10/10 [" + "=" * 30 + "] - 0s - loss: %.4f - val_loss: %.4f"
    assert capsys.readouterr().out == ("Epoch 1/2\n" + bar % (2.2, 0.5) + "\nEpoch 2/2\n" + bar % (2.2, 0.25) + "\n")
    params = {"metrics": ["loss"], "verbose": 2, "epochs": 1, "samples": 10}  # Keras 2 keys
    fit([cbks.ProgbarLogger()], [{}], params=params, batches=batches)
    assert capsys.readouterr().out == "Epoch 1/1\n0s - loss: 2.2000\n"  # the bar's own running average


def test_callback_list_warns_when_batch_hooks_are_slower_than_the_batch(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(cbks, "time", type("FakeTime", (), {"time": staticmethod(lambda: now[0])}))

    class SlowBatchEnd(cbks.Callback):
        def on_batch_end(self, batch, logs=None):
            now[0] += 0.5  # the hook takes 0.5 s, the batch update 0.2 s

    cl = cbks.CallbackList([SlowBatchEnd()])
    cl.on_epoch_begin(0)
    with pytest.warns(RuntimeWarning, match=r"on_batch_end\(\) is slow compared to the batch update \(0.5"):
        for i in range(2):
            cl.on_batch_begin(i)
            now[0] += 0.2
            cl.on_batch_end(i)
