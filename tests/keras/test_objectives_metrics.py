"""Losses and metrics against numpy formulas, their stability, and the accuracy choice."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.gradient import verify_grad
from clgraph.keras import activations, losses, metrics, objectives

EPS = 1e-7


def np_softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


NUMPY_LOSSES = {
    "mean_squared_error": lambda t, p: np.mean((p - t) ** 2, -1),
    "mean_absolute_error": lambda t, p: np.mean(np.abs(p - t), -1),
    "mean_absolute_percentage_error": lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1),
    "mean_squared_logarithmic_error": lambda t, p: np.mean(
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, -1),
    "hinge": lambda t, p: np.mean(np.maximum(1 - t * p, 0), -1),
    "squared_hinge": lambda t, p: np.mean(np.maximum(1 - t * p, 0) ** 2, -1),
    "binary_crossentropy": lambda t, p: np.mean(
        -(t * np.log(np.clip(p, EPS, 1 - EPS)) + (1 - t) * np.log(1 - np.clip(p, EPS, 1 - EPS))), -1),
    "categorical_crossentropy": lambda t, p: -np.sum(
        t * np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)), -1),
    "kullback_leibler_divergence": lambda t, p: np.sum(
        np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1)), -1),
    "poisson": lambda t, p: np.mean(p - t * np.log(p + EPS), -1),
    "cosine_proximity": lambda t, p: -np.mean(
        t / np.linalg.norm(t, axis=-1, keepdims=True) * p / np.linalg.norm(p, axis=-1, keepdims=True), -1),
}


def test_every_loss_against_numpy_in_one_function():
    rng = np.random.default_rng(0)
    t = rng.uniform(0.05, 1, (4, 3)).astype("float32")
    p = rng.uniform(0.05, 1, (4, 3)).astype("float32")
    yt, yp = T.matrix("t"), T.matrix("p")
    names = sorted(NUMPY_LOSSES)
    got = clgraph.function([yt, yp], [objectives.get(n)(yt, yp) for n in names])(t, p)
    for name, value in zip(names, got):
        want = NUMPY_LOSSES[name](t.astype(np.float64), p.astype(np.float64))
        assert value.shape == (4,), name
        np.testing.assert_allclose(value, want, rtol=2e-5, atol=1e-6, err_msg=name)


def test_aliases_and_losses_module():
    assert objectives.get("mse") is objectives.mean_squared_error
    assert losses.get("mae") is objectives.mean_absolute_error
    assert losses.kld is objectives.kullback_leibler_divergence
    with pytest.raises(ValueError, match="Unknown loss 'mean_square_error'"):
        objectives.get("mean_square_error")


def test_crossentropies_on_softmax_and_sigmoid_use_logits():
    """Far-out logits: the loss is finite and exact (no clipping at 1e-7)."""
    z = np.array([[60., 0., -60.], [0., 1., 2.]], "float32")
    onehot = np.array([[0., 0., 1.], [1., 0., 0.]], "float32")
    labels = np.array([[2.], [0.]], "float32")
    logits, yt, ys = T.matrix("z"), T.matrix("t"), T.matrix("s")
    cce = objectives.categorical_crossentropy(yt, activations.softmax(logits))
    scce = objectives.sparse_categorical_crossentropy(ys, activations.softmax(logits))
    f = clgraph.function([logits, yt, ys], [cce, scce])
    got_cce, got_scce = f(z, onehot, labels)
    zz = z.astype(np.float64)
    want = -(zz - zz.max(1, keepdims=True) - np.log(np.exp(zz - zz.max(1, keepdims=True)).sum(1, keepdims=True)))
    want = want[[0, 1], [2, 0]]
    np.testing.assert_allclose(got_cce, want, rtol=1e-5)
    np.testing.assert_allclose(got_scce, want, rtol=1e-5)
    assert got_cce[0] > 100  # clipping would have capped it at -log(1e-7) = 16.1

    x, bt = T.matrix("x"), T.matrix("bt")
    bce = objectives.binary_crossentropy(bt, activations.sigmoid(x))
    xv = np.array([[40., -40., 0.5]], "float32")
    tv = np.array([[0., 1., 1.]], "float32")
    got = clgraph.function([x, bt], bce)(xv, tv)
    softplus = lambda v: np.logaddexp(0, v)  # noqa: E731
    want = np.mean(tv * softplus(-xv.astype(np.float64)) + (1 - tv) * softplus(xv.astype(np.float64)), -1)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_sparse_categorical_crossentropy_on_probabilities_and_3d():
    rng = np.random.default_rng(1)
    p = np_softmax(rng.standard_normal((2, 3, 4))).astype("float32")
    labels = rng.integers(0, 4, (2, 3, 1)).astype("float32")
    yt, yp = T.tensor3("t"), T.tensor3("p")
    got = clgraph.function([yt, yp], objectives.sparse_categorical_crossentropy(yt, yp))(labels, p)
    want = -np.log(np.take_along_axis(p.astype(np.float64), labels.astype(int), -1))[..., 0]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_loss_gradients_through_softmax_logits():
    rng = np.random.default_rng(2)
    onehot = np.eye(3)[[0, 2]]
    verify_grad(lambda z: objectives.categorical_crossentropy(T.constant(onehot), activations.softmax(z)),
                [rng.standard_normal((2, 3))], rng=rng)
    verify_grad(lambda p: objectives.squared_hinge(T.constant(np.array([[1., -1.]])), p),
                [np.array([[0.3, 0.2]])], rng=rng)


def test_metrics_against_numpy():
    rng = np.random.default_rng(3)
    pred = np.array([[.9, .1, .0, .0], [.1, .6, .0, .3], [.2, .3, .5, .0],   # rows 1 and 2: the target
                     [.1, .7, .1, .1], [.3, .2, .4, .1], [.1, .2, .3, .4]],   # is second: top-2 only
                    "float32")
    classes = np.array([0, 3, 1, 1, 2, 0])
    onehot = np.eye(4, dtype="float32")[classes]
    sparse = classes[:, None].astype("float32")
    binary_t = (rng.uniform(0, 1, (6, 4)) > 0.5).astype("float32")
    yt, ys, yb, yp = T.matrix("t"), T.matrix("s"), T.matrix("b"), T.matrix("p")
    outs = [metrics.categorical_accuracy(yt, yp), metrics.sparse_categorical_accuracy(ys, yp),
            metrics.binary_accuracy(yb, yp), metrics.top_k_categorical_accuracy(yt, yp, k=2)]
    got = clgraph.function([yt, ys, yb, yp], outs)(onehot, sparse, binary_t, pred)
    rank = (pred > pred[np.arange(6), classes][:, None]).sum(1)
    want = [np.mean(pred.argmax(1) == classes), np.mean(pred.argmax(1) == classes),
            np.mean(binary_t == np.round(pred)), np.mean(rank < 2)]
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and g.shape == ()
        np.testing.assert_allclose(g, w, rtol=1e-6)
    assert want[0] == 0.5 and want[3] == 5 / 6


def test_accuracy_is_chosen_by_loss_and_output_shape():
    assert metrics.accuracy_for(objectives.mean_squared_error, (None, 1)) is metrics.binary_accuracy
    assert metrics.accuracy_for(objectives.binary_crossentropy, (None, 5)) is metrics.binary_accuracy
    assert metrics.accuracy_for(objectives.sparse_categorical_crossentropy, (None, 5)) is \
        metrics.sparse_categorical_accuracy
    assert metrics.accuracy_for(objectives.categorical_crossentropy, (None, 5)) is metrics.categorical_accuracy
    assert metrics.get("mse") is objectives.mean_squared_error
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'"):
        metrics.get("acuracy")
