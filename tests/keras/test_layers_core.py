"""Core layers: forward results against numpy, shapes, gradients, argument errors."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.gradient import verify_grad
from clgraph.keras import backend as K
from clgraph.keras.layers import Input, merge
from clgraph.keras.layers.core import Activation, Dense, Dropout, Flatten, Permute, RepeatVector, Reshape


def run(inputs, output, *arrays):
    return clgraph.function(inputs, output)(*arrays)


def test_dense_forward_and_shapes():
    rng = np.random.default_rng(0)
    x = Input(shape=(5,))
    layer = Dense(3, activation="tanh", name="d")
    y = layer(x)
    assert y._keras_shape == (None, 3) and layer.output_shape == (None, 3)
    W, b = layer.get_weights()
    assert W.shape == (5, 3) and b.shape == (3,) and W.dtype == np.float32
    np.testing.assert_array_equal(b, 0)
    b = rng.standard_normal(3).astype("float32")
    layer.set_weights([W, b])
    xv = rng.standard_normal((4, 5)).astype("float32")
    np.testing.assert_allclose(run([x], y, xv), np.tanh(xv @ W + b), rtol=1e-5, atol=1e-6)
    assert [w.name for w in layer.trainable_weights] == ["d_W", "d_b"]
    assert layer.count_params() == 18


def test_dense_keras2_names_and_no_bias():
    layer = Dense(units=4, kernel_initializer="one", use_bias=False, input_shape=(2,))
    assert layer.batch_input_shape == (None, 2)
    y = layer(Input(shape=(2,)))
    (W,) = layer.get_weights()
    np.testing.assert_array_equal(W, np.ones((2, 4)))
    xv = np.array([[1., 2.]], "float32")
    np.testing.assert_allclose(run([layer.input], y, xv), [[3., 3., 3., 3.]])
    with pytest.raises(TypeError, match="not both"):
        Dense(3, units=3)


def test_dense_on_3d_input_applies_to_last_axis():
    rng = np.random.default_rng(1)
    x = Input(shape=(2, 4))
    layer = Dense(3)
    y = layer(x)
    assert y._keras_shape == (None, 2, 3)
    W, b = layer.get_weights()
    xv = rng.standard_normal((3, 2, 4)).astype("float32")
    np.testing.assert_allclose(run([x], y, xv), xv @ W + b, rtol=1e-5, atol=1e-6)


def test_dense_gradients_wrt_input_and_weights():
    layer = Dense(3, activation="tanh")
    layer(Input(shape=(4,)))
    rng = np.random.default_rng(2)

    def fn(x, W, b):
        layer.W, layer.b = W, b
        return layer.call(x)

    try:
        verify_grad(fn, [rng.standard_normal((2, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)],
                    rng=rng)
    finally:
        layer.W, layer.b = layer.trainable_weights


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "hard_sigmoid", "linear", "elu", "softplus",
                                  "softsign", "softmax"])
def test_activations_against_numpy(name):
    def np_softmax(v):
        e = np.exp(v - v.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    reference = {
        "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "hard_sigmoid": lambda v: np.clip(0.2 * v + 0.5, 0, 1), "linear": lambda v: v,
        "elu": lambda v: np.where(v > 0, v, np.exp(v) - 1), "softplus": lambda v: np.log1p(np.exp(v)),
        "softsign": lambda v: v / (1 + np.abs(v)), "softmax": np_softmax}[name]
    xv = np.array([[-3., -0.5, 0., 0.4, 2.5], [1., 2., 3., -4., 0.1]], "float32")
    x = Input(shape=(5,))
    y = Activation(name)(x)
    np.testing.assert_allclose(run([x], y, xv), reference(xv.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_unknown_activation_names_the_layer():
    with pytest.raises(ValueError, match=r"Dense 'dense_x'.*activation.*'tanhh'"):
        Dense(3, activation="tanhh", name="dense_x")
    with pytest.raises(ValueError, match="Unknown activation function 'nope'"):
        Activation("nope")


def test_dropout_scales_in_training_and_is_identity_at_test():
    x = Input(shape=(2000,))
    layer = Dropout(0.25)
    y_test = layer(x)                      # the call on a Keras tensor builds the test graph
    with K.learning_phase_scope(1):
        y_train = layer.call(x)
    xv = np.ones((3, 2000), "float32")
    np.testing.assert_array_equal(run([x], y_test, xv), xv)
    f = clgraph.function([x], y_train)
    a, b = f(xv), f(xv)
    for out in (a, b):
        assert set(np.unique(out)) <= {0., np.float32(1 / 0.75)}
        assert abs((out == 0).mean() - 0.25) < 0.02
    assert not np.array_equal(a, b)        # the stream advances on the device
    with pytest.raises(ValueError, match=r"p \(rate\) must be a number in \[0, 1\)"):
        Dropout(1.0)
    assert Dropout(rate=0.5).p == 0.5


def test_flatten_reshape_permute_repeatvector_forward():
    rng = np.random.default_rng(3)
    x = Input(shape=(2, 3, 4))
    flat = Flatten()(x)
    resh = Reshape((4, -1))(x)
    perm = Permute((3, 1, 2))(x)
    v = Input(shape=(3,))
    rep = RepeatVector(2)(v)
    assert flat._keras_shape == (None, 24) and resh._keras_shape == (None, 4, 6)
    assert perm._keras_shape == (None, 4, 2, 3) and rep._keras_shape == (None, 2, 3)
    xv = rng.standard_normal((5, 2, 3, 4)).astype("float32")
    vv = rng.standard_normal((5, 3)).astype("float32")
    f = clgraph.function([x, v], [flat, resh, perm, rep])
    got = f(xv, vv)
    np.testing.assert_array_equal(got[0], xv.reshape(5, 24))
    np.testing.assert_array_equal(got[1], xv.reshape(5, 4, 6))
    np.testing.assert_array_equal(got[2], xv.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(got[3], np.repeat(vv[:, None, :], 2, axis=1))


def test_shape_layer_gradients():
    rng = np.random.default_rng(4)
    rep, perm, resh = RepeatVector(3), Permute((2, 1)), Reshape((6,))
    verify_grad(lambda v: perm.call(resh.call(rep.call(v)).reshape((-1, 3, 2))) * 1.0,
                [rng.standard_normal((2, 2))], rng=rng)


def test_shape_layer_errors_name_the_layer():
    x = Input(shape=(3, 4))
    with pytest.raises(ValueError, match=r"Reshape 'r1'.*\(None, 3, 4\).*\(5, 2\)"):
        Reshape((5, 2), name="r1")(x)
    with pytest.raises(ValueError, match="Permute 'p1'.*permutation"):
        Permute((1, 3), name="p1")
    with pytest.raises(ValueError, match="Flatten 'f1'.*not fully defined"):
        Flatten(name="f1")(Input(shape=(None, 4)))
    with pytest.raises(ValueError, match="RepeatVector 'rv'.*rank 2"):
        RepeatVector(2, name="rv")(x)
    with pytest.raises(TypeError, match="keyword argument not understood: 'units_'"):
        Dense(3, units_=4)
    with pytest.raises(TypeError, match="not a Keras tensor"):
        Dense(3)(T.matrix())


def test_dense_rejects_input_with_other_feature_count():
    layer = Dense(2, name="shared_dense")
    layer(Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"Dense 'shared_dense': expected input with 4 features.*\(None, 5\)"):
        layer(Input(shape=(5,)))


def test_merge_modes_against_numpy():
    rng = np.random.default_rng(5)
    a, b = Input(shape=(3,)), Input(shape=(3,))
    outs = [merge([a, b], mode=m) for m in ("sum", "mul", "ave", "max", "concat")]
    assert outs[-1]._keras_shape == (None, 6)
    av, bv = rng.standard_normal((2, 3)).astype("float32"), rng.standard_normal((2, 3)).astype("float32")
    got = clgraph.function([a, b], outs)(av, bv)
    for g, want in zip(got, [av + bv, av * bv, (av + bv) / 2, np.maximum(av, bv), np.concatenate([av, bv], 1)]):
        np.testing.assert_allclose(g, want, rtol=1e-6)
    with pytest.raises(ValueError, match="one shape"):
        merge([a, Input(shape=(4,))], mode="sum")
    with pytest.raises(ValueError, match="unknown mode"):
        merge([a, b], mode="avg")


def test_layer_weights_argument_and_set_weights_errors():
    W = np.arange(6, dtype="float32").reshape(3, 2)
    layer = Dense(2, weights=[W, np.ones(2, "float32")], name="dw")
    layer(Input(shape=(3,)))
    np.testing.assert_array_equal(layer.get_weights()[0], W)
    with pytest.raises(ValueError, match=r"Dense 'dw'.*list of 1 arrays.*2 weights"):
        layer.set_weights([W])
    with pytest.raises(ValueError, match=r"Dense 'dw': weight 'dw_W' has shape \(3, 2\).*\(2, 3\)"):
        layer.set_weights([W.T, np.ones(2)])
    np.testing.assert_array_equal(layer.get_weights()[0], W)
