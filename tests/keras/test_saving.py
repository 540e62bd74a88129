"""Weights and models on disk: round trips, atomic writes, mismatch errors, JSON."""
import json
import os

import numpy as np
import pytest

from clgraph.keras.engine import saving
from clgraph.keras.layers import Dense, Dropout, Input, merge
from clgraph.keras.models import Model, Sequential, load_model, model_from_json
from clgraph.keras.optimizers import SGD


def mlp(hidden=5, name=None):
    model = Sequential(name=name)
    model.add(Dense(hidden, input_dim=3, activation="relu", W_regularizer="l2"))
    model.add(Dropout(0.3))
    model.add(Dense(2, activation="softmax"))
    return model


def test_get_set_weights_round_trip_and_errors():
    a, b = mlp(), mlp()
    weights = a.get_weights()
    assert [w.shape for w in weights] == [(3, 5), (5,), (5, 2), (2,)]
    b.set_weights(weights)
    for x, y in zip(b.get_weights(), weights):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="list of 3 arrays, the model has 4 weights"):
        b.set_weights(weights[:3])
    with pytest.raises(ValueError, match=r"Dense '.*': weight '.*_W' has shape \(5, 2\).*\(2, 5\)"):
        b.set_weights(weights[:2] + [weights[2].T, weights[3]])


def test_save_weights_load_weights_round_trip_and_mismatch(tmp_path):
    path = tmp_path / "w.h5"
    a = mlp()
    a.save_weights(str(path))
    import h5py
    with h5py.File(path, "r") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
        assert names == [la.name for la in a.layers]
        assert [n.decode() for n in f[names[0]].attrs["weight_names"]] == [f"{names[0]}_W", f"{names[0]}_b"]
    b = mlp()
    b.load_weights(str(path))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    c = mlp(hidden=6)
    before = c.get_weights()
    with pytest.raises(ValueError, match=r"Dense '.*' expects weights of shapes \[\(3, 6\), \(6,\)\], but the "
                                         r"file's layer '.*' holds \[\(3, 5\), \(5,\)\]"):
        c.load_weights(str(path))
    for w, v in zip(c.get_weights(), before):
        np.testing.assert_array_equal(w, v)          # nothing was loaded
    d = Sequential([Dense(5, input_dim=3)])
    with pytest.raises(ValueError, match="file holds weights for 2 layers, the model has 1"):
        d.load_weights(str(path))


def test_writes_are_atomic(tmp_path, monkeypatch):
    path = tmp_path / "w.h5"
    model = mlp()
    model.save_weights(str(path))
    original = path.read_bytes()

    def broken(group, model):
        group.create_group("partial")
        raise OSError("disk full")
    monkeypatch.setattr(saving, "_write_weights", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(str(path))
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["w.h5"]           # no temporary file left behind
    monkeypatch.undo()
    with pytest.raises(FileExistsError):
        model.save_weights(str(path), overwrite=False)


def test_save_and_load_model_restores_training_state(tmp_path):
    x = np.random.default_rng(1).standard_normal((8, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[[0, 1] * 4]
    model = mlp()
    model.layers[1].p = 0.                              # deterministic steps for the comparison
    model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.1, momentum=0.9), metrics=["accuracy"])
    model.train_on_batch(x, y)                          # momentum is now non-zero
    path = str(tmp_path / "m.h5")
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is Sequential and loaded.metrics_names == ["loss", "acc"]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.train_on_batch(x, y) == pytest.approx(model.train_on_batch(x, y), rel=1e-6)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # same momentum, same step


def test_json_round_trip_sequential_and_functional():
    model = mlp()
    config = json.loads(model.to_json())
    assert config["class_name"] == "Sequential"
    assert config["config"][0]["config"]["batch_input_shape"] == [None, 3]
    assert config["config"][0]["config"]["W_regularizer"] == {"name": "L1L2Regularizer", "l1": 0.0,
                                                             "l2": pytest.approx(0.01)}
    clone = model_from_json(model.to_json())
    assert [type(la).__name__ for la in clone.layers] == ["Dense", "Dropout", "Dense"]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert clone.layers[1].p == 0.3 and clone.layers[0].activation.__name__ == "relu"
    assert clone.layers[0].W_regularizer.l2 == np.float32(0.01)

    a, b = Input(shape=(3,), name="ja"), Input(shape=(3,), name="jb")
    shared = Dense(2, name="jshared")
    out = merge([shared(a), shared(b)], mode="concat", name="jcat")
    functional = Model([a, b], [out, shared(a)], name="jmodel")
    rebuilt = model_from_json(functional.to_json())
    assert rebuilt.get_config() == functional.get_config()
    assert len(rebuilt.get_layer("jshared").inbound_nodes) == 3
    with pytest.raises(ValueError, match="Unknown layer class 'Evil'"):
        model_from_json(json.dumps({"class_name": "Evil", "config": {}}))
