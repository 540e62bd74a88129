"""Sequence layers (recurrent, embeddings, wrappers, Masking): values against numpy
implementations of the Keras equations with the same weights (both return_sequences,
go_backwards, masks), LSTM against torch.nn.LSTM, gradients, masked losses,
Bidirectional and TimeDistributed, stateful layers, what one LSTM step launches, Keras 2
spellings, summary and saving round trips, errors."""
import json

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.keras import backend as K
from clgraph.keras.layers import (GRU, LSTM, Bidirectional, Dense, Embedding, Input, Masking, SimpleRNN,
                                  TimeDistributed)
from clgraph.keras.models import Model, Sequential, load_model, model_from_json
from clgraph.keras.optimizers import SGD, Adam
from opcheck import check_grad

TOL = dict(rtol=2e-5, atol=2e-6)


def f32(a):
    return np.asarray(a, dtype="float32")


# -- numpy references of the Keras equations -------------------------------------------------------

def np_hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0., 1.)


def np_sigmoid(x):
    return 1. / (1. + np.exp(-x))


def np_loop(step, x, n_states, u, mask=None, go_backwards=False):
    """Keras' rnn(): the states after each step in processing order; a masked step keeps
    the states. x (batch, time, features) in float64; mask (batch, time) or None."""
    batch, steps = x.shape[:2]
    states = [np.zeros((batch, u)) for _ in range(n_states)]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outs = []
    for t in order:
        new = step(x[:, t], *states)
        if mask is not None:
            keep = mask[:, t][:, None] > 0
            new = [np.where(keep, a, b) for a, b in zip(new, states)]
        states = new
        outs.append(states[0])
    return np.stack(outs, axis=1), states


def np_lstm(x, W, U, b, mask=None, go_backwards=False, inner=np_hard_sigmoid, act=np.tanh):
    u = U.shape[0]

    def step(xt, h, c):
        z = xt @ W + h @ U + b
        i, f, g, o = inner(z[:, :u]), inner(z[:, u:2 * u]), act(z[:, 2 * u:3 * u]), inner(z[:, 3 * u:])
        c = f * c + i * g
        return [o * act(c), c]
    return np_loop(step, x, 2, u, mask, go_backwards)


def np_gru(x, W, U, b, mask=None, go_backwards=False, inner=np_hard_sigmoid, act=np.tanh):
    u = U.shape[0]

    def step(xt, h):
        p = xt @ W + b
        z = inner(p[:, :u] + h @ U[:, :u])
        r = inner(p[:, u:2 * u] + h @ U[:, u:2 * u])
        hh = act(p[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
        return [z * h + (1 - z) * hh]
    return np_loop(step, x, 1, u, mask, go_backwards)


def np_simple(x, W, U, b, mask=None, go_backwards=False, act=np.tanh):
    return np_loop(lambda xt, h: [act(xt @ W + h @ U + b)], x, 1, U.shape[0], mask, go_backwards)


REFS = {LSTM: (np_lstm, 4), GRU: (np_gru, 3), SimpleRNN: (np_simple, 1)}


def random_weights(rng, d, u, gates, scale=0.5):
    return [f32(rng.normal(size=(d, gates * u)) * scale), f32(rng.normal(size=(u, gates * u)) * scale),
            f32(rng.normal(size=(gates * u,)) * scale)]


def one_layer_model(layer, shape, dtype=None):
    x = Input(shape=shape, dtype=dtype)
    return Model(x, layer(x))


# -- forward values --------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("return_sequences,go_backwards", [(False, False), (True, False), (True, True),
                                                           (False, True)])
def test_forward_matches_the_keras_equations(rng, cls, return_sequences, go_backwards):
    ref, gates = REFS[cls]
    d, u = 5, 7
    weights = random_weights(rng, d, u, gates)
    layer = cls(u, return_sequences=return_sequences, go_backwards=go_backwards, weights=weights)
    model = one_layer_model(layer, (6, d))
    assert [w.shape for w in layer.get_weights()] == [(d, gates * u), (u, gates * u), (gates * u,)]
    x = f32(rng.normal(size=(3, 6, d)))
    seq, _ = ref(x.astype(np.float64), *[w.astype(np.float64) for w in weights], go_backwards=go_backwards)
    got = model.predict(x)
    np.testing.assert_allclose(got, seq if return_sequences else seq[:, -1], **TOL)
    # another sequence length, same compiled layer
    x2 = f32(rng.normal(size=(2, 3, d)))
    seq2, _ = ref(x2.astype(np.float64), *weights, go_backwards=go_backwards)
    got2 = clgraph.function([model.inputs[0]], model.outputs[0])(x2)
    np.testing.assert_allclose(got2, seq2 if return_sequences else seq2[:, -1], **TOL)


def test_lstm_activations_are_the_layers(rng):
    """activation / inner_activation are used where the equations put them."""
    weights = random_weights(rng, 3, 4, 4)
    layer = LSTM(4, activation="relu", inner_activation="sigmoid", weights=weights, return_sequences=True)
    model = one_layer_model(layer, (5, 3))
    x = f32(rng.normal(size=(2, 5, 3)))
    seq, _ = np_lstm(x.astype(np.float64), *weights, inner=np_sigmoid, act=lambda v: np.maximum(v, 0))
    np.testing.assert_allclose(model.predict(x), seq, **TOL)


def test_unroll_gives_the_loop_values(rng):
    weights = random_weights(rng, 4, 5, 4)
    x = f32(rng.normal(size=(3, 6, 4)))
    a = one_layer_model(LSTM(5, weights=weights, return_sequences=True), (6, 4)).predict(x)
    b = one_layer_model(LSTM(5, weights=weights, return_sequences=True, unroll=True), (6, 4)).predict(x)
    np.testing.assert_allclose(a, b, **TOL)
    with pytest.raises(ValueError, match="unroll=True needs the number of time steps"):
        one_layer_model(LSTM(5, unroll=True), (None, 4))


def test_lstm_matches_torch(rng):
    torch = pytest.importorskip("torch")
    d, u = 6, 5
    lstm = torch.nn.LSTM(d, u, batch_first=True)
    x = f32(rng.normal(size=(3, 7, d)))
    with torch.no_grad():
        want, _ = lstm(torch.from_numpy(x))
    # torch's gates are i, f, g, o as Keras': transpose the matrices, add the two biases
    weights = [lstm.weight_ih_l0.detach().numpy().T, lstm.weight_hh_l0.detach().numpy().T,
               (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()]
    model = one_layer_model(LSTM(u, inner_activation="sigmoid", return_sequences=True, weights=weights), (7, d))
    np.testing.assert_allclose(model.predict(x), want.numpy(), rtol=1e-4, atol=1e-5)


# -- Keras 1 and Keras 2 arguments -------------------------------------------------------------------

def test_keras1_initial_weights_and_forget_bias():
    layer = LSTM(3, input_dim=4, input_length=5)
    assert layer.batch_input_shape == (None, 5, 4)
    one_layer_model(layer, (5, 4))
    kernel, recurrent, bias = layer.get_weights()
    np.testing.assert_array_equal(bias, [0] * 3 + [1] * 3 + [0] * 6)   # forget_bias_init='one'
    for g in range(4):   # inner_init: an orthogonal block per gate (Keras 1's scale 1.1)
        block = recurrent[:, 3 * g:3 * g + 3] / 1.1
        np.testing.assert_allclose(block @ block.T, np.eye(3), atol=1e-5)
    assert LSTM(3, forget_bias_init="zero").forget_bias_init.__name__ == "zero"


def test_keras2_spellings():
    layer = LSTM(units=3, kernel_initializer="he_normal", recurrent_initializer="identity", unit_forget_bias=False,
                 recurrent_activation="sigmoid", dropout=0.2, recurrent_dropout=0.1, kernel_regularizer="l2",
                 recurrent_regularizer="l1", bias_regularizer="l2", return_state=True, implementation=2)
    assert (layer.output_dim, layer.init.__name__, layer.inner_init.__name__) == (3, "he_normal", "identity")
    assert layer.inner_activation.__name__ == "sigmoid" and (layer.dropout_W, layer.dropout_U) == (0.2, 0.1)
    assert layer.forget_bias_init.__name__ == "zero" and layer.consume_less == "gpu"
    assert all(r is not None for r in (layer.W_regularizer, layer.U_regularizer, layer.b_regularizer))
    x = Input(shape=(4, 2))
    out, h, c = layer(x)
    assert out._keras_shape == h._keras_shape == c._keras_shape == (None, 3)
    np.testing.assert_allclose(layer.get_weights()[1], np.tile(np.eye(3), 4))
    model = Model(x, [out, h, c])
    xv = f32(np.random.normal(size=(2, 4, 2)))
    o, hv, cv = model.predict(xv)
    seq, (h_ref, c_ref) = np_lstm(xv.astype(np.float64), *layer.get_weights(), inner=np_sigmoid)
    np.testing.assert_allclose(o, h_ref, **TOL)
    np.testing.assert_allclose(hv, h_ref, **TOL)
    np.testing.assert_allclose(cv, c_ref, **TOL)
    gru = GRU(units=2, recurrent_activation="sigmoid", use_bias=False)
    one_layer_model(gru, (3, 2))
    assert [w.shape for w in gru.get_weights()] == [(2, 6), (2, 6)]
    with pytest.raises(TypeError, match="give output_dim or units"):
        SimpleRNN(3, units=4)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"LSTM 'lstm_\d+': expected an input of rank 3"):
        one_layer_model(LSTM(3), (4,))
    with pytest.raises(ValueError, match="output_dim"):
        GRU(0)
    with pytest.raises(ValueError, match="stateful layer needs the batch size"):
        one_layer_model(SimpleRNN(3, stateful=True), (4, 2))
    with pytest.raises(ValueError, match="dropout_W"):
        LSTM(3, dropout_W=1.5)
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(2), merge_mode="max")


# -- gradients and training -----------------------------------------------------------------------

@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_verify_grad_through_the_layer(rng, cls):
    _, gates = REFS[cls]
    layer = cls(3, return_sequences=True, inner_activation="sigmoid") if cls is not SimpleRNN else \
        cls(3, return_sequences=True)
    one_layer_model(layer, (4, 2))
    layer.set_weights(random_weights(rng, 2, 3, gates))
    x0 = f32(rng.normal(size=(2, 4, 2)))
    check_grad(lambda x: T.sum(layer.call(x) ** 2), x0)


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_weight_gradients_match_finite_differences_of_the_numpy_reference(rng, cls):
    """BPTT through the layer against central differences of the float64 equations."""
    ref, gates = REFS[cls]
    weights = random_weights(rng, 2, 3, gates)
    layer = cls(3, return_sequences=True, weights=weights)
    model = one_layer_model(layer, (4, 2))
    x0 = f32(rng.normal(size=(2, 4, 2)))
    target = rng.normal(size=(2, 4, 3))
    out = model.outputs[0]
    cost = T.sum((out - f32(target)) ** 2)
    params = [layer.kernel, layer.recurrent_kernel, layer.bias_weight]
    got = clgraph.function([model.inputs[0]], clgraph.grad(cost, params))(x0)
    base = [w.astype(np.float64) for w in weights]

    def loss(ws):
        return ((ref(x0.astype(np.float64), *ws)[0] - target) ** 2).sum()
    eps = 1e-6
    for k, (g, w) in enumerate(zip(got, base)):
        num = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            plus, minus = [v.copy() for v in base], [v.copy() for v in base]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            num[idx] = (loss(plus) - loss(minus)) / (2 * eps)
        np.testing.assert_allclose(g, num, rtol=2e-3, atol=2e-4)


def test_training_reduces_the_loss_and_the_step_is_float32(rng):
    """An LSTM learns a sum sign task; no kernel of the float32 model computes in double."""
    x = f32(rng.normal(size=(64, 8, 3)))
    y = f32((x[:, :, 0].sum(axis=1) > 0)[:, None])
    model = Sequential([LSTM(8, input_shape=(8, 3), dropout_W=0.1, dropout_U=0.1), Dense(1, activation="sigmoid")])
    model.compile(Adam(lr=0.02), "binary_crossentropy", metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)[0]
    model.fit(x, y, nb_epoch=15, batch_size=16, verbose=0)
    after, acc = model.evaluate(x, y, verbose=0)
    assert after < 0.7 * before, (before, after)
    assert acc >= 0.8
    for fn in (model.train_function, model.predict_function):
        assert fn.kernels and all("double" not in k.source for k in fn.kernels)


def test_lstm_forward_step_is_at_most_two_kernels(rng):
    """The input projection is one GEMM over all steps, outside the loop; the step is
    h . U with the gates in its epilogue."""
    model = one_layer_model(LSTM(16, return_sequences=True, name="lstm_k"), (10, 8))
    model.predict(f32(rng.normal(size=(4, 10, 8))))
    fn = model.predict_function
    step = [k.name for k in fn.kernels if k.name.startswith("Scan{lstm_k}/")]
    assert 1 <= len(step) <= 2, step
    outside = [k.name for k in fn.kernels if "/" not in k.name]
    assert sum("gemm" in n for n in outside) == 1, outside   # x . W for every step at once
    assert all(loop.replayed for loop in fn.plan.loops()), [loop.refused for loop in fn.plan.loops()]
    assert all("double" not in k.source for k in fn.kernels)


# -- masks ------------------------------------------------------------------------------------------

def padded_batch(rng, vocab=12, batch=5, steps=7):
    """Integer sequences padded with 0 at the front (Keras' pad_sequences) and at the end."""
    ids = rng.integers(1, vocab, size=(batch, steps))
    lengths = [7, 4, 1, 6, 3]
    for k, n in enumerate(lengths[:batch]):
        ids[k, :steps - n] = 0
    ids[1, -1] = 0                   # a padded step after real ones
    return ids.astype(np.int32)


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_mask_zero_carries_the_state_over_padded_steps(rng, cls, go_backwards):
    ref, gates = REFS[cls]
    ids = padded_batch(rng)
    emb = f32(rng.normal(size=(12, 4)))
    weights = random_weights(rng, 4, 3, gates)
    x = Input(shape=(7,), dtype="int32")
    e = Embedding(12, 4, mask_zero=True, weights=[emb])(x)
    seq_out = cls(3, return_sequences=True, go_backwards=go_backwards, weights=weights)(e)
    assert seq_out._keras_mask is not None
    last = cls(3, go_backwards=go_backwards, weights=weights)(e)
    model = Model(x, [seq_out, last])
    got_seq, got_last = model.predict(ids)
    seq, states = ref(emb[ids].astype(np.float64), *weights, mask=(ids != 0), go_backwards=go_backwards)
    np.testing.assert_allclose(got_seq, seq, **TOL)
    np.testing.assert_allclose(got_last, states[0], **TOL)
    # a padded step keeps the state: sample 1's last step is padding
    if not go_backwards:
        np.testing.assert_array_equal(got_seq[1, -1], got_seq[1, -2])


def test_masking_layer(rng):
    x = f32(rng.normal(size=(4, 6, 3)))
    x[0, :2] = 0.
    x[2, 3:] = 0.
    x[3, 1, 0] = 0.              # one zero feature: not a masked step
    weights = random_weights(rng, 3, 5, 1)
    model = Sequential([Masking(mask_value=0., input_shape=(6, 3)), SimpleRNN(5, weights=weights)])
    seq, states = np_simple(x.astype(np.float64), *weights, mask=np.any(x != 0, axis=-1))
    np.testing.assert_allclose(model.predict(x), states[0], **TOL)
    m = one_layer_model(Masking(mask_value=2.), (2, 2))
    np.testing.assert_array_equal(m.predict(f32([[[2, 2], [2, 1]]])), [[[0, 0], [2, 1]]])


def test_masked_steps_are_excluded_from_the_loss(rng):
    """return_sequences + TimeDistributed(Dense): Keras 1's masked loss,
    sum(score * mask) / sum(mask) per sample batch (score * mask / mean(mask), averaged)."""
    ids = padded_batch(rng)
    model = Sequential([Embedding(12, 4, mask_zero=True, input_length=7),
                        LSTM(3, return_sequences=True), TimeDistributed(Dense(2))])
    model.compile("sgd", "mse")
    y = f32(rng.normal(size=(5, 7, 2)))
    pred = model.predict(ids)
    mask = (ids != 0).astype(np.float64)
    score = ((pred - y) ** 2).mean(axis=-1) * mask / mask.mean()
    want = score.mean()
    np.testing.assert_allclose(model.evaluate(ids, y, verbose=0), want, rtol=1e-5)
    # targets at padded steps change nothing
    y2 = y.copy()
    y2[ids == 0] = 100.
    np.testing.assert_allclose(model.evaluate(ids, y2, verbose=0), want, rtol=1e-5)


# -- embedding -----------------------------------------------------------------------------------

def test_embedding_lookup_and_scatter_add_gradient(rng):
    ids = np.array([[1, 2, 2, 0], [9, 1, 3, 3]], np.int32)
    layer = Embedding(10, 3, input_length=4, embeddings_initializer="normal")
    model = Sequential([layer])
    assert layer.init.__name__ == "normal"
    W = layer.get_weights()[0]
    np.testing.assert_array_equal(model.predict(ids), W[ids])
    x = T.imatrix("ids")
    g = clgraph.grad(T.sum(layer.call(x) * np.arange(3, dtype=np.float32)), layer.W)
    fn = clgraph.function([x], g)
    want = np.zeros((10, 3))
    for i in ids.ravel():
        want[i] += np.arange(3)
    np.testing.assert_allclose(fn(ids), want)
    assert any("put" in k.name for k in fn.kernels), [k.name for k in fn.kernels]   # a scatter-add on the device
    assert model.layers[0].output_shape == (None, 4, 3)


def test_embedding_dropout_drops_whole_words():
    layer = Embedding(6, 50, dropout=0.5, init="one")
    model = Sequential([layer, Dense(1)])
    with K.learning_phase_scope(1):
        out = layer.call(model.inputs[0])
    rows = clgraph.function([model.inputs[0]], out)(np.array([[1, 1, 2, 2, 3, 3]], np.int32))[0]
    for a, b in ((0, 1), (2, 3), (4, 5)):
        np.testing.assert_array_equal(rows[a], rows[b])      # one decision per word
        assert set(np.unique(rows[a])) <= {0., 2.} and len(np.unique(rows[a])) == 1
    assert np.array_equal(model.layers[0].call(T.constant(np.array([[1]], np.int32))).eval(), [[[1.] * 50]])


# -- wrappers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_values(rng, merge_mode):
    weights_f, weights_b = random_weights(rng, 3, 4, 4), random_weights(rng, 3, 4, 4)
    x = f32(rng.normal(size=(2, 5, 3)))
    fwd, _ = np_lstm(x.astype(np.float64), *weights_f)
    bwd, _ = np_lstm(x.astype(np.float64), *weights_b, go_backwards=True)
    bwd = bwd[:, ::-1]                                 # back in time order
    layer = Bidirectional(LSTM(4, return_sequences=True), merge_mode=merge_mode, input_shape=(5, 3))
    model = Sequential([layer]) if merge_mode is not None else one_layer_model(layer, (5, 3))
    layer.set_weights(weights_f + weights_b)
    got = model.predict(x)
    want = {"concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd, "mul": fwd * bwd, "ave": (fwd + bwd) / 2,
            None: [fwd, bwd]}[merge_mode]
    if merge_mode is None:
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, **TOL)
    else:
        np.testing.assert_allclose(got, want, **TOL)
        assert layer.output_shape == (None, 5, 8 if merge_mode == "concat" else 4)
    assert [w.name for w in layer.weights][:3] == [f"forward_{layer.layer.name}_kernel",
                                                   f"forward_{layer.layer.name}_recurrent_kernel",
                                                   f"forward_{layer.layer.name}_bias"]


def test_bidirectional_last_output_with_mask(rng):
    ids = padded_batch(rng)
    emb = f32(rng.normal(size=(12, 4)))
    wf, wb = random_weights(rng, 4, 3, 3), random_weights(rng, 4, 3, 3)
    model = Sequential([Embedding(12, 4, mask_zero=True, input_length=7, weights=[emb]),
                        Bidirectional(GRU(3), weights=wf + wb)])
    xs, mask = emb[ids].astype(np.float64), ids != 0
    _, (f,) = np_gru(xs, *wf, mask=mask)
    _, (b,) = np_gru(xs, *wb, mask=mask, go_backwards=True)
    np.testing.assert_allclose(model.predict(ids), np.concatenate([f, b], -1), **TOL)


def test_time_distributed_dense(rng):
    x = f32(rng.normal(size=(3, 4, 5)))
    layer = TimeDistributed(Dense(2, activation="tanh"), input_shape=(4, 5))
    model = Sequential([layer])
    W, b = layer.get_weights()
    assert W.shape == (5, 2) and layer.output_shape == (None, 4, 2)
    np.testing.assert_allclose(model.predict(x), np.tanh(x @ W + b), **TOL)
    fn = model.predict_function
    assert sum("gemm" in k.name for k in fn.kernels) == 1       # one GEMM over samples * steps
    model.compile(SGD(lr=0.1), "mse")
    y = f32(rng.normal(size=(3, 4, 2)) * 0.3)
    before = model.evaluate(x, y, verbose=0)
    for _ in range(20):
        model.train_on_batch(x, y)
    assert model.evaluate(x, y, verbose=0) < before


# -- stateful --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_stateful_carries_the_state_and_reset_states_clears_it(rng, cls):
    ref, gates = REFS[cls]
    weights = random_weights(rng, 3, 4, gates)
    layer = cls(4, stateful=True, weights=weights, batch_input_shape=(2, 5, 3))
    model = Sequential([layer])
    x = f32(rng.normal(size=(2, 10, 3)))
    first = model.predict(x[:, :5], batch_size=2)
    second = model.predict(x[:, 5:], batch_size=2)
    _, whole = ref(x.astype(np.float64), *weights)
    _, half = ref(x[:, :5].astype(np.float64), *weights)
    np.testing.assert_allclose(first, half[0], **TOL)
    np.testing.assert_allclose(second, whole[0], **TOL)        # went on from the first half's state
    np.testing.assert_allclose(layer.states[0].get_value(), whole[0], **TOL)
    model.reset_states()
    assert not layer.states[0].get_value().any()
    np.testing.assert_allclose(model.predict(x[:, :5], batch_size=2), half[0], **TOL)
    # training steps carry it too
    model.compile("sgd", "mse")
    layer.reset_states()
    model.train_on_batch(x[:, :5], f32(np.zeros((2, 4))))
    assert layer.states[0].get_value().any()


# -- summary and saving ------------------------------------------------------------------------------

def sequence_model():
    model = Sequential()
    model.add(Embedding(20, 6, mask_zero=True, input_length=8))
    model.add(Bidirectional(LSTM(5, return_sequences=True), merge_mode="sum"))
    model.add(GRU(4, return_sequences=True, go_backwards=True))
    model.add(TimeDistributed(Dense(3)))
    model.add(SimpleRNN(2, unroll=True))
    return model


def test_summary_counts_the_parameters(capsys):
    model = sequence_model()
    model.summary()
    out = capsys.readouterr().out
    lstm, gru, dense, rnn = 2 * (6 * 20 + 5 * 20 + 20), 5 * 12 + 4 * 12 + 12, 4 * 3 + 3, 3 * 2 + 2 * 2 + 2
    for text in ("(Embedding)", "(None, 8, 6)", "(Bidirectional)", "(None, 8, 5)", "(GRU)", " (TimeDistr",
                 "(None, 8, 3)", "(SimpleRNN)", str(lstm), str(gru)):
        assert text in out, text
    assert f"Total params: {120 + lstm + gru + dense + rnn:,}" in out


def test_json_and_hdf5_round_trips(tmp_path, rng):
    model = sequence_model()
    ids = padded_batch(rng, vocab=20, batch=5, steps=8)
    want = model.predict(ids)
    config = json.loads(model.to_json())
    assert config["config"][1]["config"]["layer"]["class_name"] == "LSTM"
    clone = model_from_json(model.to_json())
    assert [type(la).__name__ for la in clone.layers] == ["Embedding", "Bidirectional", "GRU", "TimeDistributed",
                                                         "SimpleRNN"]
    assert clone.layers[1].merge_mode == "sum" and clone.layers[2].go_backwards and clone.layers[4].unroll
    assert clone.layers[0].mask_zero
    path = tmp_path / "w.h5"
    model.save_weights(path)
    clone.load_weights(path)
    np.testing.assert_allclose(clone.predict(ids), want, **TOL)
    model.compile(Adam(), "mse")
    model.train_on_batch(ids, f32(np.ones((5, 2))))
    want = model.predict(ids)
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.predict(ids), want, **TOL)
    a = model.train_on_batch(ids, f32(np.ones((5, 2))))
    b = loaded.train_on_batch(ids, f32(np.ones((5, 2))))
    np.testing.assert_allclose(a, b, rtol=1e-5)
    # a weights file that does not fit names the layer and the shapes
    other = Sequential([Embedding(20, 6, input_length=8), LSTM(7)])
    other.save_weights(tmp_path / "o.h5")
    with pytest.raises(ValueError, match="expects weights of shapes"):
        Sequential([Embedding(20, 6, input_length=8), LSTM(5)]).load_weights(tmp_path / "o.h5")


def test_stateful_and_keras2_configs_round_trip():
    model = Sequential([LSTM(units=3, stateful=True, batch_input_shape=(4, 2, 5), recurrent_activation="sigmoid",
                             return_sequences=True), GRU(2, dropout_U=0.25)])
    clone = model_from_json(model.to_json())
    a, b = clone.layers
    assert a.stateful and a.batch_input_shape == (4, 2, 5) and a.inner_activation.__name__ == "sigmoid"
    assert b.dropout_U == 0.25
    assert a.states[0].get_value().shape == (4, 3)


def test_lstm_gradient_step_joins_its_gate_gradients(rng):
    """The reverse loop's step gets the four gate gradients as one join, not as four
    zero-filled copies of the pre-activation summed (rewrite/slice_gradients.py)."""
    model = one_layer_model(LSTM(16, name="lstm_g"), (10, 8))
    model.compile(SGD(lr=0.01), "mse")
    model.train_on_batch(f32(rng.normal(size=(4, 10, 8))), f32(rng.normal(size=(4, 16))))
    step = [k.name for k in model.train_function.kernels if k.name.startswith("Scan{grad_of_lstm_g}/")]
    assert step and not any("incsubtensor" in n for n in step), step
    assert sum("join" in n for n in step) == 1, step


# -- dropout masks ------------------------------------------------------------------------------------

def np_masked(cls, x, W, U, b, mW, mU):
    """Keras 1's 'cpu' equations with a dropout mask per gate: mW[g] on x, mU[g] on h
    (each (batch, features), the same at every step)."""
    u = U.shape[0]
    gates = len(mW)
    xs = [x * m[:, None, :] for m in mW]

    def z_of(t, g, h):
        return xs[g][:, t] @ W[:, g * u:(g + 1) * u] + b[g * u:(g + 1) * u]
    hs, h, c = [], np.zeros((x.shape[0], u)), np.zeros((x.shape[0], u))
    for t in range(x.shape[1]):
        if cls is LSTM:
            z = [z_of(t, g, h) + (h * mU[g]) @ U[:, g * u:(g + 1) * u] for g in range(4)]
            i, f, o = np_hard_sigmoid(z[0]), np_hard_sigmoid(z[1]), np_hard_sigmoid(z[3])
            c = f * c + i * np.tanh(z[2])
            h = o * np.tanh(c)
        else:
            zg = np_hard_sigmoid(z_of(t, 0, h) + (h * mU[0]) @ U[:, :u])
            r = np_hard_sigmoid(z_of(t, 1, h) + (h * mU[1]) @ U[:, u:2 * u])
            hh = np.tanh(z_of(t, 2, h) + (r * h * mU[2]) @ U[:, 2 * u:])
            h = zg * h + (1 - zg) * hh
        hs.append(h)
    assert gates in (3, 4)
    return np.stack(hs, axis=1)


@pytest.mark.parametrize("cls", [LSTM, GRU])
@pytest.mark.parametrize("mode", ["cpu", "gpu"])
def test_dropout_masks_per_gate_as_keras(rng, monkeypatch, cls, mode):
    """In training, dropout_W and dropout_U draw a mask per gate (consume_less 'cpu'/'mem',
    Keras 2's implementation 0/1) or one for all gates ('gpu', implementation 2), each
    the same at every step. The masks are fixed here (K.dropout patched) so the training
    graph's output can be checked against numpy."""
    d, u, batch, steps = 3, 4, 5, 6
    gates = REFS[cls][1]
    weights = random_weights(rng, d, u, gates)
    drawn = []

    def fixed_dropout(x, level, noise_shape=None, seed=None):
        m = f32((rng.random(size=(batch, d if len(drawn) < n_w else u)) > level) / (1 - level))
        drawn.append(m)
        return x * m
    n_w = gates if mode == "cpu" else 1
    monkeypatch.setattr(K, "dropout", fixed_dropout)
    layer = cls(u, dropout_W=0.5, dropout_U=0.5, consume_less=mode, weights=weights, return_sequences=True)
    x = Input(shape=(steps, d))
    layer(x)                          # (built; the test-phase graph draws nothing)
    assert not drawn
    with K.learning_phase_scope(1):   # the training graph, as fit builds it
        out = layer.call(x)
    assert len(drawn) == 2 * n_w      # x's masks, then h's
    xv = f32(rng.normal(size=(batch, steps, d)))
    got = clgraph.function([x], out)(xv)
    mW = drawn[:n_w] * (gates // n_w)
    mU = drawn[n_w:] * (gates // n_w)
    want = np_masked(cls, xv.astype(np.float64), *[w.astype(np.float64) for w in weights], mW, mU)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
