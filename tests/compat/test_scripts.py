"""Scripts in the style of the deeplearning.net tutorials and the Keras 1.2 examples,
run with only `theano` / `keras` import names pointing at clgraph (conftest.py), on
small data made here; each must learn."""
from pathlib import Path

import numpy as np


def script(name):
    """The path of a compatibility script (SdA and DBN reuse dA's and rbm's classes)."""
    return str(Path(__file__).parent / "scripts" / name)


def blobs(rng, n, d=16, k=10, spread=1.0):
    """k Gaussian clusters in d dimensions: (x, integer labels)."""
    centres = rng.normal(size=(k, d)) * 3
    y = rng.integers(0, k, n)
    return (centres[y] + rng.normal(size=(n, d)) * spread).astype("float32"), y


def images(rng, n, side=8, k=10):
    """Noisy copies of k random side x side templates: ((x_train, y_train), (x_test, y_test))."""
    templates = rng.random((k, side, side)) * 2
    y = rng.integers(0, k, n)
    x = (templates[y] + rng.normal(size=(n, side, side)) * 0.3).astype("float32")
    cut = n * 2 // 3 // 20 * 20
    return (x[:cut], y[:cut]), (x[cut:cut + (n - cut) // 20 * 20], y[cut:cut + (n - cut) // 20 * 20])


def binary_images(rng, n, d=24, patterns=4):
    """Noisy copies of a few binary patterns (for the autoencoder and the RBM)."""
    base = rng.random((patterns, d)) < 0.5
    rows = base[rng.integers(0, patterns, n)] ^ (rng.random((n, d)) < 0.05)
    return rows.astype("float32")


def test_logistic_sgd_trains_and_its_pickled_model_predicts(run_script, rng, tmp_path):
    x, y = blobs(rng, 600)
    g = run_script("logistic_sgd.py", DATA=(x[:400], y[:400], x[400:], y[400:]), EPOCHS=5,
                   MODEL_PATH=str(tmp_path / "best_model.pkl"))
    assert g["best"] < 0.1, g["best"]
    assert (g["predicted"] == y[400:]).mean() > 0.9


def test_mlp_with_l1_l2(run_script, rng):
    x, y = blobs(rng, 600, spread=1.5)
    g = run_script("mlp.py", DATA=(x[:400], y[:400], x[400:], y[400:]), EPOCHS=8)
    assert g["test_error"] < 0.1, g["test_error"]


def test_denoising_autoencoder_cost_falls(run_script, rng):
    g = run_script("dA.py", DATA=binary_images(rng, 400), EPOCHS=6)
    costs = g["epoch_costs"]
    assert costs[-1] < 0.8 * costs[0], costs


def test_rbm_with_a_scan_gibbs_chain(run_script, rng):
    g = run_script("rbm.py", DATA=binary_images(rng, 400), EPOCHS=6, CD_K=2)
    costs = g["epoch_costs"]
    assert costs[-1] < 0.85 * costs[0], costs   # the reconstruction cross-entropy


def test_keras_mnist_mlp(run_script, rng):
    x, y = blobs(rng, 900, d=32, spread=1.5)
    g = run_script("mnist_mlp.py", DATA=(x[:600], y[:600], x[600:], y[600:]), EPOCHS=4)
    loss, acc = g["score"]
    assert acc > 0.9, g["score"]
    assert len(g["history"].history["val_acc"]) == 4


def reviews(rng, n):
    """Reviews as word-index sequences of uneven lengths; positive ones hold more of
    words 1-4 (a synthetic IMDB)."""
    xs, ys = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        length = int(rng.integers(5, 20))
        words = rng.integers(5, 20, length)
        marks = rng.random(length) < 0.35
        words[marks] = rng.integers(1, 5, marks.sum()) if label else words[marks]
        xs.append(list(words))
        ys.append(label)
    return xs, np.array(ys)


def test_theano_lstm_tutorial(run_script, rng):
    g = run_script("lstm_tutorial.py", DATA=(reviews(rng, 480), reviews(rng, 160)), EPOCHS=6)
    costs = g["epoch_costs"]
    assert costs[-1] < 0.8 * costs[0] and g["test_acc"] > 0.8, (costs, g["test_acc"])


def test_keras_imdb_lstm(run_script, rng):
    xtr, ytr = reviews(rng, 600)
    xte, yte = reviews(rng, 200)
    g = run_script("imdb_lstm.py", DATA=(xtr, ytr, xte, yte), EPOCHS=6)
    assert g["acc"] > 0.85, (g["score"], g["acc"])


def test_keras_addition_rnn_learns(run_script):
    g = run_script("addition_rnn.py", EPOCHS=15)
    assert g["after"] < 0.8 * g["before"], (g["before"], g["after"])


def test_lenet(run_script, rng):
    g = run_script("lenet.py", DATA=images(rng, 600), EPOCHS=6)
    assert g["test_error"] < 0.1, g["test_error"]


def test_keras_mnist_cnn(run_script, rng):
    g = run_script("mnist_cnn.py", DATA=images(rng, 900), EPOCHS=20)
    loss, acc = g["score"]
    assert acc > 0.9, g["score"]


def binary_classes(rng, n, d=24, k=10):
    """Noisy binary patterns of k classes: ((x_train, y_train), (x_test, y_test))."""
    base = rng.random((k, d)) < 0.5
    y = rng.integers(0, k, n)
    x = (base[y] ^ (rng.random((n, d)) < 0.05)).astype("float32")
    cut = n * 2 // 3 // 20 * 20
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def test_stacked_denoising_autoencoders(run_script, rng):
    g = run_script("SdA.py", DATA=binary_classes(rng, 600), EPOCHS=4, DA_SOURCE=script("dA.py"))
    assert all(c[-1] < c[0] for c in g["pretrain_costs"]), g["pretrain_costs"]
    assert g["test_error"] < 0.15, g["test_error"]


def test_deep_belief_network(run_script, rng):
    g = run_script("DBN.py", DATA=binary_classes(rng, 600), EPOCHS=4, RBM_SOURCE=script("rbm.py"))
    assert all(c[-1] < c[0] for c in g["pretrain_costs"]), g["pretrain_costs"]
    assert g["test_error"] < 0.15, g["test_error"]
