"""T.nnet softmax family: softmax / log_softmax (one kernel, strided rows, stable for
large logits), categorical_crossentropy (one-hot and integer targets, the softmax
stabilisation), binary_crossentropy (the sigmoid stabilisation); forward against numpy
and gradients against finite differences."""
import numpy as np
import pytest
from opcheck import check_forward, check_grad

import clgraph
import clgraph.tensor as T
from clgraph.tensor import nnet

FLOATS = ["float32", "float64"]


def np_log_softmax(x):
    x64 = x.astype(np.float64)
    m = x64.max(axis=-1, keepdims=True)
    return ((x64 - m) - np.log(np.exp(x64 - m).sum(axis=-1, keepdims=True))).astype(x.dtype)


def np_softmax(x):
    return np.exp(np_log_softmax(x).astype(np.float64)).astype(x.dtype)


def np_xent_index(coding, y):
    return (-np.log(coding.astype(np.float64)[np.arange(len(y)), y])).astype(coding.dtype)


# -- softmax / log_softmax forward ---------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ncol", [1, 7, 1000])
def test_softmax_forward(ncol, dtype, rng):
    x = (rng.normal(size=(5, ncol)) * 3).astype(dtype)
    check_forward(nnet.softmax, np_softmax, x)
    check_forward(nnet.log_softmax, np_log_softmax, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_of_strided_rows(dtype, rng):
    """x.T: a row is a column of the input, read through its stride (no copy kernel)."""
    x = rng.normal(size=(7, 4)).astype(dtype)
    f = check_forward(lambda v: nnet.softmax(v.T), lambda v: np_softmax(v.T), x)
    assert len(f.kernels) == 1
    check_forward(lambda v: nnet.log_softmax(v.T), lambda v: np_log_softmax(v.T), x)


def test_softmax_of_a_sliced_view(rng):
    """A view with an offset and strides in both axes (x[::2, 1::3]): no copy kernel."""
    x = rng.normal(size=(6, 10)).astype("float32")
    f = check_forward(lambda v: nnet.softmax(v[::2, 1::3]), lambda v: np_softmax(v[::2, 1::3]), x)
    assert len(f.kernels) == 1
    check_forward(lambda v: nnet.categorical_crossentropy(nnet.softmax(v[1::2, ::-1]), T.constant([0, 9, 4])),
                  lambda v: -np_log_softmax(v[1::2, ::-1])[np.arange(3), [0, 9, 4]], x)


def test_softmax_vector_and_higher_rank(rng):
    v = rng.normal(size=9).astype("float32")
    check_forward(nnet.softmax, np_softmax, v)
    check_forward(nnet.log_softmax, np_log_softmax, v)
    t = rng.normal(size=(2, 3, 5)).astype("float64")
    check_forward(nnet.softmax, np_softmax, t)
    check_forward(lambda a: nnet.log_softmax(a.dimshuffle(2, 0, 1)),
                  lambda a: np_log_softmax(a.transpose(2, 0, 1)), t)


def test_softmax_of_a_matrix_is_one_kernel():
    x = T.matrix()
    f = clgraph.function([x], nnet.softmax(x))
    assert len(f.kernels) == 1
    assert f.kernels[0].template.endswith("softmax.cl.mako")
    src = f.kernels[0].source
    assert "1000" not in src and "ncol" in src  # sizes are arguments
    assert len(clgraph.function([x], nnet.log_softmax(x)).kernels) == 1


def test_int_input_is_promoted_like_exp():
    x = T.imatrix()
    assert nnet.softmax(x).dtype == "float64"
    assert nnet.softmax(T.bmatrix()).dtype == "float32"
    out = clgraph.function([x], nnet.softmax(x))(np.array([[1, 2, 3]], "int32"))
    np.testing.assert_allclose(out, np_softmax(np.array([[1.0, 2.0, 3.0]])), rtol=1e-12)


# -- stability -------------------------------------------------------------------------


def test_large_logits_are_finite_float32():
    x = np.array([[1000, -1000, 0], [-1000, -1000, -1000], [0, 1000, 999]], "float32")
    xv, yv = T.fmatrix(), T.ivector()
    y = np.array([1, 0, 2], "int32")
    onehot = np.eye(3, dtype="float32")[y]
    sm, ls = nnet.softmax(xv), nnet.log_softmax(xv)
    loss_i = nnet.categorical_crossentropy(sm, yv)
    loss_h = nnet.categorical_crossentropy(sm, T.constant(onehot))
    g_i = clgraph.grad(loss_i.sum(), xv)
    g_h = clgraph.grad(loss_h.sum(), xv)
    outs = clgraph.function([xv, yv], [sm, ls, loss_i, loss_h, g_i, g_h])(x, y)
    for o in outs:
        assert np.isfinite(o).all(), outs
    np.testing.assert_allclose(outs[0], np_softmax(x), atol=1e-7)
    np.testing.assert_allclose(outs[1], np_log_softmax(x), rtol=1e-6)
    np.testing.assert_allclose(outs[2], [2000, np.log(3), 1 + np.log1p(np.exp(-1))], rtol=1e-6)
    np.testing.assert_allclose(outs[3], outs[2], rtol=1e-6)
    want_g = np_softmax(x) - onehot
    np.testing.assert_allclose(outs[4], want_g, atol=1e-6)
    np.testing.assert_allclose(outs[5], want_g, atol=1e-6)


def test_binary_crossentropy_of_sigmoid_is_finite():
    x = np.array([-1000, -30, 0, 30, 1000], "float32")
    t = np.array([1, 0, 1, 1, 0], "float32")
    xv, tv = T.fvector(), T.fvector()
    loss = nnet.binary_crossentropy(nnet.sigmoid(xv), tv)
    got, g = clgraph.function([xv, tv], [loss, clgraph.grad(loss.sum(), xv)])(x, t)
    x64 = x.astype(np.float64)
    want = t * np.logaddexp(0, -x64) + (1 - t) * np.logaddexp(0, x64)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(g, 0.5 * (1 + np.tanh(x64 / 2)) - t, atol=1e-6)  # sigmoid - t


# -- cross-entropies forward -----------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_categorical_crossentropy_forward(dtype, rng):
    coding = rng.uniform(0.1, 1, (6, 5)).astype(dtype)
    coding /= coding.sum(axis=1, keepdims=True)
    y = rng.integers(0, 5, 6).astype("int32")
    onehot = np.eye(5, dtype=dtype)[y]
    check_forward(nnet.categorical_crossentropy, lambda c, t: -(t * np.log(c)).sum(axis=1), coding, onehot)
    check_forward(nnet.categorical_crossentropy, np_xent_index, coding, y)
    check_forward(nnet.categorical_crossentropy, np_xent_index, coding, y.astype("int64"))
    # softmax input: the fused logits kernel
    x = rng.normal(size=(6, 5)).astype(dtype) * 4
    f = check_forward(lambda a, t: nnet.categorical_crossentropy(nnet.softmax(a), t),
                      lambda a, t: -np_log_softmax(a)[np.arange(6), t], x, y)
    assert len(f.kernels) == 1
    check_forward(lambda a, t: nnet.categorical_crossentropy(nnet.softmax(a.T), t),
                  lambda a, t: -np_log_softmax(a.T)[np.arange(5), t], x, y[:5])


def test_out_of_range_class_index_gives_nan(rng):
    """The indices stay on the device; a bad one is never read past, its row is NaN."""
    coding = rng.uniform(0.1, 1, (4, 3)).astype("float32")
    y = np.array([0, 3, -1, 2], "int32")
    c, yv = T.fmatrix(), T.ivector()
    for loss in [nnet.categorical_crossentropy(c, yv), nnet.categorical_crossentropy(nnet.softmax(c), yv)]:
        out = clgraph.function([c, yv], loss)(coding, y)
        assert np.isnan(out[1:3]).all() and np.isfinite(out[[0, 3]]).all()
    g = clgraph.function([c, yv], clgraph.grad(nnet.categorical_crossentropy(c, yv).sum(), c))(coding, y)
    assert np.isnan(g[1:3]).all() and np.isfinite(g[[0, 3]]).all()


def test_crossentropy_errors():
    c, y = T.fmatrix(), T.ivector()
    f = clgraph.function([c, y], nnet.categorical_crossentropy(c, y))
    with pytest.raises(clgraph.ShapeError, match=r"crossentropy_index.*\(4, 3\).*\(5,\)"):
        f(np.ones((4, 3), "float32"), np.zeros(5, "int32"))
    with pytest.raises(clgraph.DTypeError, match="integer.*float32"):
        nnet.categorical_crossentropy(c, T.fvector())
    with pytest.raises(clgraph.ShapeError, match="categorical_crossentropy.*ndim=3"):
        nnet.categorical_crossentropy(c, T.tensor3())
    with pytest.raises(clgraph.ShapeError, match="softmax.*scalar"):
        nnet.softmax(T.scalar())
    try:
        nnet.softmax(T.scalar())
    except clgraph.ShapeError as exc:
        assert "test_nnet.py" in str(exc)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_crossentropy_forward(dtype, rng):
    out = rng.uniform(0.05, 0.95, (4, 5)).astype(dtype)
    tgt = rng.uniform(0, 1, (4, 5)).astype(dtype)
    ref = lambda o, t: -(t * np.log(o) + (1 - t) * np.log(1 - o))  # noqa: E731
    check_forward(nnet.binary_crossentropy, ref, out, tgt)
    x = rng.normal(size=(4, 5)).astype(dtype)
    check_forward(lambda a, t: nnet.binary_crossentropy(nnet.sigmoid(a), t),
                  lambda a, t: ref(1 / (1 + np.exp(-a)), t), x, tgt, rtol=1e-5 if dtype == "float32" else 1e-12)


# -- gradients -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_grads(dtype, rng):
    x = rng.normal(size=(3, 4)).astype(dtype)
    check_grad(nnet.softmax, x)
    check_grad(nnet.log_softmax, x)
    check_grad(lambda v: nnet.softmax(v.T), x)
    check_grad(nnet.log_softmax, x[0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_crossentropy_grads(dtype, rng):
    y = np.array([2, 0, 3], "int32")
    onehot = np.eye(4, dtype=dtype)[y]
    x = rng.normal(size=(3, 4)).astype(dtype)
    coding = rng.uniform(0.3, 1, (3, 4)).astype(dtype)
    for target in [T.constant(y), T.constant(onehot)]:
        check_grad(lambda v: nnet.categorical_crossentropy(nnet.softmax(v), target), x)
        check_grad(lambda c: nnet.categorical_crossentropy(c, target), coding)
    # a probability (not one-hot) target: the gradient wrt it too
    probs = rng.uniform(0.1, 1, (3, 4)).astype(dtype)
    check_grad(lambda v, t: nnet.categorical_crossentropy(nnet.softmax(v), t), x, probs)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_crossentropy_grads(dtype, rng):
    out = rng.uniform(0.2, 0.8, (2, 3)).astype(dtype)
    tgt = rng.uniform(0, 1, (2, 3)).astype(dtype)
    check_grad(nnet.binary_crossentropy, out, tgt)
    x = rng.normal(size=(2, 3)).astype(dtype)
    check_grad(lambda a, t: nnet.binary_crossentropy(nnet.sigmoid(a), t), x, tgt)


def test_second_derivative_of_crossentropy_softmax(rng):
    """The gradient is itself a graph (softmax, one-hot rows): it can be differentiated."""
    y = T.constant(np.array([1, 0], "int32"))
    x = rng.normal(size=(2, 3))
    check_grad(lambda v: clgraph.grad(nnet.categorical_crossentropy(nnet.softmax(v), y).sum(), v), x)


# -- the softmax gradient op ---------------------------------------------------------


def np_softmax_grad(dy, z, log):
    dy64, z64 = dy.astype(np.float64), z.astype(np.float64)
    if log:
        return (dy64 - np.exp(z64) * dy64.sum(axis=-1, keepdims=True)).astype(z.dtype)
    return ((dy64 - (dy64 * z64).sum(axis=-1, keepdims=True)) * z64).astype(z.dtype)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_backward_is_one_row_kernel(log, dtype, rng):
    """grad of softmax / log_softmax: SoftmaxGrad, one kernel after the forward one
    (not a product, a row sum and an elementwise tail)."""
    x, g = T.matrix("x", dtype=dtype), T.matrix("g", dtype=dtype)
    sm = nnet.log_softmax(x) if log else nnet.softmax(x)
    f = clgraph.function([x, g], clgraph.grad(T.sum(sm * g), x))
    assert [k.family for k in f.kernels].count("softmax") == 2 and len(f.kernels) <= 3
    assert ("log_softmax_grad" if log else "softmax_grad") in clgraph.printing.debugprint(f, file="str")
    xv, gv = rng.normal(size=(6, 9)).astype(dtype), rng.normal(size=(6, 9)).astype(dtype)
    want = np_softmax_grad(gv, np_log_softmax(xv) if log else np_softmax(xv), log)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(f(xv, gv), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_grad_op_forward_strided_and_broadcast(log, rng):
    """SoftmaxGrad reads both operands through their strides (a transposed z, a 3-D
    tensor) and a dy that broadcasts over rows."""
    from clgraph.ops.nnet import SoftmaxGrad
    op = SoftmaxGrad(log)
    dy, z = rng.normal(size=(5, 4)).astype("float32"), rng.uniform(0.1, 1, (4, 5)).astype("float32")
    check_forward(lambda a, b: op(a, b.T), lambda a, b: np_softmax_grad(a, b.T, log), dy, z)
    d3, z3 = rng.normal(size=(2, 3, 4)).astype("float32"), rng.uniform(0.1, 1, (2, 3, 4)).astype("float32")
    check_forward(op, lambda a, b: np_softmax_grad(a, b, log), d3, z3)
    row = rng.normal(size=(1, 4)).astype("float32")
    r = T.TensorType("float32", (True, False))("r")
    zz = T.matrix("zz")
    f = clgraph.function([r, zz], op(r, zz))
    want = np_softmax_grad(np.broadcast_to(row, z.T.shape), z.T, log)
    np.testing.assert_allclose(f(row, np.ascontiguousarray(z.T)), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_grad_op_gradients(log, rng):
    """SoftmaxGrad's own gradient (second derivatives of a softmax loss), against finite
    differences, wrt both operands."""
    from clgraph.ops.nnet import SoftmaxGrad
    dy = rng.normal(size=(3, 4))
    z = rng.normal(size=(3, 4)) if log else rng.uniform(0.1, 1, (3, 4))
    check_grad(SoftmaxGrad(log), dy, z)
    check_grad(lambda v: clgraph.grad(T.sum(T.sqr(nnet.softmax(v) - 0.3)), v), rng.normal(size=(2, 5)))


def test_softmax_grad_op_errors():
    from clgraph.ops.nnet import SoftmaxGrad
    with pytest.raises(clgraph.errors.ShapeError, match="softmax_grad"):
        SoftmaxGrad()(T.vector("d"), T.matrix("z"))
    with pytest.raises(clgraph.errors.DTypeError, match="softmax_grad"):
        SoftmaxGrad()(T.imatrix("d"), T.matrix("z"))
    f = clgraph.function([d := T.matrix("d"), z := T.matrix("z")], SoftmaxGrad()(d, z))
    with pytest.raises(clgraph.errors.ShapeError, match=r"softmax_grad.*\(2, 3\).*\(2, 4\)"):
        f(np.ones((2, 3), "float32"), np.ones((2, 4), "float32"))
