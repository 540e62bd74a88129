"""The functional API: several inputs and outputs, per-output losses, nested and shared
layers, and graph errors."""
import numpy as np
import pytest

from clgraph.keras.layers import Dense, Input, merge
from clgraph.keras.models import Model, Sequential
from clgraph.keras.optimizers import SGD


def two_in_two_out():
    a, b = Input(shape=(3,), name="in_a"), Input(shape=(2,), name="in_b")
    h = merge([Dense(4, activation="tanh", name="ha")(a), Dense(4, activation="tanh", name="hb")(b)],
              mode="concat", name="joined")
    flag = Dense(1, activation="sigmoid", name="flag")(h)
    kind = Dense(3, activation="softmax", name="kind")(h)
    return Model(input=[a, b], output=[flag, kind], name="two")


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    xa = rng.standard_normal((n, 3)).astype("float32")
    xb = rng.standard_normal((n, 2)).astype("float32")
    flag = (xa[:, 0] + xb[:, 0] > 0).astype("float32")[:, None]
    kind = np.eye(3, dtype="float32")[(xa[:, 1] > 0).astype(int) + (xb[:, 1] > 0.5)]
    return xa, xb, flag, kind


def test_two_inputs_two_outputs_losses_metrics_and_training():
    model = two_in_two_out()
    assert [la.name for la in model.layers] == ["in_a", "in_b", "ha", "hb", "joined", "flag", "kind"]
    assert model.input_names == ["in_a", "in_b"] and model.output_names == ["flag", "kind"]
    model.compile(optimizer=SGD(lr=0.5, momentum=0.5),
                  loss={"flag": "binary_crossentropy", "kind": "categorical_crossentropy"},
                  loss_weights=[1., 0.5], metrics=["accuracy"])
    assert model.metrics_names == ["loss", "flag_loss", "kind_loss", "flag_acc", "kind_acc"]
    xa, xb, flag, kind = data(64)
    p_flag, p_kind = model.predict([xa, xb], batch_size=10)
    assert p_flag.shape == (64, 1) and p_kind.shape == (64, 3)
    bce = -np.mean(flag * np.log(p_flag) + (1 - flag) * np.log(1 - p_flag))
    cce = -np.mean(np.log(p_kind[kind == 1]))
    got = model.evaluate({"in_a": xa, "in_b": xb}, {"flag": flag, "kind": kind}, batch_size=64, verbose=0)
    np.testing.assert_allclose(got, [bce + 0.5 * cce, bce, cce, np.mean((p_flag > 0.5) == flag),
                                     np.mean(p_kind.argmax(1) == kind.argmax(1))], rtol=2e-5)
    history = model.fit([xa, xb], [flag, kind], batch_size=16, nb_epoch=15, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0]
    assert history.history["flag_acc"][-1] > 0.8 and history.history["kind_acc"][-1] > 0.7


def test_nested_and_shared_layers():
    inner = Sequential([Dense(3, input_dim=2, activation="relu", name="inner_dense")], name="inner")
    shared = Dense(1, name="shared")
    x1, x2 = Input(shape=(2,)), Input(shape=(2,))
    y = merge([shared(inner(x1)), shared(inner(x2))], mode="sum")
    model = Model([x1, x2], y)
    assert len(model.trainable_weights) == 4 and model.count_params() == 9 + 4
    W, b = inner.get_weights()
    Ws, bs = shared.get_weights()
    rng = np.random.default_rng(1)
    v1, v2 = rng.standard_normal((4, 2)).astype("float32"), rng.standard_normal((4, 2)).astype("float32")
    f = lambda v: np.maximum(v @ W + b, 0) @ Ws + bs  # noqa: E731
    np.testing.assert_allclose(model.predict([v1, v2]), f(v1) + f(v2), rtol=1e-5, atol=1e-6)
    model.compile(loss="mse", optimizer="sgd")
    model.train_on_batch([v1, v2], np.ones((4, 1), "float32"))
    assert not np.array_equal(inner.get_weights()[0], W)   # training reaches the nested model


def test_graph_errors():
    a, b = Input(shape=(2,), name="ga"), Input(shape=(2,), name="gb")
    y = merge([Dense(2)(a), Dense(2)(b)], mode="sum")
    with pytest.raises(ValueError, match="graph disconnected.*'gb'"):
        Model(a, y)
    with pytest.raises(TypeError, match="must come from Input"):
        Model(y, y)
    c = Input(shape=(2,), name="gc")
    z = Dense(2, name="dup")(Dense(2, name="dup")(c))
    with pytest.raises(ValueError, match="'dup' is used by 2 layers"):
        Model(c, z)
    model = Model([a, b], y)
    with pytest.raises(ValueError, match=r"compile\(loss=...\): unknown output name"):
        model.compile(loss={"nope": "mse"}, optimizer="sgd")
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(ValueError, match=r"2 input\(s\) \['ga', 'gb'\], got a list of 1"):
        model.predict([np.zeros((1, 2))])
