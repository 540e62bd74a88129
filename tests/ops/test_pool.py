"""T.signal.pool.pool_2d (the pool family): forward against a plain-loop numpy version of
Theano's Pool over a grid of windows, strides, pads, borders, modes, dtypes, ranks and
strided views; the max gradient to the first maximum (ties, NaN); gradients and second
derivatives against finite differences; Theano 0.8/0.9 spellings; errors."""
import itertools

import numpy as np
import pytest
from opcheck import check_grad, line_of

import clgraph
import clgraph.tensor as T
from clgraph.tensor.signal import downsample
from clgraph.tensor.signal.pool import MaxPoolGradGrad, pool_2d

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]


# -- the numpy reference: Theano's Pool.perform, written out as loops -------------------

def np_out_len(v, w, s, p, ignore_border):
    v += 2 * p
    if ignore_border:
        return (v - w) // s + 1
    return (v - 1) // s + 1 if s >= w else max(0, (v - 1 - w + s) // s) + 1


def np_windows(shape, ws, stride, pad, ignore_border, inc_pad):
    """Yield (i, j, padded rows, padded cols) of every window, as Theano's perform cuts
    them: at the padded border, and (unless inc_pad) to the real cells."""
    (h, w), (wh, ww), (sh, sw), (ph, pw) = shape[-2:], ws, stride, pad
    oh, ow = np_out_len(h, wh, sh, ph, ignore_border), np_out_len(w, ww, sw, pw, ignore_border)
    for i in range(oh):
        for j in range(ow):
            r0, r1 = i * sh, min(i * sh + wh, h + 2 * ph)
            c0, c1 = j * sw, min(j * sw + ww, w + 2 * pw)
            if not inc_pad:
                r0, r1, c0, c1 = max(r0, ph), min(r1, h + ph), max(c0, pw), min(c1, w + pw)
            yield i, j, range(r0, r1), range(c0, c1)


def np_first_max(img, rows, cols):
    """(row, col) of the first maximum, row-major; a NaN is the maximum."""
    best = None
    for r in rows:
        for c in cols:
            v = img[r, c]
            if best is None or v > img[best] or (np.isnan(v) and not np.isnan(img[best])):
                best = (r, c)
    return best


def np_pool(x, ws, stride=None, pad=(0, 0), ignore_border=True, mode="max"):
    stride = stride or ws
    (h, w), (ph, pw) = x.shape[-2:], pad
    shape = x.shape[:-2] + (np_out_len(h, ws[0], stride[0], ph, ignore_border),
                            np_out_len(w, ws[1], stride[1], pw, ignore_border))
    out = np.zeros(shape, x.dtype)
    for lead in np.ndindex(*x.shape[:-2]):
        img = np.zeros((h + 2 * ph, w + 2 * pw), np.float64)
        img[ph:ph + h, pw:pw + w] = x[lead]
        for i, j, rows, cols in np_windows(x.shape, ws, stride, pad, ignore_border, mode == "average_inc_pad"):
            cells = [img[r, c] for r in rows for c in cols]
            if mode == "max":
                out[lead + (i, j)] = img[np_first_max(img, rows, cols)]
            else:
                out[lead + (i, j)] = sum(cells) / (1 if mode == "sum" else len(cells))
    return out


def np_first_maxima(x, ws, stride=None, pad=(0, 0), ignore_border=True):
    """Yield (leading index, i, j, row, col): window (i, j)'s first maximum in x."""
    stride = stride or ws
    (h, w), (ph, pw) = x.shape[-2:], pad
    for lead in np.ndindex(*x.shape[:-2]):
        img = np.full((h + 2 * ph, w + 2 * pw), -np.inf)
        img[ph:ph + h, pw:pw + w] = x[lead]
        for i, j, rows, cols in np_windows(x.shape, ws, stride, pad, ignore_border, False):
            r, c = np_first_max(img, rows, cols)
            yield lead, i, j, r - ph, c - pw


def np_max_grad(x, gz, *geometry):
    """d sum(pool(x) * gz) / dx with each window's gradient to its first maximum."""
    gx = np.zeros(x.shape, np.float64)
    for lead, i, j, r, c in np_first_maxima(x, *geometry):
        gx[lead + (r, c)] += gz[lead + (i, j)]
    return gx.astype(x.dtype)


def np_max_gradgrad(x, ggx, *geometry):
    """ggx at each window's first maximum of x."""
    out = np.zeros(np_pool(x, *geometry).shape)
    for lead, i, j, r, c in np_first_maxima(x, *geometry):
        out[lead + (i, j)] = ggx[lead + (r, c)]
    return out


def distinct(shape, dtype, rng, scale=0.1):
    """Values at least `scale` apart (no near-ties: finite differences of max are valid)."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n / 2) * scale).reshape(shape).astype(dtype)


TOL = {"float32": dict(rtol=2e-6, atol=2e-6), "float64": dict(rtol=1e-13, atol=1e-13)}


# -- forward over the grid ---------------------------------------------------------------

def geometries():
    """(ws, stride, pad, ignore_border): strides smaller than, equal to and larger than
    the window, pads (< ws, with ignore_border=True only), both borders."""
    for ws in [(1, 1), (2, 2), (3, 2), (3, 3)]:
        for stride in {(1, 1), ws, (ws[0] + 1, ws[1] + 2)}:
            for ignore_border in (True, False):
                pads = [(0, 0)] + ([(1, 1), (ws[0] - 1, 0)] if ignore_border and min(ws) > 1 else [])
                for pad in pads:
                    yield ws, stride, pad, ignore_border


GEOMETRIES = sorted(set(geometries()))


@pytest.mark.parametrize("ws,stride,pad,ignore_border", GEOMETRIES)
def test_forward_grid(ws, stride, pad, ignore_border, rng):
    """Every mode in float32 and float64, one function per geometry."""
    arrays = [rng.normal(size=(2, 3, 7, 8)).astype(d) for d in ("float32", "float64")]
    syms = [T.tensor4(dtype=a.dtype.name) for a in arrays]
    outs = [pool_2d(s, ws, ignore_border, stride, pad, mode) for s in syms for mode in MODES]
    got = clgraph.function(syms, outs)(*arrays)
    for k, (a, mode) in enumerate(itertools.product(arrays, MODES)):
        want = np_pool(a, ws, stride, pad, ignore_border, mode)
        assert got[k].dtype == a.dtype and got[k].shape == want.shape, (mode, got[k].shape, want.shape)
        np.testing.assert_allclose(got[k], want, err_msg=mode, **TOL[a.dtype.name])


def test_known_shapes_and_values():
    """Theano's documented sizes (5x5, ws 2: 2x2 ignoring the border, 3x3 keeping it; the
    st < ws formula) and hand-computed padded averages."""
    x = T.tensor4()
    for shape, ws, st, ib, want in [((5, 5), (2, 2), None, True, (2, 2)), ((5, 5), (2, 2), None, False, (3, 3)),
                                    ((6, 7), (3, 3), (2, 2), False, (3, 3)), ((6, 7), (3, 3), (2, 2), True, (2, 3)),
                                    ((4, 4), (3, 3), (4, 4), False, (1, 1)), ((2, 2), (3, 3), (1, 1), False, (1, 1))]:
        out = clgraph.function([x], pool_2d(x, ws, ignore_border=ib, stride=st))(np.ones((1, 1) + shape, "float32"))
        assert out.shape[-2:] == want, (shape, ws, st, ib, out.shape)
    ones = np.ones((1, 1, 3, 3), "float64")
    d = T.dtensor4()
    padded = [pool_2d(d, (2, 2), True, (2, 2), (1, 1), m) for m in MODES]
    border = [pool_2d(d, (2, 2), False, None, (0, 0), m) for m in MODES]
    got = clgraph.function([d], padded + border)(ones)
    np.testing.assert_array_equal(got[0][0, 0], [[1, 1], [1, 1]])
    np.testing.assert_array_equal(got[1][0, 0], [[1, 2], [2, 4]])
    np.testing.assert_array_equal(got[2][0, 0], [[0.25, 0.5], [0.5, 1]])  # padded cells count
    np.testing.assert_array_equal(got[3][0, 0], [[1, 1], [1, 1]])
    np.testing.assert_array_equal(got[5][0, 0], [[4, 2], [2, 1]])
    np.testing.assert_array_equal(got[6][0, 0], [[1, 1], [1, 1]])  # cut windows: no cells beyond the border


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ranks_and_strided_views(dtype, rng):
    """Ranks 2..5, leading axes read through their strides: dimshuffled and sliced views
    (negative strides too) are pooled by one kernel, no copy."""
    cases = [  # (array shape, view of the symbolic input, the same view in numpy)
        ((9, 6), lambda v: v.T, lambda a: a.T),
        ((3, 5, 7), lambda v: v, lambda a: a),
        ((7, 3, 8), lambda v: v.dimshuffle(1, 0, 2), lambda a: a.transpose(1, 0, 2)),
        ((4, 6, 9, 8), lambda v: v[1:, ::2, 1:, ::-1], lambda a: a[1:, ::2, 1:, ::-1]),
        ((2, 3, 2, 7, 6), lambda v: v.dimshuffle(0, 2, 1, 4, 3), lambda a: a.transpose(0, 2, 1, 4, 3)),
    ]
    for shape, view, np_view in cases:
        a = rng.normal(size=shape).astype(dtype)
        v = T.tensor(dtype, (False,) * len(shape))
        for mode, (ws, st, pad, ib) in zip(MODES, [((3, 2), (2, 1), (1, 1), True), ((2, 2), None, (0, 0), False),
                                                   ((3, 3), (2, 2), (2, 1), True), ((2, 3), (3, 2), (0, 0), False)]):
            f = clgraph.function([v], pool_2d(view(v), ws, ib, st, pad, mode))
            assert [k.name for k in f.kernels] == ["k0_pool"], (shape, [k.name for k in f.kernels])
            np.testing.assert_allclose(f(a), np_pool(np_view(a), ws, st, pad, ib, mode), **TOL[dtype])


def test_one_kernel_for_every_image_and_batch_size(rng):
    """Sizes are arguments: one function serves any batch and image size. The window,
    strides and pads are the op's and compiled in (constant loop bounds)."""
    x = T.ftensor4()
    f = clgraph.function([x], pool_2d(x, (2, 2), True, (1, 1), (1, 1), "average_inc_pad"))
    g = clgraph.function([x], pool_2d(x, (3, 2), False, (2, 3), (0, 0), "average_inc_pad"))
    assert f.kernels[0].source != g.kernels[0].source
    src = f.kernels[0].source
    assert "fma(" not in src and "mad(" not in src and "isnan(" not in src
    for shape in ((1, 2, 6, 5), (5, 2, 6, 5), (2, 3, 9, 4)):
        a = rng.normal(size=shape).astype("float32")
        np.testing.assert_allclose(f(a), np_pool(a, (2, 2), (1, 1), (1, 1), True, "average_inc_pad"), **TOL["float32"])
    assert f.kernels[0].source == src


# -- the max gradient: first maximum, ties, NaN ------------------------------------------

@pytest.mark.parametrize("ws,stride,pad,ignore_border", [((2, 2), (1, 1), (1, 1), True), ((3, 2), (2, 1), (0, 0), False),
                                                         ((3, 3), (2, 2), (2, 1), True), ((2, 2), None, (0, 0), True),
                                                         ((3, 3), None, (0, 0), False), ((3, 2), (3, 2), (0, 0), True),
                                                         # windows that cover the 7x6 image exactly (the _exact kernel)
                                                         ((1, 2), None, (0, 0), True), ((7, 3), None, (0, 0), True)])
def test_max_gradient_goes_to_the_first_maximum(ws, stride, pad, ignore_border, rng):
    """Many ties (values from {0, 1, 2}, overlapping windows): each window's gradient goes
    to its first maximum in row-major order, overlapping windows add up."""
    x = rng.integers(0, 3, size=(2, 2, 7, 6)).astype("float64")
    x[0, 0, 2, 3] = np.nan  # a NaN is its windows' maximum (the first NaN, if several)
    x[0, 0, 3, 3] = np.nan
    gz_shape = np_pool(x, ws, stride, pad, ignore_border, "max").shape
    gz, ggx = rng.uniform(0.5, 1.5, size=gz_shape), rng.uniform(size=x.shape)
    geometry = (ws, stride, pad, ignore_border)
    for dtype in ("float64", "float32"):
        xv, gv, ev = (T.tensor4(dtype=dtype) for _ in range(3))
        out = pool_2d(xv, ws, ignore_border, stride, pad, "max")
        gg = MaxPoolGradGrad(ws, stride, pad, ignore_border)(xv, ev)  # the max gradient's gradient
        y, gx, ggz = clgraph.function([xv, gv, ev], [out, clgraph.grad(T.sum(out * gv), xv), gg])(
            *(a.astype(dtype) for a in (x, gz, ggx)))
        np.testing.assert_allclose(y, np_pool(x, *geometry, "max"), **TOL[dtype])
        np.testing.assert_allclose(gx, np_max_grad(x, gz, *geometry), **TOL[dtype])
        np.testing.assert_allclose(ggz, np_max_gradgrad(x, ggx, *geometry), **TOL[dtype])
        assert np.isnan(y).any()


def test_max_gradient_of_a_broadcast_gz(rng):
    """The gradient of sum(pool(x)): gz broadcast from a scalar (read with stride 0)."""
    x = rng.integers(0, 4, size=(3, 5, 6)).astype("float32")
    v = T.ftensor3()
    gx = clgraph.function([v], clgraph.grad(T.sum(pool_2d(v, (2, 3), True, (1, 2))), v))(x)
    np.testing.assert_array_equal(gx, np_max_grad(x, np.ones((3, 4, 2)), (2, 3), (1, 2)))


def test_numpy_perform_of_constant_inputs(rng):
    """Constant inputs fold on the host through the ops' perform (their numpy
    versions): the same answers as the reference, ties included."""
    from clgraph.tensor.signal.pool import PoolGrad
    a = rng.integers(0, 3, size=(2, 5, 6)).astype("float64")
    geometry = ((3, 2), (1, 2), (1, 1), True)
    g = rng.uniform(size=np_pool(a, *geometry[:3]).shape)
    e = rng.uniform(size=a.shape)
    outs = [pool_2d(T.constant(a), geometry[0], True, *geometry[1:3], mode) for mode in MODES]
    outs += [PoolGrad(*geometry, "max")(T.constant(a), outs[0], T.constant(g)),
             MaxPoolGradGrad(*geometry)(T.constant(a), T.constant(e))]
    f = clgraph.function([], outs)
    assert not f.kernels
    got = f()
    for mode, out in zip(MODES, got):
        np.testing.assert_allclose(out, np_pool(a, geometry[0], *geometry[1:3], True, mode), rtol=1e-14, err_msg=mode)
    np.testing.assert_allclose(got[4], np_max_grad(a, g, *geometry[:3]), rtol=1e-14)
    np.testing.assert_allclose(got[5], np_max_gradgrad(a, e, *geometry), rtol=1e-14)


# -- gradients against finite differences ------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws,stride,pad,ignore_border", [((2, 2), (1, 1), (1, 1), True), ((3, 2), (2, 3), (0, 0), False),
                                                         ((3, 3), (2, 1), (1, 2), True)])
def test_gradient_float64(mode, ws, stride, pad, ignore_border, rng):
    x = distinct((2, 2, 5, 6), "float64", rng)
    check_grad(lambda v: pool_2d(v, ws, ignore_border, stride, pad, mode), x)


@pytest.mark.parametrize("mode", ["max", "average_exc_pad"])
def test_gradient_float32(mode, rng):
    x = distinct((2, 5, 6), "float32", rng)
    check_grad(lambda v: pool_2d(v, (3, 2), True, (1, 2), (1, 1), mode), x)


@pytest.mark.parametrize("mode", MODES)
def test_second_derivative(mode, rng):
    """grad of a grad: the max gradient's own gradient (MaxPoolGradGrad) and the linear
    gradients' (a forward pool); also MaxPoolGradGrad's gradient."""
    x = distinct((1, 2, 5, 5), "float64", rng)
    ws, st, pad = (3, 2), (1, 2), (1, 1)

    def grad_of(v):
        return clgraph.grad(T.sum(pool_2d(v, ws, True, st, pad, mode) ** 2), v)
    check_grad(grad_of, x)
    if mode == "max":
        g = rng.normal(size=x.shape)
        check_grad(lambda v, e: MaxPoolGradGrad(ws, st, pad, True)(v, e), x, g)


# -- Theano spellings --------------------------------------------------------------------

def test_old_argument_names_and_downsample(rng):
    a = rng.normal(size=(2, 3, 7, 7)).astype("float32")
    x = T.ftensor4()
    with pytest.warns(DeprecationWarning, match="ds is now called ws"):   # (as Theano 0.9 warned)
        old_names = pool_2d(x, ds=(3, 2), ignore_border=True, st=(2, 1), padding=(1, 1), mode="average_exc_pad")
    outs = [pool_2d(x, ws=(3, 2), ignore_border=True, stride=(2, 1), pad=(1, 1), mode="average_exc_pad"),
            old_names,
            pool_2d(x, (2, 2), ignore_border=False), downsample.max_pool_2d(x, (2, 2), ignore_border=False),
            pool_2d(x, (3, 3)), pool_2d(x, (3, 3), ignore_border=False), downsample.max_pool_2d(x, (3, 3)),
            T.signal.pool.pool_2d(x, (2, 2), ignore_border=True, mode="max_deterministic")]
    got = clgraph.function([x], outs)(a)
    np.testing.assert_array_equal(got[0], got[1])
    np.testing.assert_allclose(got[0], np_pool(a, (3, 2), (2, 1), (1, 1), True, "average_exc_pad"), **TOL["float32"])
    np.testing.assert_array_equal(got[2], got[3])
    assert got[2].shape == (2, 3, 4, 4)
    np.testing.assert_array_equal(got[4], got[5])  # ignore_border=None is False, as Theano chose
    np.testing.assert_array_equal(got[4], got[6])
    assert got[4].shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(got[7], np_pool(a, (2, 2)))


# -- errors ------------------------------------------------------------------------------

def test_build_errors_name_the_op_and_the_line():
    x = T.ftensor4()
    here = f"test_pool.py:{line_of(__file__, 'pool_2d(T.imatrix(), (2, 2))  # int')}"
    with pytest.raises(clgraph.DTypeError, match="pool_2d.*int32") as err:
        pool_2d(T.imatrix(), (2, 2))  # int
    assert here in str(err.value)
    for kwargs, pattern in [(dict(ws=(0, 2)), r"pool_2d: ws must be positive, got \(0, 2\)"),
                            (dict(ws=(2, 2), stride=(1, -1)), r"pool_2d: stride must be positive, got \(1, -1\)"),
                            (dict(ws=(2, 3), pad=(2, 0), ignore_border=True), r"pool_2d: pad \(2, 0\) must be smaller"
                                                                              r" than the window ws \(2, 3\)"),
                            (dict(ws=(3, 3), pad=(1, 1), ignore_border=False), r"pool_2d: pad \(1, 1\).*ignore_border"),
                            (dict(ws=(2, 2), pad=(-1, 0)), "pool_2d: pad must be >= 0"),
                            (dict(ws=(2, 2), mode="average"), "pool_2d: mode must be one of 'max', 'sum'"),
                            (dict(ws=2.5), "pool_2d: ws .* must be a pair of ints, got 2.5"),
                            (dict(ws=(2, 2), ds=(2, 2)), "pool_2d: give ws or its old name ds"),
                            (dict(), "pool_2d: the window size ws")]:
        with pytest.raises(ValueError, match=pattern) as err:
            pool_2d(x, **kwargs)
        assert "test_pool.py:" in str(err.value)
    with pytest.raises(clgraph.ShapeError, match="pool_2d: needs an input of rank >= 2.*ndim=1"):
        pool_2d(T.fvector(), (2, 2))


def test_window_larger_than_the_padded_input():
    x = T.ftensor4()
    y = pool_2d(x, (4, 3), ignore_border=True, pad=(1, 0))  # the line
    f = clgraph.function([x], y)
    assert f(np.zeros((1, 1, 2, 3), "float32")).shape == (1, 1, 1, 1)
    with pytest.raises(clgraph.ShapeError, match=r"pool_2d: the window ws=\(4, 3\) is larger than the input of "
                                                 r"shape \(2, 3, 1, 3\) padded by \(1, 0\) \(3, 3\)") as err:
        f(np.zeros((2, 3, 1, 3), "float32"))
    assert f"test_pool.py:{line_of(__file__, 'y = pool_2d(x, (4, 3), ignore_border=True, pad=(1, 0))  # the line')}" \
        in str(err.value)
    # keeping the border, a window larger than the input is one partial window
    g = clgraph.function([x], pool_2d(x, (4, 3), ignore_border=False, mode="average_inc_pad"))
    np.testing.assert_allclose(g(np.ones((2, 3, 1, 2), "float32")), np.ones((2, 3, 1, 1)))
