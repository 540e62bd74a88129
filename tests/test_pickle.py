"""Pickling as Theano (issue 17, item 2): shared variables with their values, symbolic
graphs, compiled functions (compiled again when unpickled), Keras models."""
import pickle

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.ops.scalar import cast_op, elu_op, relu_op, scalar_op_of_key
from clgraph.tensor.random import RandomStreams


def roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


def test_a_shared_variable_travels_with_its_value(rng):
    v = rng.normal(size=(3, 1)).astype("float32")
    W = clgraph.shared(v, name="W", broadcastable=(False, True))
    W2 = roundtrip(W)
    assert W2 is not W and W2.name == "W" and W2.broadcastable == (False, True) and W2.dtype == "float32"
    np.testing.assert_array_equal(W2.get_value(), v)
    W2.set_value(v * 2)                       # a buffer of its own
    np.testing.assert_array_equal(W.get_value(), v)


def test_a_graph_pickles_and_compiles_to_the_same_values(rng):
    x = T.fmatrix("x")
    W = clgraph.shared(rng.normal(size=(4, 3)).astype("float32"), name="W")
    y = T.nnet.relu(T.dot(x, W)) + T.cast(T.gt(x[:, :3], 0), "float32") + T.nnet.elu(x[:, 1:4], 0.5)
    x2, y2 = roundtrip([x, y])
    xv = rng.normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(clgraph.function([x2], y2)(xv), clgraph.function([x], y)(xv), rtol=1e-6)


def test_a_compiled_function_pickles_with_its_state(rng):
    """An SGD step over givens minibatches with a dropout mask and a default input: the
    unpickled function goes on from the pickled weights and random stream exactly as
    the original does."""
    data = clgraph.shared(rng.normal(size=(20, 4)).astype("float32"))
    W = clgraph.shared(rng.normal(size=(4, 3)).astype("float32"), name="W")
    x, i = T.fmatrix("x"), T.lscalar("i")
    srng = RandomStreams(3)
    p = T.nnet.softmax(T.dot(x * srng.binomial(x.shape, p=0.9, dtype="float32"), W))
    cost = -T.mean(T.log(p[:, 0])) + 0.01 * (W ** 2).sum()
    f = clgraph.function([clgraph.In(i, value=0)], cost, updates=[(W, W - 0.1 * clgraph.grad(cost, W))],
                         givens={x: data[i * 5:(i + 1) * 5]})
    f(0), f(1)
    g = roundtrip(f)
    for k in (2, 3, 0):
        np.testing.assert_allclose(g(k), f(k), rtol=1e-6)
    np.testing.assert_allclose(g(), f(), rtol=1e-6)     # the default index


def test_loops_and_convolutions_pickle(rng):
    from clgraph.tensor.signal.pool import pool_2d
    W = clgraph.shared(rng.normal(size=(3, 3)).astype("float32"))
    seq, h0 = T.fmatrix("seq"), T.fvector("h0")
    hs, _ = clgraph.scan(lambda s, h: T.tanh(s + T.dot(h, W)), sequences=seq, outputs_info=h0)
    img = T.tensor4("img")
    F = clgraph.shared(rng.normal(size=(2, 1, 3, 3)).astype("float32"))
    f = clgraph.function([seq, h0, img], [hs[-1], pool_2d(T.nnet.conv2d(img, F), (2, 2), ignore_border=True)])
    g = roundtrip(f)
    args = (rng.normal(size=(5, 3)).astype("float32"), np.zeros(3, "float32"),
            rng.normal(size=(2, 1, 8, 8)).astype("float32"))
    for a, b in zip(f(*args), g(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_keras_model_pickles_and_trains_on(rng):
    from clgraph.keras.layers import Dense
    from clgraph.keras.models import Sequential
    from clgraph.keras.optimizers import SGD
    model = Sequential([Dense(5, input_dim=3, activation="relu"), Dense(2, activation="softmax")])
    model.compile(SGD(lr=0.1, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    x = rng.random((16, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]
    model.fit(x, y, nb_epoch=1, batch_size=8, verbose=0)
    copy = roundtrip(model)
    np.testing.assert_allclose(copy.predict(x), model.predict(x), rtol=1e-6)
    model.fit(x, y, nb_epoch=2, batch_size=8, verbose=0, shuffle=False)
    copy.fit(x, y, nb_epoch=2, batch_size=8, verbose=0, shuffle=False)   # momentum state travelled too
    np.testing.assert_allclose(copy.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)


def test_elementwise_ops_unpickle_by_key():
    for op in (cast_op("int8"), elu_op(0.3), relu_op(0.0), relu_op(0.2)):
        assert roundtrip(op) == op and roundtrip(op).key == op.key
    with pytest.raises(pickle.PicklingError, match="no elementwise op"):
        scalar_op_of_key(("no such family", 1))
