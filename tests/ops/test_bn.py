"""T.nnet.bn: batch_normalization_train / _test / batch_normalization (Theano's
semantics) against numpy, in both parameter layouts, float32 and float64, strided
inputs; the running averages; gradients against finite differences; the batch
statistics as one kernel (BatchStats) and the normalisation as one more; errors."""
import numpy as np
import pytest
from opcheck import check_grad, line_of

import clgraph
import clgraph.tensor as T
from clgraph.tensor.nnet import bn

FLOATS = ["float32", "float64"]
TOL = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def np_axes(axes, ndim):
    return {"per-activation": (0,), "spatial": (0,) + tuple(range(2, ndim))}.get(axes, axes)


def np_train(x, gamma, beta, axes, eps=1e-4, full=True, rm=None, rv=None, factor=0.1):
    """Theano's reference formulas in float64; results in the parameters' layout."""
    axes = np_axes(axes, x.ndim)
    x64 = x.astype(np.float64)
    mean = x64.mean(axes, keepdims=True)
    var = x64.var(axes, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    shape = mean.shape
    g, b = (np.reshape(p.astype(np.float64), shape) for p in (gamma, beta))
    out = (x64 - mean) * invstd * g + b
    res = [out, mean, invstd]
    if rm is not None:
        m = x.size / mean.size
        res.append(np.reshape(rm, shape) * (1 - factor) + mean * factor)
        res.append(np.reshape(rv, shape) * (1 - factor) + var * (m / (m - 1)) * factor)
    layout = gamma.shape
    return [r.astype(x.dtype) if k == 0 else r.reshape(layout).astype(x.dtype) for k, r in enumerate(res)]


def params(rng, x, axes, full, dtype, n=2):
    axes = np_axes(axes, x.ndim)
    shape = tuple(1 if a in axes else s for a, s in enumerate(x.shape)) if full else \
        tuple(s for a, s in enumerate(x.shape) if a not in axes)
    return [rng.uniform(0.5, 1.5, shape).astype(dtype) for _ in range(n)]


def sym(arr, name):
    return T.tensor(arr.dtype.name, (False,) * arr.ndim, name=name)


def close(got, want):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
        np.testing.assert_allclose(g, w, **TOL[w.dtype.name])


# -- forward ---------------------------------------------------------------------------

CASES = [((16, 5), "per-activation"), ((4, 3, 5, 6), "spatial"), ((6, 4, 5), (0, 2)), ((3, 7, 4), (1,))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape,axes", CASES)
def test_train_forward(shape, axes, full, dtype, rng):
    """out, mean, invstd and the running averages in one function; the data sit far
    from 0 (the one-pass statistics must not cancel)."""
    x = (rng.normal(size=shape) * 2 + 5).astype(dtype)
    g, b, rm, rv = params(rng, x, axes, full, dtype, 4)
    xs, gs, bs, ms, vs = (sym(a, n) for a, n in zip((x, g, b, rm, rv), "xgbmv"))
    res = bn.batch_normalization_train(xs, gs, bs, axes, 1e-3, 0.3, ms, vs)
    f = clgraph.function([xs, gs, bs, ms, vs], list(res))
    close(f(x, g, b, rm, rv), np_train(x, g, b, axes, 1e-3, full, rm, rv, 0.3))
    # without running averages: three results (Theano)
    res = bn.batch_normalization_train(xs, gs, bs, axes, epsilon=1e-3)
    assert len(res) == 3
    f = clgraph.function([xs, gs, bs], list(res))
    close(f(x, g, b), np_train(x, g, b, axes, 1e-3, full))


PATHS = [
    # x's last axis kept and contiguous (the _cols kernel): 21 = 2 * 8 + 5 and 5 * 4 + 1
    # statistics, the last vector overlapping its neighbour; with two kept axes; rows
    # of a sliced view
    ((9, 21), (0,), None), ((5, 3, 10), (0,), None), ((12, 21), (0,), np.s_[1::2]),
    # few statistics over many elements: chunks and the _final kernel (both kernels)
    ((20000, 8), (0,), None), ((64, 2, 32, 16), (0, 2, 3), None),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axes,view", PATHS)
def test_stats_kernel_paths(shape, axes, view, dtype, rng):
    """Every way the statistics kernel runs (vector loads across statistics, split
    reductions) with the running averages in both layouts, against numpy."""
    x = (rng.normal(size=shape) + 4).astype(dtype)
    xs = sym(x, "x")
    xv = xs[view] if view is not None else xs
    xn = x[view] if view is not None else x
    for full in (True, False):
        g, b, rm, rv = params(rng, xn, axes, full, dtype, 4)
        res = bn.batch_normalization_train(xv, g, b, axes, 1e-3, 0.3, rm, rv)
        f = clgraph.function([xs], list(res))
        close(f(x), np_train(xn, g, b, axes, 1e-3, full, rm, rv, 0.3))


@pytest.mark.parametrize("dtype", FLOATS)
def test_train_forward_strided_inputs(dtype, rng):
    """A transposed and sliced view (an offset, strides along both axes) is read in
    place: no copy kernel."""
    x = (rng.normal(size=(7, 20)) + 3).astype(dtype)
    xs = sym(x, "x")
    view = xs.T[1::2, ::-1]  # (10, 7), normalised over its rows
    g, b = params(rng, np.empty((10, 7)), "per-activation", False, dtype)
    out, mean, invstd = bn.batch_normalization_train(view, g, b)
    f = clgraph.function([xs], [out, mean, invstd])
    assert [k.family for k in f.kernels] == ["bn_stats", "elemwise"]
    close(f(x), np_train(x.T[1::2, ::-1], g, b, "per-activation", full=False))


def test_train_stats_far_from_zero(rng):
    """float32 data with a large offset: shifted sums keep the variance accurate where
    sum(x^2) / m - mean^2 would lose every digit."""
    x = (rng.normal(size=(4096, 3)) * 0.01 + 1000).astype("float32")
    xs = T.fmatrix("x")
    _, mean, invstd = bn.batch_normalization_train(xs, np.ones(3, "float32"), np.zeros(3, "float32"),
                                                   epsilon=0)
    m, inv = clgraph.function([xs], [mean, invstd])(x)
    np.testing.assert_allclose(m, x.astype(np.float64).mean(0), rtol=1e-7)
    np.testing.assert_allclose(inv, 1 / x.astype(np.float64).std(0), rtol=1e-3)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("full", [True, False])
def test_test_forward(full, dtype, rng):
    x = rng.normal(size=(3, 4, 2, 5)).astype(dtype)
    g, b, mean = params(rng, x, "spatial", full, dtype, 3)
    var = params(rng, x, "spatial", full, dtype, 1)[0]
    syms = [sym(a, n) for a, n in zip((x, g, b, mean, var), "xgbmv")]
    f = clgraph.function(syms, bn.batch_normalization_test(*syms, axes="spatial", epsilon=1e-3))
    shape = (1, 4, 1, 1)
    p64 = [np.reshape(a.astype(np.float64), shape) for a in (g, b, mean, var)]
    want = (x - p64[2]) * (p64[0] / np.sqrt(p64[3] + 1e-3)) + p64[1]
    close([f(x, g, b, mean, var)], [want.astype(dtype)])


@pytest.mark.parametrize("mode", ["low_mem", "high_mem"])
def test_theano_08_batch_normalization(mode, rng):
    x = rng.normal(size=(5, 4))
    g, b, m = (rng.normal(size=(1, 4)) for _ in range(3))
    s = rng.uniform(0.5, 2, (1, 4))
    syms = [T.dmatrix("x")] + [T.TensorType("float64", (True, False))(n) for n in "gbms"]
    f = clgraph.function(syms, bn.batch_normalization(*syms, mode=mode))
    assert len(f.kernels) == 1
    close([f(x, g, b, m, s)], [(x - m) / s * g + b])


def test_reachable_as_theano_spells_it():
    assert T.nnet.bn.batch_normalization_train is bn.batch_normalization_train
    import clgraph.tensor.nnet.bn as mod
    assert mod.batch_normalization_test is bn.batch_normalization_test


def test_dtype_promotion_as_theano():
    """The results take the common dtype of inputs and parameters (Theano's
    as_common_dtype); no float64 anywhere in a float32 graph."""
    x, g, b = T.fmatrix("x"), T.dvector("g"), T.dvector("b")
    assert all(r.dtype == "float64" for r in bn.batch_normalization_train(x, g, b))
    gf, bf = T.fvector("g"), T.fvector("b")
    res = bn.batch_normalization_train(x, gf, bf, running_mean=T.fvector("m"), running_var=T.fvector("v"),
                                       running_average_factor=T.fscalar("f"))
    assert all(r.dtype == "float32" for r in res)
    f = clgraph.function([x, gf, bf], bn.batch_normalization_test(x, gf, bf, gf, bf))
    assert all("double" not in k.source for k in f.kernels)


# -- the running averages in a training step -----------------------------------------


@pytest.mark.parametrize("full", [True, False])
def test_training_step_updates_running_averages(full, rng):
    """A step of a training function: two kernels (the batch statistics with the new
    running averages, and the normalisation), the averages as updates of shared
    variables over three calls against numpy; no double in float32."""
    x = (rng.normal(size=(3, 6, 4, 4)) + 2).astype("float32")
    g, b, rm0, rv0 = params(rng, x, "spatial", full, "float32", 4)
    rm, rv = clgraph.shared(rm0.copy(), "rm"), clgraph.shared(rv0.copy(), "rv")
    xs = T.ftensor4("x")
    out, mean, invstd, nrm, nrv = bn.batch_normalization_train(xs, g, b, "spatial", 1e-4, 0.2, rm, rv)
    f = clgraph.function([xs], out, updates=[(rm, nrm), (rv, nrv)])
    assert [k.family for k in f.kernels] == ["bn_stats", "elemwise"]
    assert all("double" not in k.source for k in f.kernels)
    want_m, want_v = rm0, rv0
    for step in range(3):
        batch = x + step
        got = f(batch)
        want = np_train(batch, g, b, "spatial", 1e-4, full, want_m, want_v, 0.2)
        want_m, want_v = want[3], want[4]
        close([got, rm.get_value(), rv.get_value()], [want[0], want_m, want_v])


def test_symbolic_running_average_factor(rng):
    x = rng.normal(size=(6, 3))
    rm, rv, fac = T.dvector("rm"), T.dvector("rv"), T.dscalar("f")
    xs = T.dmatrix("x")
    res = bn.batch_normalization_train(xs, np.ones(3), np.zeros(3), running_average_factor=fac,
                                       running_mean=rm, running_var=rv)
    f = clgraph.function([xs, rm, rv, fac], list(res[3:]))
    m0, v0 = rng.normal(size=3), rng.uniform(1, 2, 3)
    close(f(x, m0, v0, 0.7), np_train(x, np.ones(3), np.zeros(3), (0,), 1e-4, False, m0, v0, 0.7)[3:])


# -- gradients -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_train_grads(dtype, rng):
    """d out / d (inputs, gamma, beta) in both layouts, and through mean and invstd
    (alone, and beside out)."""
    x = (rng.normal(size=(5, 3)) + 1).astype(dtype)
    g, b = params(rng, x, "per-activation", False, dtype)
    check_grad(lambda v, gg, bb: bn.batch_normalization_train(v, gg, bb)[0], x, g, b)
    check_grad(lambda v: bn.batch_normalization_train(v, g, b)[1] * bn.batch_normalization_train(v, g, b)[2], x)
    # out, mean and invstd together (out's gradient covers its own path through the statistics)
    check_grad(lambda v: (lambda r: r[0] * 3 + r[1] * r[2])(bn.batch_normalization_train(v, g, b)), x)
    x4 = (rng.normal(size=(2, 3, 2, 2)) + 1).astype(dtype)
    g4, b4 = params(rng, x4, "spatial", True, dtype)
    check_grad(lambda v, gg, bb: bn.batch_normalization_train(v, gg, bb, "spatial")[0], x4, g4, b4)


@pytest.mark.parametrize("dtype", FLOATS)
def test_running_average_grads(dtype, rng):
    """Through the new running averages (wrt the inputs and the old averages)."""
    x = (rng.normal(size=(4, 3)) + 1).astype(dtype)
    g, b, rm, rv = params(rng, x, "per-activation", True, dtype, 4)

    def new_avgs(v, m, s):
        res = bn.batch_normalization_train(v, g, b, running_average_factor=0.3, running_mean=m, running_var=s)
        return res[3] * 2 + res[4]
    check_grad(new_avgs, x, rm, rv)


@pytest.mark.parametrize("dtype", FLOATS)
def test_test_grads(dtype, rng):
    x = rng.normal(size=(4, 3)).astype(dtype)
    g, b, m = params(rng, x, "per-activation", False, dtype, 3)
    v = params(rng, x, "per-activation", False, dtype, 1)[0]
    check_grad(lambda *a: bn.batch_normalization_test(*a, epsilon=1e-3), x, g, b, m, v)


def test_batch_stats_op(rng):
    """The op alone: its outputs against numpy, and its gradient wrt x from each
    output (mean, var, invstd) and all of them together."""
    from clgraph.ops.bn import BatchStats, np_batch_stats
    x = rng.normal(size=(3, 4, 5))
    xs = T.dtensor3("x")
    mean, var, invstd = BatchStats((0, 2))(xs, T.constant(1e-3, "float64"))
    got = clgraph.function([xs], [mean, var, invstd])(x)
    close(got, np_batch_stats(x, (0, 2), 1e-3))
    for k in range(3):
        check_grad(lambda v: BatchStats((0, 2))(v, T.constant(1e-3, "float64"))[k], x)
    check_grad(lambda v: T.sum(T.stack(BatchStats((1,))(v, T.constant(1e-3, "float64")))), x)


def test_second_derivative(rng):
    """The gradient is a graph: differentiable again."""
    x = rng.normal(size=(4, 2))
    g, b = np.array([1.5, 0.5]), np.array([0.1, -0.2])
    check_grad(lambda v: clgraph.grad(T.sum(T.sqr(bn.batch_normalization_train(v, g, b)[0]) * v), v), x)


# -- kernels ---------------------------------------------------------------------------


def test_train_is_one_stats_kernel_and_one_elementwise():
    x, g, b = T.fmatrix("x"), T.fvector("g"), T.fvector("b")
    out, mean, invstd = bn.batch_normalization_train(x, g, b)
    f = clgraph.function([x, g, b], [out, mean, invstd])
    assert [k.family for k in f.kernels] == ["bn_stats", "elemwise"]
    stats = f.kernels[0]
    assert stats.template.endswith("bn_stats.cl.mako")
    assert "double" not in stats.source and "fma(" not in stats.source and "mad(" not in stats.source
    assert "count" in stats.source  # (sizes are arguments)


def test_gradient_is_two_column_sums_and_elementwise_kernels():
    """d out / d (inputs, gamma, beta): sum(gz) and sum(gz * xhat), one pass each, and
    elementwise kernels (not a sum per broadcast operand); no double in float32."""
    x, g, b = T.ftensor4("x"), T.fvector("g"), T.fvector("b")
    out = bn.batch_normalization_train(x, g, b, "spatial")[0]
    f = clgraph.function([x, g, b], clgraph.grad(T.sum(T.nnet.relu(out)), [x, g, b]))
    families = [k.family for k in f.kernels]
    assert families.count("reduce") == 2 and families.count("bn_stats") == 1 and len(families) <= 5, families
    assert all("double" not in k.source for k in f.kernels)


# -- errors ----------------------------------------------------------------------------


def test_errors_at_build_time():
    x, g, b = T.fmatrix("x"), T.fvector("g"), T.fvector("b")
    with pytest.raises(clgraph.DTypeError, match="batch_normalization_train: inputs.*int32") as info:
        bn.batch_normalization_train(T.imatrix("xi"), g, b)  # int inputs
    assert f"test_bn.py:{line_of(__file__, '# int inputs')}" in str(info.value)
    with pytest.raises(clgraph.DTypeError, match="batch_normalization_test: gamma.*int64"):
        bn.batch_normalization_test(x, T.lvector("gi"), b, g, b)
    with pytest.raises(clgraph.ShapeError, match=r"batch_normalization_train: gamma and beta.*rank 2.*or 1.*"
                                                  r"gamma.*ndim=3") as info:
        bn.batch_normalization_train(x, T.ftensor3("g3"), b)  # gamma of a wrong rank
    assert f"test_bn.py:{line_of(__file__, '# gamma of a wrong rank')}" in str(info.value)
    with pytest.raises(clgraph.ShapeError, match="axes must be 'per-activation'"):
        bn.batch_normalization_train(x, g, b, axes="channels")
    with pytest.raises(clgraph.ShapeError, match=r"axes \(2,\).*0 <= axis < 2") as info:
        bn.batch_normalization_train(x, g, b, axes=(2,))  # an axis past the rank
    assert f"test_bn.py:{line_of(__file__, 'axes=(2,))  # an axis past')}" in str(info.value)
    with pytest.raises(clgraph.ShapeError, match="at least one normalisation axis"):
        bn.batch_normalization_train(x, g, b, axes=())
    with pytest.raises(clgraph.ShapeError, match="running_mean and running_var must both be given"):
        bn.batch_normalization_train(x, g, b, running_mean=g)
    with pytest.raises(clgraph.ShapeError, match="running_mean.*ndim=2"):
        bn.batch_normalization_train(x, g, b, running_mean=x, running_var=g)
    with pytest.raises(clgraph.ShapeError, match="epsilon must be a number >= 0"):
        bn.batch_normalization_test(x, g, b, g, b, epsilon=-1)
    with pytest.raises(ValueError, match="mode must be 'low_mem' or 'high_mem'"):
        bn.batch_normalization(x, g, b, g, b, mode="fast")


def test_errors_at_call_time_name_the_function_shapes_and_line():
    x, g, b, m, v = T.fmatrix("x"), T.fvector("g"), T.fvector("b"), T.fvector("m"), T.fvector("v")
    res = bn.batch_normalization_train(x, g, b, running_mean=m, running_var=v)  # the user's line
    f = clgraph.function([x, g, b, m, v], list(res))
    line = f"test_bn.py:{line_of(__file__, 'running_var=v)  # the user')}"
    ok, bad = np.ones(4, "float32"), np.ones(5, "float32")
    xv = np.ones((8, 4), "float32")
    with pytest.raises(clgraph.ShapeError, match=r"batch_normalization_train: gamma has shape \(5,\), but the "
                                                  r"inputs of shape \(8, 4\) normalised over axes \(0,\) "
                                                  r"need \(4,\)") as info:
        f(xv, bad, ok, ok, ok)
    assert line in str(info.value)
    with pytest.raises(clgraph.ShapeError, match=r"batch_normalization_train: running_var has shape \(5,\)"
                                                  r".*\(8, 4\).*\(4,\)") as info:
        f(xv, ok, ok, ok, bad)
    assert line in str(info.value)
    # full rank: the normalised axes must have length 1
    g2, p = T.fmatrix("g2"), T.fmatrix("p")
    f2 = clgraph.function([x, g2, p], bn.batch_normalization_test(x, g2, p, p, p, axes=(0,)))
    one = np.ones((1, 4), "float32")
    with pytest.raises(clgraph.ShapeError, match=r"batch_normalization_test: gamma has shape \(2, 4\).*"
                                                  r"need \(1, 4\)"):
        f2(xv, np.ones((2, 4), "float32"), one)
    np.testing.assert_allclose(f2(xv, one, one), np.full((8, 4), 1.0), rtol=1e-6)
