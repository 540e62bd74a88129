"""Keras 1.2 optimizers against numpy re-implementations of Keras 1.2's update formulas.

Each case trains a least-squares loss over a matrix W and a vector b for a few steps with
one compiled function and compares the parameters (as the change from their start, so a
small step is still checked closely) and the optimizer state after every step.
"""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.keras import constraints, optimizers

RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 3)).astype("float32")
Y = RNG.standard_normal((5, 2)).astype("float32")
W0 = RNG.standard_normal((3, 2)).astype("float32")
B0 = RNG.standard_normal(2).astype("float32")


def np_loss_grads(params):
    """loss = mean((X W + b - Y)**2) and its exact gradients, in float64."""
    W, b = params
    R = X.astype("float64") @ W + b - Y
    return np.mean(R ** 2), [2 * X.T.astype("float64") @ R / R.size, 2 * R.sum(0) / R.size]


def np_clip(grads, clipnorm=0., clipvalue=0.):
    """Keras 1 get_gradients: joint-norm rescale, then elementwise clip."""
    clipped = False
    if clipnorm > 0:
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        if norm >= clipnorm:
            grads, clipped = [g * clipnorm / norm for g in grads], True
    if clipvalue > 0:
        clipped = clipped or any(np.any(np.abs(g) > clipvalue) for g in grads)
        grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads, clipped


def build(opt, constraint_map=None):
    W = clgraph.shared(W0.copy(), name="W")
    b = clgraph.shared(B0.copy(), name="b")
    loss = T.mean(T.sqr(T.dot(X, W) + b - Y))
    cons = {}
    for i, c in (constraint_map or {}).items():
        cons[(W, b)[i]] = c
    updates = opt.get_updates([W, b], cons, loss)
    for var, expr in updates:
        assert var.dtype == "float32" and expr.dtype == "float32", (var, expr.dtype)
    return W, b, clgraph.function([], loss, updates=updates)


def run(opt, step, hp, n_steps=4, clipnorm=0., clipvalue=0., np_constraints=None, constraint_map=None,
        on_step=None):
    """Train with `opt` and with the numpy `step(params, grads, it, state, hp)` side by side."""
    W, b, fn = build(opt, constraint_map)
    params, state, clipped = [W0.astype("float64"), B0.astype("float64")], {}, False
    for it in range(n_steps):
        if on_step is not None:
            on_step(it, opt, hp)
        want_loss, grads = np_loss_grads(params)
        np.testing.assert_allclose(fn(), want_loss, rtol=1e-5)  # the loss before the update
        grads, c = np_clip(grads, clipnorm, clipvalue)
        clipped |= c
        params = step(params, grads, it, state, hp)
        for i, f in (np_constraints or {}).items():
            params[i] = f(params[i])
        for got, want, start in zip((W.get_value(), b.get_value()), params, (W0, B0)):
            assert got.dtype == np.float32
            np.testing.assert_allclose(got - start, want - start, rtol=2e-3, atol=2e-6)
    assert opt.iterations.get_value() == n_steps
    return state, clipped


def decayed(hp, it):
    return hp["lr"] / (1. + hp.get("decay", 0.) * it)


# -- numpy steps: Keras 1.2 formulas ---------------------------------------------------------


def sgd_step(params, grads, it, st, hp):
    lr, mom, out = decayed(hp, it), hp["momentum"], []
    for i, (p, g) in enumerate(zip(params, grads)):
        v = mom * st.get(("m", i), 0.) - lr * g
        st[("m", i)] = v
        out.append(p + mom * v - lr * g if hp["nesterov"] else p + v)
    return out


def rmsprop_step(params, grads, it, st, hp):
    lr, rho, out = decayed(hp, it), hp["rho"], []
    for i, (p, g) in enumerate(zip(params, grads)):
        a = st[("a", i)] = rho * st.get(("a", i), 0.) + (1 - rho) * g ** 2
        out.append(p - lr * g / (np.sqrt(a) + hp["epsilon"]))
    return out


def adagrad_step(params, grads, it, st, hp):
    lr, out = decayed(hp, it), []
    for i, (p, g) in enumerate(zip(params, grads)):
        a = st[("a", i)] = st.get(("a", i), 0.) + g ** 2
        out.append(p - lr * g / (np.sqrt(a) + hp["epsilon"]))
    return out


def adadelta_step(params, grads, it, st, hp):
    lr, rho, eps, out = decayed(hp, it), hp["rho"], hp["epsilon"], []
    for i, (p, g) in enumerate(zip(params, grads)):
        a = st[("a", i)] = rho * st.get(("a", i), 0.) + (1 - rho) * g ** 2
        d_a = st.get(("d", i), 0.)
        update = g * np.sqrt(d_a + eps) / np.sqrt(a + eps)
        st[("d", i)] = rho * d_a + (1 - rho) * update ** 2
        out.append(p - lr * update)
    return out


def adam_step(params, grads, it, st, hp):
    b1, b2, t = hp["beta_1"], hp["beta_2"], it + 1
    lr_t = decayed(hp, it) * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    out = []
    for i, (p, g) in enumerate(zip(params, grads)):
        m = st[("m", i)] = b1 * st.get(("m", i), 0.) + (1 - b1) * g
        v = st[("v", i)] = b2 * st.get(("v", i), 0.) + (1 - b2) * g ** 2
        out.append(p - lr_t * m / (np.sqrt(v) + hp["epsilon"]))
    return out


def adamax_step(params, grads, it, st, hp):
    b1, b2, t = hp["beta_1"], hp["beta_2"], it + 1
    lr_t = decayed(hp, it) / (1 - b1 ** t)
    out = []
    for i, (p, g) in enumerate(zip(params, grads)):
        m = st[("m", i)] = b1 * st.get(("m", i), 0.) + (1 - b1) * g
        u = st[("u", i)] = np.maximum(b2 * st.get(("u", i), 0.), np.abs(g))
        out.append(p - lr_t * m / (u + hp["epsilon"]))
    return out


def nadam_step(params, grads, it, st, hp):
    b1, b2, sd, t = hp["beta_1"], hp["beta_2"], hp["schedule_decay"], it + 1
    mom_t = b1 * (1 - 0.5 * 0.96 ** (t * sd))
    mom_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * sd))
    sched = st.get("sched", 1.)
    sched_new, sched_next = sched * mom_t, sched * mom_t * mom_t1
    st["sched"] = sched_new
    out = []
    for i, (p, g) in enumerate(zip(params, grads)):
        m = st[("m", i)] = b1 * st.get(("m", i), 0.) + (1 - b1) * g
        v = st[("v", i)] = b2 * st.get(("v", i), 0.) + (1 - b2) * g ** 2
        m_bar = (1 - mom_t) * g / (1 - sched_new) + mom_t1 * m / (1 - sched_next)
        out.append(p - hp["lr"] * m_bar / (np.sqrt(v / (1 - b2 ** t)) + hp["epsilon"]))
    return out


def grad_norm0():
    return np.sqrt(sum(np.sum(g ** 2) for g in np_loss_grads([W0, B0])[1]))


# -- cases -----------------------------------------------------------------------------------


def test_sgd_nesterov_decay_clipnorm_and_lr_change_without_recompiling():
    clipnorm = 0.5 * grad_norm0()
    hp = dict(lr=0.1, momentum=0.9, decay=0.05, nesterov=True)
    opt = optimizers.SGD(clipnorm=clipnorm, **hp)

    def change_lr(it, opt, hp):
        if it == 2:  # the same compiled function must pick the new rate up
            opt.lr.set_value(np.float32(0.02))
            hp["lr"] = np.float32(0.02)

    state, clipped = run(opt, sgd_step, hp, clipnorm=clipnorm, on_step=change_lr)
    assert clipped
    assert opt.lr.get_value().dtype == np.float32
    iterations, m_W, m_b = opt.weights
    assert iterations is opt.iterations
    np.testing.assert_allclose(m_W.get_value(), state[("m", 0)], rtol=2e-3, atol=2e-6)
    np.testing.assert_allclose(m_b.get_value(), state[("m", 1)], rtol=2e-3, atol=2e-6)


def test_sgd_momentum_clipvalue_with_constraints():
    clipvalue = 0.5 * max(np.abs(g).max() for g in np_loss_grads([W0, B0])[1])
    m = float(np.median(np.sqrt((W0.astype("float64") ** 2).sum(0))))  # some columns exceed it

    def np_maxnorm(p):
        norms = np.sqrt((p ** 2).sum(0, keepdims=True))
        return p * np.clip(norms, 0, m) / (1e-7 + norms)

    hp = dict(lr=0.3, momentum=0.5, nesterov=False)
    opt = optimizers.SGD(clipvalue=clipvalue, **hp)
    _, clipped = run(opt, sgd_step, hp, clipvalue=clipvalue,
                     constraint_map={0: constraints.maxnorm(m), 1: constraints.nonneg()},
                     np_constraints={0: np_maxnorm, 1: lambda p: p * (p >= 0)})
    assert clipped


def test_rmsprop_with_decay():
    hp = dict(lr=0.01, rho=0.9, epsilon=1e-8, decay=0.1)
    state, _ = run(optimizers.RMSprop(**hp), rmsprop_step, hp)
    assert ("a", 1) in state


def test_adagrad():
    hp = dict(lr=0.05, epsilon=1e-8)
    run(optimizers.Adagrad(**hp), adagrad_step, hp)


def test_adadelta_with_decay():
    hp = dict(lr=1.0, rho=0.95, epsilon=1e-3, decay=0.2)  # a large epsilon: visible steps
    run(optimizers.Adadelta(**hp), adadelta_step, hp)


def test_adam_with_decay_and_state():
    hp = dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.1)
    opt = optimizers.Adam(**hp)
    state, _ = run(opt, adam_step, hp)
    _, m_W, m_b, v_W, v_b = opt.weights
    np.testing.assert_allclose(v_W.get_value(), state[("v", 0)], rtol=2e-3, atol=1e-9)
    np.testing.assert_allclose(m_b.get_value(), state[("m", 1)], rtol=2e-3, atol=1e-7)


def test_adamax():
    hp = dict(lr=0.02, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    run(optimizers.Adamax(**hp), adamax_step, hp)


def test_nadam():
    hp = dict(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8, schedule_decay=0.004)
    opt = optimizers.Nadam(**hp)
    state, _ = run(opt, nadam_step, hp)
    np.testing.assert_allclose(opt.m_schedule.get_value(), state["sched"], rtol=1e-5)


# -- construction, lookup, state -------------------------------------------------------------


def test_defaults_hyperparameters_are_float32_shared():
    expected = {optimizers.SGD: dict(lr=0.01, momentum=0., decay=0.),
                optimizers.RMSprop: dict(lr=0.001, rho=0.9, decay=0.),
                optimizers.Adagrad: dict(lr=0.01, decay=0.),
                optimizers.Adadelta: dict(lr=1.0, rho=0.95, decay=0.),
                optimizers.Adam: dict(lr=0.001, beta_1=0.9, beta_2=0.999, decay=0.),
                optimizers.Adamax: dict(lr=0.002, beta_1=0.9, beta_2=0.999, decay=0.)}
    for cls, hps in expected.items():
        opt = cls()
        assert opt.iterations.get_value() == 0 and opt.iterations.dtype == "float32"
        for name, value in hps.items():
            var = getattr(opt, name)
            assert isinstance(var, clgraph.SharedVariable) and var.dtype == "float32", (cls, name)
            assert var.get_value() == np.float32(value), (cls, name)
        config = opt.get_config()
        assert config["lr"] == pytest.approx(hps["lr"])
        assert type(optimizers.get({"class_name": cls.__name__, "config": config})) is cls
    assert optimizers.SGD(nesterov=True).get_config()["nesterov"] is True
    nadam = optimizers.get({"class_name": "Nadam",
                            "config": optimizers.Nadam(lr=0.5, clipnorm=2.0, schedule_decay=0.01).get_config()})
    assert (nadam.clipnorm, nadam.schedule_decay, float(nadam.lr.get_value())) == (2.0, 0.01, 0.5)
    assert optimizers.get({"name": "sgd", "lr": 0.5}).lr.get_value() == np.float32(0.5)  # Keras 1 config form


def test_get_aliases_and_errors():
    assert type(optimizers.get("sgd")) is optimizers.SGD
    assert type(optimizers.get("Adam")) is optimizers.Adam
    assert optimizers.rmsprop is optimizers.RMSprop and optimizers.adamax is optimizers.Adamax
    opt = optimizers.Adagrad()
    assert optimizers.get(opt) is opt
    assert optimizers.get("adadelta", {"lr": 0.5}).lr.get_value() == np.float32(0.5)
    with pytest.raises(ValueError, match="known optimizers: adadelta, adagrad, adam, adamax"):
        optimizers.get("adamw")
    with pytest.raises(ValueError, match="Could not interpret optimizer"):
        optimizers.get(3)
    with pytest.raises(TypeError, match="clip_norm"):
        optimizers.SGD(clip_norm=1.0)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optimizers.Adam(lr=-1)


def test_keras2_learning_rate_alias_and_argument_order():
    opt = optimizers.SGD(learning_rate=0.25, momentum=0.5)
    assert opt.lr.get_value() == np.float32(0.25)
    assert optimizers.Adamax(learning_rate=0.125).lr.get_value() == np.float32(0.125)
    W = clgraph.shared(W0.copy(), name="W")
    loss = T.sum(T.sqr(W))
    updates = opt.get_updates(loss, [W])  # Keras 2: get_updates(loss, params)
    assert [u[0] for u in updates] == [opt.iterations, opt.weights[1], W]
    with pytest.raises(TypeError, match="loss is missing"):
        opt.get_updates([W])


def test_state_save_and_restore():
    opt = optimizers.Adam()
    W = clgraph.shared(W0.copy(), name="W")
    b = clgraph.shared(B0.copy(), name="b")
    opt.get_updates([W, b], {}, T.sum(T.sqr(W)) + T.sum(b))
    shapes = [w.shape for w in opt.get_weights()]
    assert shapes == [(), (3, 2), (2,), (3, 2), (2,)]
    values = [np.full(s, i + 0.5, "float64") for i, s in enumerate(shapes)]
    opt.set_weights(values)  # float64 arrays are stored as float32
    for got, want in zip(opt.get_state(), values):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="got 2 arrays, the optimizer has 5"):
        opt.set_weights(values[:2])
    with pytest.raises(ValueError, match=r"shape \(3, 2\), got an array of shape \(2, 3\)"):
        opt.set_weights([values[0] + 7, np.zeros((2, 3))] + values[2:])
    # the refused call changed nothing, not even the state listed before the bad array
    for got, want in zip(opt.get_state(), values):
        np.testing.assert_array_equal(got, want)
