"""Keras 1's backend tensor functions (clgraph.keras.backend): values against numpy
versions of Keras 1.2's Theano backend, K.function, gradients, variables."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.keras import backend as K


def run(expr, *pairs):
    """expr evaluated with K.function for (placeholder, value) pairs."""
    f = K.function([p for p, _ in pairs], [expr])
    return f([v for _, v in pairs])[0]


@pytest.fixture
def xv(rng):
    return rng.normal(size=(4, 5)).astype("float32")


@pytest.mark.parametrize("k_fn,np_fn", [
    (lambda x: K.sum(x, axis=1), lambda x: x.sum(1)),
    (lambda x: K.sum(x, axis=[0, 1], keepdims=True), lambda x: x.sum((0, 1), keepdims=True)),
    (lambda x: K.mean(x, axis=0), lambda x: x.mean(0)),
    (lambda x: K.std(x, axis=1), lambda x: x.std(1)),
    (lambda x: K.var(x), lambda x: x.var()),
    (lambda x: K.max(x, axis=1), lambda x: x.max(1)), (lambda x: K.min(x, axis=0), lambda x: x.min(0)),
    (lambda x: K.prod(x, axis=1), lambda x: x.prod(1)),
    (lambda x: K.argmax(x), lambda x: x.argmax(-1)), (lambda x: K.argmin(x, axis=0), lambda x: x.argmin(0)),
    (lambda x: K.any(K.greater(x, 1.5), axis=1), lambda x: (x > 1.5).any(1)),
    (lambda x: K.all(K.greater(x, -1.5), axis=1), lambda x: (x > -1.5).all(1)),
    (lambda x: K.cumsum(x, axis=1), lambda x: np.cumsum(x, 1)),
    (K.square, np.square), (K.abs, np.abs), (lambda x: K.sqrt(x), lambda x: np.sqrt(np.clip(x, 0, None))),
    (lambda x: K.exp(x), np.exp), (lambda x: K.log(K.abs(x) + 1), lambda x: np.log(np.abs(x) + 1)),
    (K.sign, np.sign), (lambda x: K.pow(x, 3), lambda x: x ** 3),
    (lambda x: K.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
    (lambda x: K.maximum(x, 0.2), lambda x: np.maximum(x, 0.2)),
    (lambda x: K.relu(x, alpha=0.1, max_value=1.0), lambda x: np.minimum(np.where(x > 0, x, 0.1 * x), 1.0)),
    (K.tanh, np.tanh), (K.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (K.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)), (K.softplus, lambda x: np.log1p(np.exp(x))),
    (K.softmax, lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (lambda x: K.l2_normalize(x, axis=1), lambda x: x / np.sqrt((x ** 2).sum(1, keepdims=True))),
    (lambda x: K.concatenate([x, x * 2]), lambda x: np.concatenate([x, 2 * x], -1)),
    (lambda x: K.reshape(x, (2, 10)), lambda x: x.reshape(2, 10)),
    (lambda x: K.permute_dimensions(x, (1, 0)), lambda x: x.T),
    (lambda x: K.expand_dims(x, 1), lambda x: x[:, None]),
    (lambda x: K.squeeze(K.expand_dims(x, 1), 1), lambda x: x),
    (K.batch_flatten, lambda x: x.reshape(4, -1)), (K.flatten, lambda x: x.ravel()),
    (lambda x: K.repeat(x, 3), lambda x: np.repeat(x[:, None], 3, axis=1)),
    (lambda x: K.repeat_elements(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1)),
    (lambda x: K.tile(x, (1, 2)), lambda x: np.tile(x, (1, 2))),
    (lambda x: K.stack([x, x], axis=1), lambda x: np.stack([x, x], 1)),
    (lambda x: K.switch(K.greater(x, 0), x, -x), np.abs),
    (lambda x: K.dot(x, K.transpose(x)), lambda x: x @ x.T),
    (lambda x: K.batch_dot(x, x, axes=1), lambda x: (x * x).sum(1, keepdims=True)),
    (lambda x: K.temporal_padding(K.expand_dims(x, 2), 1)[:, :, 0],
     lambda x: np.pad(x, ((0, 0), (1, 1)))),
    (lambda x: K.categorical_crossentropy(K.softmax(x), K.softmax(x * 0)),
     lambda x: -(np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True)) / x.shape[1]).sum(1)),
])
def test_tensor_functions_as_keras_1(xv, k_fn, np_fn):
    x = K.placeholder(ndim=2)
    got = run(k_fn(x), (x, xv))
    np.testing.assert_allclose(got, np_fn(xv.astype(np.float64)), rtol=2e-5, atol=1e-5)


def test_batch_dot_of_rank_3_and_gather(rng):
    a, b = K.placeholder(ndim=3), K.placeholder(ndim=3)
    av, bv = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 4, 5)).astype("float32")
    np.testing.assert_allclose(run(K.batch_dot(a, b), (a, av), (b, bv)), np.einsum("bij,bjk->bik", av, bv),
                               rtol=1e-5)
    ref, idx = K.placeholder(ndim=2), K.placeholder(ndim=1, dtype="int32")
    rv = rng.normal(size=(6, 3)).astype("float32")
    np.testing.assert_allclose(run(K.gather(ref, idx), (ref, rv), (idx, np.array([4, 0, 4], "int32"))),
                               rv[[4, 0, 4]])


def test_variables_function_updates_and_gradients():
    w = K.variable(np.array([1.0, 2.0]), name="w")
    assert w.dtype == K.floatx() and K.count_params(w) == 2 and K.eval(w).tolist() == [1.0, 2.0]
    x = K.placeholder(shape=(None, 2))
    loss = K.sum(K.square(K.dot(x, w)))
    g = K.gradients(loss, [w])[0]
    step = K.function([x, K.learning_phase()], [loss], updates=[K.update_sub(w, 0.1 * g)])
    xv = np.array([[1.0, 1.0]], "float32")
    (before,) = step([xv, 1])     # (the learning phase value is ignored: the graph's phase is fixed)
    assert before == pytest.approx(9.0)
    np.testing.assert_allclose(K.get_value(w), [1.0 - 0.1 * 6, 2.0 - 0.1 * 6], rtol=1e-6)
    K.set_value(w, [0.0, 0.0])
    K.batch_set_value([(w, [3.0, 4.0])])
    assert K.batch_get_value([w])[0].tolist() == [3.0, 4.0]
    assert K.eval(K.zeros((2, 3))).shape == (2, 3) and K.eval(K.ones((2,))).tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(K.eval(K.eye(3)), np.eye(3))


def test_stop_gradient_blocks_the_gradient():
    x = T.fscalar("x")
    y = x * x + K.stop_gradient(x * x)
    f = clgraph.function([x], [y, clgraph.grad(y, x)])
    value, slope = f(3.0)
    assert value == pytest.approx(18.0) and slope == pytest.approx(6.0)


def test_random_draws_have_the_asked_moments():
    f = K.function([], [K.random_normal((20000,), mean=2.0, std=0.5, seed=3),
                        K.random_uniform((20000,), low=-1.0, high=3.0, seed=4),
                        K.random_binomial((20000,), p=0.25, seed=5)])
    normal, uniform, binomial = f([])
    assert normal.dtype == np.float32 and abs(normal.mean() - 2.0) < 0.02 and abs(normal.std() - 0.5) < 0.02
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.05
    assert abs(binomial.mean() - 0.25) < 0.02
