"""compile / fit / evaluate / predict: convergence, exact steps against numpy, partial
batches, sample and class weights, callbacks, one compilation per model, bad input."""
import numpy as np
import pytest

from clgraph.keras import callbacks
from clgraph.keras.engine import training
from clgraph.keras.layers.core import Dense, Dropout
from clgraph.keras.models import Sequential
from clgraph.keras.optimizers import SGD
from clgraph.keras.utils.np_utils import to_categorical


def blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.standard_normal((n, 20)) + np.where(y[:, None] == 1, 0.6, -0.6)
    return x.astype("float32"), to_categorical(y, 2)


def seed_model():
    model = Sequential()
    model.add(Dense(64, input_dim=20, init='uniform', activation='tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(64, init='uniform', activation='tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(2, init='uniform', activation='softmax'))
    sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd, metrics=['accuracy'])
    return model


def test_seed_model_trains_once_compiled(monkeypatch):
    compiled = []
    real = training._function
    monkeypatch.setattr(training, "_function", lambda *a, **k: compiled.append(k["name"]) or real(*a, **k))
    X, Y = blobs(500)
    model = seed_model()
    history = model.fit(X[:400], Y[:400], nb_epoch=4, batch_size=16, validation_split=0.1, verbose=0)
    assert history is model.history and history.epoch == [0, 1, 2, 3]
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_acc"][-1] >= 0.9
    model.fit(X[:400], Y[:400], epochs=1, batch_size=50, verbose=0)   # another batch size: same step
    loss, acc = model.evaluate(X[400:], Y[400:], batch_size=16, verbose=0)
    assert acc >= 0.9 and loss < 0.1
    proba = model.predict(X[400:], batch_size=7)
    assert proba.shape == (100, 2) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.predict_classes(X[400:410]), proba[:10].argmax(1))
    assert [n.rsplit(".", 1)[1] for n in compiled] == ["train", "test", "predict"]


def linear_model(lr=0.1, loss="mse", units=2, activation="linear", metrics=None):
    model = Sequential([Dense(units, input_dim=3, activation=activation)])
    model.compile(loss=loss, optimizer=SGD(lr=lr), metrics=metrics)
    return model


def np_mse_grads(W, b, x, y, w=None):
    """Keras 1's weighted MSE: sum(w * mean((xW + b - y)^2, -1)) / count(w != 0)."""
    w = np.ones(len(x)) if w is None else w
    p = x @ W + b
    score = ((p - y) ** 2).mean(1)
    denom = max((w != 0).sum(), 1e-7 * len(w))
    loss = (score * w).sum() / denom
    gp = 2 * (p - y) / y.shape[1] * w[:, None] / denom
    return loss, x.T @ gp, gp.sum(0)


def test_fit_steps_match_numpy_with_a_partial_last_batch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 3)).astype("float32")
    y = rng.standard_normal((7, 2)).astype("float32")
    model = linear_model()
    W, b = [a.astype(np.float64) for a in model.get_weights()]
    seen = []
    log = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(dict(logs)))
    model.fit(x, y, batch_size=3, nb_epoch=1, shuffle=False, verbose=0, callbacks=[log])
    losses = []
    for lo, hi in [(0, 3), (3, 6), (6, 7)]:
        loss, gW, gb = np_mse_grads(W, b, x[lo:hi], y[lo:hi])
        losses.append(loss)
        W, b = W - 0.1 * gW, b - 0.1 * gb
    got_W, got_b = model.get_weights()
    np.testing.assert_allclose(got_W, W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-6)
    assert [(s["batch"], s["size"]) for s in seen] == [(0, 3), (1, 3), (2, 1)]
    np.testing.assert_allclose([s["loss"] for s in seen], losses, rtol=1e-5)
    assert model.history.history["loss"] == [pytest.approx(sum(l * n for l, n in zip(losses, [3, 3, 1])) / 7)]


def test_sample_and_class_weights_weight_the_loss_like_keras():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3)).astype("float32")
    labels = np.array([0, 1, 1, 0, 1, 0])
    y = to_categorical(labels, 2)
    model = linear_model()
    W, b = [a.astype(np.float64) for a in model.get_weights()]
    sw = np.array([1., 0., 2., 0.5, 0., 3.], "float32")
    np_loss = np_mse_grads(W, b, x, y, sw)[0]
    plain = np_mse_grads(W, b, x, y)[0]
    assert abs(np_loss - plain) > 0.01  # the weights matter here
    assert model.test_on_batch(x, y, sample_weight=sw) == pytest.approx(np_loss, rel=1e-5)
    # evaluate averages the per-batch weighted losses by batch size, as Keras 1
    per_batch = [np_mse_grads(W, b, x[i:i + 4], y[i:i + 4], sw[i:i + 4])[0] for i in (0, 4)]
    assert model.evaluate(x, y, batch_size=4, sample_weight=sw, verbose=0) == \
        pytest.approx((per_batch[0] * 4 + per_batch[1] * 2) / 6, rel=1e-5)
    # class_weight = the sample weight of each sample's class; the step uses it
    cw = {0: 0.25, 1: 2.0}
    loss, gW, gb = np_mse_grads(W, b, x, y, np.array([cw[c] for c in labels]))
    assert model.train_on_batch(x, y, class_weight=cw) == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], W - 0.1 * gW, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"class_weight.*no weight for class\(es\) \[1\]"):
        model.train_on_batch(x, y, class_weight={0: 1.})
    with pytest.raises(ValueError, match="6 samples"):
        model.fit(x, y, sample_weight=sw[:5], verbose=0)


def test_on_batch_methods_and_metrics_match_numpy():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3)).astype("float32")
    labels = np.array([0, 1, 1, 0, 1])
    model = linear_model(loss="categorical_crossentropy", activation="softmax", metrics=["accuracy"])
    assert model.metrics_names == ["loss", "acc"]
    W, b = model.get_weights()
    z = x.astype(np.float64) @ W + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict_on_batch(x), p, rtol=1e-5)
    loss, acc = model.test_on_batch(x, to_categorical(labels, 2))
    assert loss == pytest.approx(-np.log(p[np.arange(5), labels]).mean(), rel=1e-5)
    assert acc == pytest.approx(np.mean(p.argmax(1) == labels))


def test_callbacks_history_early_stopping_and_verbose_output(capsys):
    x, y = blobs(40)
    model = Sequential([Dense(2, input_dim=20, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.), metrics=["accuracy"])
    stop = callbacks.EarlyStopping(monitor="loss", patience=0)
    epochs = []
    history = model.fit(x, y, batch_size=16, nb_epoch=5, verbose=2, callbacks=[
        stop, callbacks.LambdaCallback(on_epoch_end=lambda e, logs: epochs.append(sorted(logs)))])
    assert history.epoch == [0, 1]           # lr = 0: no improvement, stop after the second epoch
    assert epochs == [["acc", "loss"], ["acc", "loss"]]
    out = capsys.readouterr().out
    assert "Epoch 1/5" in out and "Epoch 2/5" in out and "Epoch 3/5" not in out and "- loss: " in out
    model.fit(x, y, batch_size=16, nb_epoch=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_bad_input_names_layer_and_argument_and_changes_nothing():
    x, y = blobs(32)
    model = Sequential()
    model.add(Dense(4, input_dim=20, name="dense_in"))
    model.add(Dense(2, activation="softmax", name="dense_out"))
    with pytest.raises(RuntimeError, match="compile the model before fit"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="Unknown loss 'mean_sqared_error'"):
        model.compile(loss="mean_sqared_error", optimizer="sgd")
    with pytest.raises(ValueError, match="Unknown optimizer 'sgdd'"):
        model.compile(loss="mse", optimizer="sgdd")
    model.compile(loss="mse", optimizer="sgd")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Dense 'dense_in': expected input with 20 features \(shape \(None, 20\)\), "
                                         r"got array of shape \(32, 19\)"):
        model.fit(x[:, :19], y, verbose=0)
    with pytest.raises(ValueError, match=r"Dense 'dense_out': expected target with 2 features.*\(32, 3\)"):
        model.fit(x, np.zeros((32, 3)), verbose=0)
    with pytest.raises(ValueError, match="same number of samples; found input 32, target 30"):
        model.fit(x, y[:30], verbose=0)
    with pytest.raises(TypeError, match="expected a numeric input array.*dtype <U"):
        model.fit(np.full((32, 20), "a"), y, verbose=0)
    with pytest.raises(ValueError, match=r"Dense 'dense_in': expected input of rank 2.*shape \(20,\)"):
        model.predict(x[0])
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=(x[:4], y[:4, :1]), verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.fit(x, y, batch_size=0, verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_regularizers_and_constraints_reach_the_loss_and_the_updates():
    from clgraph.keras import regularizers
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 3)).astype("float32")
    y = rng.standard_normal((4, 2)).astype("float32")
    layer = Dense(2, input_dim=3, W_regularizer=regularizers.l2(0.1), activity_regularizer=regularizers.l1(0.01),
                  W_constraint="nonneg")
    model = Sequential([layer])
    model.compile(loss="mse", optimizer=SGD(lr=1.))
    W, b = [a.astype(np.float64) for a in model.get_weights()]
    out = x @ W + b
    want = np.mean((out - y) ** 2) + 0.1 * np.sum(W ** 2) + 0.01 * np.abs(out).sum() / len(x)
    assert model.test_on_batch(x, y) == pytest.approx(want, rel=1e-5)
    model.train_on_batch(x, y)
    assert model.get_weights()[0].min() >= 0 and (model.get_weights()[0] == 0).any()


def test_temporal_sample_weights_on_a_sequence_output():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 2)).astype("float32")       # (samples, timesteps, features)
    y = rng.standard_normal((3, 4, 1)).astype("float32")
    model = Sequential([Dense(1, input_shape=(4, 2))])
    model.compile(loss="mae", optimizer="sgd", sample_weight_mode="temporal")
    W, b = model.get_weights()
    sw = np.array([[1, 1, 0, 0], [2, 0, 0, 0], [1, 1, 1, 1]], "float32")
    score = np.abs(x @ W + b - y)[..., 0]
    want = (score * sw).sum() / (sw != 0).sum()
    assert model.test_on_batch(x, y, sample_weight=sw) == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match="expected 2D weights"):
        model.test_on_batch(x, y, sample_weight=sw[:, 0])


def test_batches_in_flight_train_as_the_plain_loop():
    """With only the built-in loggers, fit enqueues batch b + 1 before reading batch b;
    with any other callback it runs batch by batch. Both give the same weights and the
    same per-batch values to the callbacks, in order."""
    X, Y = blobs(203, seed=3)  # 12 full batches of 16 and a partial one
    results = []
    for plain in (False, True):
        np.random.seed(0)
        model = Sequential()
        model.add(Dense(8, input_dim=20, activation='tanh'))
        model.add(Dense(2, activation='softmax'))
        model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.2, momentum=0.9), metrics=['accuracy'])
        if results:
            model.set_weights(results[0][0])
        start = model.get_weights()
        seen = []
        logger = callbacks.BaseLogger()
        logger.on_batch_end = lambda batch, logs: seen.append((batch, logs["loss"], logs["acc"]))
        cbs = [logger] + ([callbacks.LambdaCallback()] if plain else [])
        if not plain:  # a BaseLogger alone keeps the in-flight loop
            assert all(type(c) in (callbacks.BaseLogger,) for c in cbs)
        history = model.fit(X, Y, batch_size=16, nb_epoch=2, shuffle=False, verbose=0, callbacks=cbs)
        results.append((start, model.get_weights(), seen, history.history["loss"]))
    (start_a, w_a, seen_a, loss_a), (start_b, w_b, seen_b, loss_b) = results
    for a, b in zip(start_a, start_b):
        np.testing.assert_array_equal(a, b)
    assert [s[0] for s in seen_a] == list(range(13)) * 2 == [s[0] for s in seen_b]
    np.testing.assert_allclose([s[1:] for s in seen_a], [s[1:] for s in seen_b], rtol=1e-6)
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-6)
    for a, b in zip(w_a, w_b):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
