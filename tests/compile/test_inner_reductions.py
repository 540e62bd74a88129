"""An argmax/argmin over the last axis that only a reduction's prologue reads runs inside
that reduction's kernel, row by row (Plan._fuse_inner_reductions, reduce.cl.mako): the
values are numpy's, ties and NaN included, for strided rows, long (split) reductions and
several dtypes; other argmaxes keep their own kernel."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T


def accuracy(y, p):
    """Keras 1's categorical accuracy, averaged."""
    return T.mean(T.cast(T.eq(T.argmax(y, axis=-1), T.argmax(p, axis=-1)), "float32"))


@pytest.mark.parametrize("n, classes", [(1, 2), (37, 3), (256, 2), (100_003, 5)])
def test_keras_accuracy_is_one_kernel(n, classes, rng):
    p, y = T.fmatrix("p"), T.fmatrix("y")
    f = clgraph.function([p, y], accuracy(y, p))
    assert [k.family for k in f.kernels] == ["reduce"]
    pv = rng.normal(size=(n, classes)).astype("float32")
    yv = np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]
    np.testing.assert_allclose(f(pv, yv), np.mean(pv.argmax(1) == yv.argmax(1)), rtol=1e-6)


def test_ties_nan_and_argmin_follow_numpy():
    rows = np.array([[1, 3, 3], [2, 2, 2], [np.nan, 5, np.nan], [4, np.nan, 9], [-1, -1, 0], [0, 0, -7]], "float32")
    x, w = T.fmatrix("x"), T.fvector("w")
    for op, ref in ((T.argmax, np.argmax), (T.argmin, np.argmin)):
        # each row's position, weighted by a power of 4, summed: every row's position counts
        f = clgraph.function([x, w], T.sum(T.cast(op(x, axis=1), "float32") * w))
        assert [k.family for k in f.kernels] == ["reduce"]
        wv = (4.0 ** np.arange(len(rows))).astype("float32")
        assert f(rows, wv) == (ref(rows, axis=1) * wv).sum()


def test_strided_rows_ints_and_three_axes(rng):
    xt, k = T.fmatrix("xt"), T.imatrix("k")
    # rows of xt.T are columns of xt (stride = xt's row length); integer rows
    f = clgraph.function([xt, k], [T.sum(T.eq(T.argmax(xt.T, axis=1), 0)), T.mean(T.argmin(k, axis=1) * 2)])
    xv, kv = rng.normal(size=(4, 9)).astype("float32"), rng.integers(-5, 5, (6, 7)).astype("int32")
    got_count, got_mean = f(xv, kv)
    assert got_count == np.sum(xv.T.argmax(1) == 0)
    np.testing.assert_allclose(got_mean, np.mean(kv.argmin(1) * 2))
    c = T.ftensor3("c")
    g = clgraph.function([c], T.sum(T.argmax(c, axis=2) + 1, axis=0))
    cv = rng.normal(size=(3, 5, 4)).astype("float32")
    assert [kk.family for kk in g.kernels] == ["reduce"]
    np.testing.assert_array_equal(g(cv), (cv.argmax(2) + 1).sum(0))


def test_an_argmax_read_elsewhere_or_over_another_axis_keeps_its_kernel(rng):
    p, y = T.fmatrix("p"), T.fmatrix("y")
    pred = T.argmax(p, axis=1)
    f = clgraph.function([p, y], [T.mean(T.eq(pred, T.argmax(y, axis=1))), pred])
    assert [k.family for k in f.kernels].count("reduce") == 2  # pred's own, the mean with y's rows inside
    first_axis = clgraph.function([p], T.sum(T.argmax(p, axis=0) * 2))
    assert [k.family for k in first_axis.kernels].count("reduce") == 2
    pv = rng.normal(size=(8, 3)).astype("float32")
    yv = np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]
    got_acc, got_pred = f(pv, yv)
    np.testing.assert_array_equal(got_pred, pv.argmax(1))
    np.testing.assert_allclose(got_acc, np.mean(pv.argmax(1) == yv.argmax(1)))
    assert first_axis(pv) == pv.argmax(0).sum() * 2
