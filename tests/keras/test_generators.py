"""fit_generator / evaluate_generator / predict_generator as Keras 1 (and Keras 2's
steps arguments): the same numbers as the array methods on the same batches."""
import numpy as np
import pytest

from clgraph.keras.callbacks import Callback
from clgraph.keras.layers import Dense
from clgraph.keras.models import Sequential


def batches(x, y, size, weights=None):
    while True:
        for k in range(0, len(x), size):
            item = (x[k:k + size], y[k:k + size])
            yield item if weights is None else item + (weights[k:k + size],)


def model_pair(rng):
    def make():
        m = Sequential([Dense(4, input_dim=3, activation="tanh"), Dense(1)])
        m.compile("sgd", "mse", metrics=["mae"])
        return m
    a, b = make(), make()
    b.set_weights(a.get_weights())
    return a, b


def test_fit_generator_matches_fit_on_the_same_batches(rng):
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x[:, :1] - x[:, 1:2]).astype("float32")
    by_gen, by_fit = model_pair(rng)
    seen = []

    class Sizes(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["size"])
    hist = by_gen.fit_generator(batches(x, y, 10), samples_per_epoch=40, nb_epoch=3, verbose=0,
                                callbacks=[Sizes()], validation_data=(x, y))
    by_fit.fit(x, y, batch_size=10, nb_epoch=3, verbose=0, shuffle=False)
    np.testing.assert_allclose(by_gen.predict(x), by_fit.predict(x), rtol=1e-5, atol=1e-6)
    assert seen == [10] * 12, seen
    assert len(hist.history["loss"]) == 3 and "val_mean_absolute_error" in hist.history
    assert hist.history["val_loss"][-1] == pytest.approx(by_gen.evaluate(x, y, verbose=0)[0], rel=1e-5)


def test_keras_2_steps_and_generator_validation(rng):
    x = rng.normal(size=(30, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model, _ = model_pair(rng)
    hist = model.fit_generator(batches(x, y, 5), steps_per_epoch=6, epochs=2, verbose=0,
                               validation_data=batches(x, y, 10), validation_steps=3)
    assert len(hist.history["val_loss"]) == 2
    loss, mae = model.evaluate_generator(batches(x, y, 7), val_samples=30)   # batches of 7, 7, 7, 7, 2
    want = model.evaluate(x, y, batch_size=7, verbose=0)
    assert loss == pytest.approx(want[0], rel=1e-5) and mae == pytest.approx(want[1], rel=1e-5)
    pred = model.predict_generator((x[k:k + 10] for k in range(0, 30, 10)), steps=3)
    np.testing.assert_allclose(pred, model.predict(x), rtol=1e-6)


def test_sample_weights_and_errors(rng):
    x = rng.normal(size=(20, 3)).astype("float32")
    y = rng.normal(size=(20, 1)).astype("float32")
    w = np.linspace(0.1, 2, 20).astype("float32")
    a, b = model_pair(rng)
    a.fit_generator(batches(x, y, 10, w), samples_per_epoch=20, nb_epoch=1, verbose=0)
    b.fit(x, y, batch_size=10, nb_epoch=1, verbose=0, shuffle=False, sample_weight=w)
    np.testing.assert_allclose(a.predict(x), b.predict(x), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="stopped"):
        a.fit_generator(iter([(x, y)]), samples_per_epoch=40, verbose=0)
    with pytest.raises(ValueError, match="tuples"):
        a.fit_generator(iter([x]), samples_per_epoch=20, verbose=0)
    with pytest.raises(ValueError, match="steps"):
        a.evaluate_generator(batches(x, y, 5))
