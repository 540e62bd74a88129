"""Keras 1's Lambda layer: calls, output shapes, training through it, and loaders that
never run code from a file unless told to (safe_mode)."""
import numpy as np
import pytest

from clgraph.keras import backend as K
from clgraph.keras.layers import Dense, Input, Lambda
from clgraph.keras.models import Model, Sequential, load_model, model_from_json


def double_and_add(x, extra=0.0):
    """A module-level function: saved by name."""
    return 2 * x + extra


def test_a_lambda_applies_its_function_and_shapes(rng):
    x = Input(shape=(4,))
    sq = Lambda(lambda t: t ** 2)(x)
    assert sq._keras_shape == (None, 4)
    halves = Lambda(lambda t: t[:, :2], output_shape=(2,))(x)
    assert halves._keras_shape == (None, 2)
    both = Lambda(lambda t: K.concatenate([t, t]), output_shape=lambda s: (s[0], 2 * s[1]))(x)
    assert both._keras_shape == (None, 8)
    shifted = Lambda(double_and_add, arguments={"extra": 1.0})(x)
    model = Model(x, [sq, halves, both, shifted])
    xv = rng.normal(size=(3, 4)).astype("float32")
    a, b, c, d = model.predict(xv)
    np.testing.assert_allclose(a, xv ** 2, rtol=1e-6)
    np.testing.assert_allclose(b, xv[:, :2])
    np.testing.assert_allclose(c, np.concatenate([xv, xv], 1))
    np.testing.assert_allclose(d, 2 * xv + 1, rtol=1e-6)


def test_training_through_a_lambda(rng):
    model = Sequential([Dense(8, input_dim=3), Lambda(lambda t: K.relu(t) * 0.5), Dense(1)])
    model.compile("sgd", "mse")
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x[:, :1] * 2
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, nb_epoch=20, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * before


def test_loaders_refuse_code_from_the_file_unless_told(rng, tmp_path):
    model = Sequential([Dense(3, input_dim=2), Lambda(lambda t: t * 3.0, name="triple")])
    text = model.to_json()
    with pytest.raises(ValueError, match="Lambda layer 'triple'.*bytecode.*safe_mode=False"):
        model_from_json(text)
    again = model_from_json(text, safe_mode=False)
    again.set_weights(model.get_weights())
    xv = rng.normal(size=(4, 2)).astype("float32")
    np.testing.assert_allclose(again.predict(xv), model.predict(xv), rtol=1e-6)
    path = str(tmp_path / "m.h5")
    model.compile("sgd", "mse")
    model.save(path)
    with pytest.raises(ValueError, match="triple"):
        load_model(path)
    np.testing.assert_allclose(load_model(path, safe_mode=False).predict(xv), model.predict(xv), rtol=1e-6)


def test_a_named_function_loads_from_custom_objects_without_safe_mode_off(rng):
    model = Sequential([Dense(2, input_dim=2), Lambda(double_and_add, name="dbl")])
    text = model.to_json()
    with pytest.raises(ValueError, match="importing its module"):
        model_from_json(text)
    loaded = model_from_json(text, custom_objects={"double_and_add": double_and_add})
    loaded.set_weights(model.get_weights())
    xv = rng.normal(size=(3, 2)).astype("float32")
    np.testing.assert_allclose(loaded.predict(xv), model.predict(xv), rtol=1e-6)
    assert model_from_json(text, safe_mode=False).layers[-1].function is double_and_add
