"""second(x, g) (g broadcast to x's shape, from gradients of sums and means) reads only
x's shape: x need not be stored, and its producer can run inside a reduction."""
import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.ops.elemwise import Elemwise
from clgraph.ops.scalar import SCALAR_OPS

second = Elemwise(SCALAR_OPS["second"])


def test_a_product_needed_only_for_its_shape_fuses_into_its_sum(rng):
    x, w = T.fmatrix("x"), T.fvector("w")
    p = x * w
    g = T.fscalar("g")
    f = clgraph.function([x, w, g], [p.sum(axis=0), second(p, g)])
    assert len(f.kernels) == 2  # the sum (with x * w inside) and the fill; p is never stored
    xv = rng.normal(size=(4, 3)).astype("float32")
    wv = rng.normal(size=3).astype("float32")
    s, filled = f(xv, wv, 2.5)
    np.testing.assert_allclose(s, (xv * wv).sum(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(filled, np.full((4, 3), 2.5, "float32"))


def test_a_sum_of_a_fill_takes_its_loop_from_the_shape(rng):
    """The reduction of second(x, c) must count x's elements although it reads none."""
    x, c = T.fmatrix("x"), T.fscalar("c")
    f = clgraph.function([x, c], [second(x, c).sum(), second(T.exp(x), c).sum(axis=1)])
    xv = rng.normal(size=(5, 7)).astype("float32")
    total, rows = f(xv, 1.5)
    np.testing.assert_allclose(total, 1.5 * 35, rtol=1e-6)
    np.testing.assert_allclose(rows, np.full(5, 1.5 * 7), rtol=1e-6)


def test_gradients_through_means_and_sums(rng):
    from opcheck import check_grad
    check_grad(lambda x, w: T.mean(T.sum(T.tanh(x * w), axis=0) ** 2), rng.normal(size=(4, 3)),
               rng.normal(size=3))


def test_a_fill_shaped_like_a_reduced_value_does_not_wait_for_the_reduction(rng):
    """The gradient of mean(mean(d ** 2, axis=1)) fills the shape of the row means: it
    need not wait for them, so d, d ** 2 and the gradient 2 d / n are one kernel (a
    false cycle through the shape operand used to keep them apart)."""
    h, y = T.fmatrix("h"), T.fmatrix("y")
    d = h - y
    loss = T.mean(T.mean(T.sqr(d), axis=1))
    gh = clgraph.grad(loss, h)
    # (the two means are kept apart, as they are where something else reads the row means)
    with clgraph.config.change(rewrites_excluding=("join_reductions",)):
        f = clgraph.function([h, y], [loss, gh])
    elementwise = [k for k in f.kernels if k.family == "elemwise"]
    assert len(elementwise) == 1 and len(f.kernels) == 3
    # with every rewrite, the means are one reduction (rewrite/reductions.py)
    joined = clgraph.function([h, y], [loss, gh])
    assert [k.family for k in joined.kernels] == ["reduce", "elemwise"]
    hv, yv = rng.normal(size=(6, 4)).astype("float32"), rng.normal(size=(6, 4)).astype("float32")
    for fn in (f, joined):
        got_loss, got_g = fn(hv, yv)
        np.testing.assert_allclose(got_loss, np.mean((hv - yv) ** 2), rtol=1e-5)
        np.testing.assert_allclose(got_g, 2 * (hv - yv) / hv.size, rtol=1e-5, atol=1e-7)
