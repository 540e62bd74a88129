"""function/shared/givens/updates semantics, as API.md states them."""
from collections import OrderedDict

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T


def test_seed_values():
    x = T.scalar("x")
    y = 2 * x ** 2 + 5 * x
    f = clgraph.function([x], y)
    out = f(2)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float32
    assert out == 18
    assert clgraph.function([x], clgraph.grad(y, x))(2) == 13
    assert clgraph.function([x], clgraph.grad(y, x))(-1.5) == pytest.approx(4 * -1.5 + 5)


def test_several_outputs_and_eval(rng):
    a, b = T.matrix("a"), T.matrix("b")
    av, bv = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")
    f = clgraph.function([a, b], [a + b, a * b, a])
    s, p, same = f(av, bv)
    np.testing.assert_allclose(s, av + bv, rtol=1e-6)
    np.testing.assert_allclose(p, av * bv, rtol=1e-6)
    np.testing.assert_array_equal(same, av)
    np.testing.assert_allclose((a - b).eval({a: av, b: bv}), av - bv, rtol=1e-6)
    assert T.constant(3.0).eval() == 3.0


def test_one_function_serves_every_size(rng):
    x = T.vector()
    f = clgraph.function([x], T.exp(x) * 2 + 1)
    for n in [0, 1, 7, 8, 9, 100, 1001]:
        v = rng.normal(size=n).astype("float32")
        np.testing.assert_allclose(f(v), np.exp(v) * 2 + 1, rtol=1e-6)
    assert len(f.kernels) == 1


def test_shared_get_set_value(rng):
    v = rng.normal(size=(2, 3)).astype("float32")
    w = clgraph.shared(v, name="w")
    got = w.get_value()
    np.testing.assert_array_equal(got, v)
    got[0, 0] = 99  # a copy: changing it changes nothing on the device
    assert w.get_value()[0, 0] == v[0, 0]
    w.set_value(np.ones((5, 1), "float32"))
    np.testing.assert_array_equal(w.get_value(), np.ones((5, 1)))
    assert w.dtype == "float32" and w.broadcastable == (False, False)
    with pytest.raises(clgraph.ShapeError, match="ndim"):
        w.set_value(np.ones(3, "float32"))
    with pytest.raises(clgraph.DTypeError, match="float64.*float32"):
        w.set_value(np.full((2, 2), 0.1))  # 0.1 is not exact in float32
    w.set_value(np.full((2, 2), 0.5))  # exact: accepted
    assert w.get_value().dtype == np.float32
    assert clgraph.shared(0.5).dtype == "float64"
    assert clgraph.shared(np.int32(3)).get_value() == 3


def test_givens_replace_by_shared():
    x = T.scalar("x")
    xv = clgraph.shared(np.float32(10))
    f = clgraph.function([], 2 * x, givens=[(x, xv)])
    assert f() == 20
    xv.set_value(np.float32(-4))
    assert f() == -8  # reads the shared value at each call


def test_givens_with_expressions_and_dict(rng):
    x, y = T.vector("x"), T.vector("y")
    data = clgraph.shared(rng.normal(size=6).astype("float32"))
    f = clgraph.function([y], x * y, givens={x: T.exp(data)})
    yv = rng.normal(size=6).astype("float32")
    np.testing.assert_allclose(f(yv), np.exp(data.get_value()) * yv, rtol=1e-6)


def test_givens_type_mismatch():
    x = T.vector("x")
    with pytest.raises(clgraph.DTypeError, match="givens"):
        clgraph.function([], x * 2, givens=[(x, clgraph.shared(np.zeros((2, 2), "float32")))])


def test_updates_counter_returns_value_before_update():
    c = clgraph.shared(np.int32(0))
    inc = clgraph.function([], c, updates=[(c, c + 1)])
    assert [int(inc()) for _ in range(3)] == [0, 1, 2]
    assert c.get_value() == 3
    assert c.get_value().dtype == np.int32


def test_updates_use_pre_call_values_and_apply_together(rng):
    a = clgraph.shared(np.float32(1), name="a")
    b = clgraph.shared(np.float32(2), name="b")
    swap = clgraph.function([], [], updates=[(a, b), (b, a)])
    swap()
    assert (a.get_value(), b.get_value()) == (2, 1)
    swap()
    assert (a.get_value(), b.get_value()) == (1, 2)
    # both updates read the values from before the call
    step = clgraph.function([], [a, b], updates=OrderedDict([(a, a + b), (b, a * b)]))
    out = step()
    assert [float(o) for o in out] == [1, 2]
    assert (a.get_value(), b.get_value()) == (3, 2)


def test_swapped_buffers_survive_many_calls(rng):
    """Buffers moving between shared variables are never handed out while in use."""
    u = clgraph.shared(rng.normal(size=100).astype("float32"))
    v = clgraph.shared(rng.normal(size=100).astype("float32"))
    u0, v0 = u.get_value(), v.get_value()
    f = clgraph.function([], [], updates=[(u, v), (v, u * 1)])
    g = clgraph.function([], T.exp(u) + 1)  # allocates temporaries between swaps
    for k in range(6):
        f()
        g()
    np.testing.assert_array_equal(u.get_value(), u0)
    np.testing.assert_array_equal(v.get_value(), v0)


def test_update_with_input_and_weak_constant(rng):
    w = clgraph.shared(np.zeros(4, "float32"))
    x = T.vector("x")
    set_w = clgraph.function([x], [], updates=[(w, x)])
    xv = rng.normal(size=4).astype("float32")
    set_w(xv)
    other = clgraph.function([x], x * 3)
    other(np.ones(4, "float32"))  # must not reuse w's buffer
    np.testing.assert_array_equal(w.get_value(), xv)
    clgraph.function([], [], updates=[(w, 0)])()
    np.testing.assert_array_equal(w.get_value(), np.zeros(4))
    w.set_value(np.arange(4, dtype="float32"))
    clgraph.function([], [], updates=[(w, w.T)])()  # a view gets its own copy
    np.testing.assert_array_equal(w.get_value(), np.arange(4))


def test_sgd_momentum_update_keeps_float32(rng):
    w = clgraph.shared(rng.normal(size=5).astype("float32"))
    v = clgraph.shared(np.zeros(5, "float32"))
    x = T.vector("x")
    cost = T.sum((w - x) ** 2)
    g = clgraph.grad(cost, w)
    train = clgraph.function([x], cost, updates=[(v, 0.9 * v - 0.1 * g), (w, w + 0.9 * v - 0.1 * g)])
    target = rng.normal(size=5).astype("float32")
    w_np, v_np = w.get_value().astype(np.float64), np.zeros(5)
    for _ in range(5):
        train(target)
        g_np = 2 * (w_np - target)
        w_np, v_np = w_np + 0.9 * v_np - 0.1 * g_np, 0.9 * v_np - 0.1 * g_np
    np.testing.assert_allclose(w.get_value(), w_np, rtol=1e-5)
    assert w.get_value().dtype == np.float32


def test_update_dtype_mismatch_is_an_error():
    w = clgraph.shared(np.zeros(3, "float32"), name="w")
    with pytest.raises(clgraph.DTypeError, match=r"(?s)w.*float32.*float64.*test_function.py"):
        clgraph.function([], [], updates=[(w, w * T.dvector())])  # noqa: the line must be named
    with pytest.raises(TypeError, match="not a shared variable"):
        clgraph.function([], [], updates=[(T.vector(), w)])


def test_failed_call_changes_no_shared_variable(rng):
    w = clgraph.shared(np.ones(3, "float32"), name="w")
    c = clgraph.shared(np.int32(5), name="c")
    x = T.vector("x")
    f = clgraph.function([x], (w * x).sum(), updates=[(w, w + x), (c, c + 1)])
    f(np.ones(3, "float32"))
    before_w, before_c = w.get_value(), c.get_value()
    with pytest.raises(clgraph.ShapeError):
        f(np.ones(4, "float32"))  # shape mismatch found at run time
    with pytest.raises(clgraph.InputError):
        f(np.ones(3, "float64") * 0.1)  # lossy cast refused before anything runs
    np.testing.assert_array_equal(w.get_value(), before_w)
    assert c.get_value() == before_c
    f(np.ones(3, "float32"))  # and the function still works
    assert c.get_value() == before_c + 1


def test_wrong_number_of_inputs():
    x, y = T.vector("x"), T.vector("y")
    f = clgraph.function([x, y], x + y)
    with pytest.raises(clgraph.InputError, match="takes 2 argument"):
        f(np.ones(2, "float32"))
    with pytest.raises(clgraph.InputError, match="no input named 'z'"):
        f(x=np.ones(2, "float32"), z=1)
    np.testing.assert_array_equal(f(y=np.ones(2, "float32"), x=np.ones(2, "float32")), [2, 2])


def test_input_conversion_rules():
    x = T.fvector("x")
    f = clgraph.function([x], x * 2)
    np.testing.assert_array_equal(f([1, 2, 3]), [2, 4, 6])  # Python numbers by value
    np.testing.assert_array_equal(f(np.array([1, 2], "int16")), [2, 4])  # lossless
    with pytest.raises(clgraph.InputError, match=r"input 0 \(x.*float64.*allow_input_downcast"):
        f(np.array([0.1, 0.2]))
    g = clgraph.function([x], x * 2, allow_input_downcast=True)
    np.testing.assert_allclose(g(np.array([0.1, 0.2])), [0.2, 0.4], rtol=1e-6)
    with pytest.raises(clgraph.InputError, match="ndim 1"):
        f(np.ones((2, 2), "float32"))
    i = T.ivector("i")
    h = clgraph.function([i], i + 1)
    with pytest.raises(clgraph.InputError, match="int64"):
        h(np.array([1, 2], "int64"))
    np.testing.assert_array_equal(h([1, 2]), [2, 3])
    r = T.frow("r")
    with pytest.raises(clgraph.InputError, match="broadcastable"):
        clgraph.function([r], r * 2)(np.ones((2, 3), "float32"))


def test_on_unused_input():
    x, y = T.vector("x"), T.vector("y")
    with pytest.raises(clgraph.UnusedInputError, match="input 1"):
        clgraph.function([x, y], x * 2)
    with pytest.warns(UserWarning, match="not used"):
        clgraph.function([x, y], x * 2, on_unused_input="warn")
    f = clgraph.function([x, y], x * 2, on_unused_input="ignore")
    np.testing.assert_array_equal(f(np.ones(2, "float32"), np.ones(3, "float32")), [2, 2])


def test_missing_input_names_variable_and_line():
    x, y = T.vector("x"), T.vector("y")
    with pytest.raises(clgraph.MissingInputError, match=r"(?s)y.*test_function.py:\d+"):
        clgraph.function([x], x + y)


def test_bad_inputs_to_function():
    w = clgraph.shared(np.zeros(2, "float32"))
    x = T.vector()
    with pytest.raises(TypeError, match="shared variable"):
        clgraph.function([w], w * 2)
    with pytest.raises(TypeError, match="free variables"):
        clgraph.function([x * 2], x)
    with pytest.raises(TypeError, match="truth value of the comparison"):
        if x > 0:
            pass


def test_variables_are_truthy_except_comparisons():
    """Theano's rule: `if not W:` (the tutorials' rbm.py, dA.py) asks whether a weight
    was given, so variables are true; a comparison's result has no truth value yet, so
    `if x > 0:` and `a < b < c` fail instead of taking one branch."""
    W, x = clgraph.shared(np.zeros(2, "float32")), T.vector()
    assert W and x and (x * 2) and not (not x)
    for cmp in (x < 1, x <= 1, x > 1, x >= 1, T.eq(x, 1), T.neq(x, 1)):
        with pytest.raises(TypeError, match="truth value of the comparison"):
            bool(cmp)
    with pytest.raises(TypeError, match="chained"):
        0 < x < 1


def test_givens_keep_a_reshape_s_given_pattern():
    """Cloning for givens keeps types that were given rather than derived: the gradient
    of an alloc with a length-1 axis reshapes back to that pattern (an UpSampling layer
    trained by Keras' fit, which binds its data through givens)."""
    import clgraph.tensor as T
    x, z = T.tensor4("x"), T.tensor4("z")
    w = clgraph.shared(np.float32(1.5))
    e = (x * w).dimshuffle(0, 1, 2, "x", 3, "x")
    a = T.alloc(e, x.shape[0], x.shape[1], x.shape[2], 1, x.shape[3], 2)
    cost = T.sqr(a.reshape((x.shape[0], x.shape[1], x.shape[2], x.shape[3] * 2))).sum()
    f = clgraph.function([z], cost, updates=[(w, w - 0.01 * clgraph.grad(cost, w))], givens={x: z * 1})
    v = np.random.default_rng(0).normal(size=(2, 3, 2, 4)).astype("float32")
    np.testing.assert_allclose(f(v), 2 * ((1.5 * v) ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(w.get_value(), 1.5 - 0.01 * 4 * 1.5 * (v ** 2).sum(), rtol=1e-5)
