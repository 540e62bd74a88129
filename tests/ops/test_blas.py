"""dot / batched_dot / outer: every rank combination against numpy, transposed and
strided operands (no copy kernel), edge and empty sizes, both kernel kinds, gradients."""
import numpy as np
import pytest
from opcheck import check_forward, check_grad

import clgraph
import clgraph.tensor as T
from clgraph.codegen.families.gemm import GemmKernel
from clgraph.ops.blas import Dot

TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-11, atol=1e-11)}


def data(rng, shape, dtype="float32"):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-5, 6, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def fwd(t_fn, np_fn, *arrays):
    tol = TOL.get(np.result_type(*arrays).name, dict(rtol=0, atol=0))
    return check_forward(t_fn, np_fn, *arrays, **tol)


@pytest.fixture(params=["cpu", "gpu"])
def kind(request, monkeypatch):
    """Run the CPU kernel and the local-memory GPU kernel (correct, if slow, on a CPU)."""
    monkeypatch.setattr(GemmKernel, "force_kind", request.param)
    return request.param


RANKS = [((5,), (5,)), ((3, 5), (5,)), ((5,), (5, 4)), ((3, 5), (5, 4)), ((2, 3, 5), (5, 4)),
         ((2, 2, 3, 5), (5, 4)), ((3, 5), (2, 5, 4)), ((5,), (2, 5, 4)), ((2, 3, 5), (5,)),
         ((2, 3, 5), (4, 5, 2))]


@pytest.mark.parametrize("sa,sb", RANKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot_every_rank(sa, sb, dtype, rng, kind):
    fwd(T.dot, np.dot, data(rng, sa, dtype), data(rng, sb, dtype))


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 33, 65), (65, 7, 33), (33, 65, 7), (1, 300, 17),
                                   (70, 270, 1), (13, 1, 40), (200, 530, 37)])
@pytest.mark.parametrize("layout", ["nn", "tn", "nt", "tt"])
def test_edge_sizes_and_transposes(m, k, n, layout, rng, kind):
    a = data(rng, (k, m) if layout[0] == "t" else (m, k))
    b = data(rng, (n, k) if layout[1] == "t" else (k, n))
    op_a = (lambda x: x.T) if layout[0] == "t" else (lambda x: x)
    op_b = (lambda x: x.T) if layout[1] == "t" else (lambda x: x)
    fwd(lambda x, y: T.dot(op_a(x), op_b(y)), lambda x, y: np.dot(op_a(x), op_b(y)), a, b)


def test_float64_large(rng, kind):
    fwd(T.dot, np.dot, data(rng, (67, 300), "float64"), data(rng, (300, 41), "float64"))
    fwd(lambda x, y: T.dot(x.T, y), lambda x, y: x.T @ y, data(rng, (300, 67), "float64"),
        data(rng, (300, 41), "float64"))


def test_transposed_operand_is_not_copied(rng):
    a, b = T.matrix("a"), T.matrix("b")
    for expr in [T.dot(a.T, b), T.dot(a, b.T), T.dot(a.T, b.T)]:
        fn = clgraph.function([a, b], expr)
        assert [k.family for k in fn.kernels] == ["gemm"]
    x, y = data(rng, (6, 9)), data(rng, (6, 11))
    np.testing.assert_allclose(clgraph.function([a, b], T.dot(a.T, b))(x, y), x.T @ y, **TOL["float32"])


def test_narrow_products_run_transposed(rng, monkeypatch):
    """A product with fewer columns than the CPU kernel's vector lanes runs as
    C^T = B^T A^T when both orientations suit its variant, also after a kept batch
    axis was folded into the rows (whose count the swap must carry over)."""
    chosen, choose = [], GemmKernel._choose

    def spy(self, g):
        variant, swap = choose(self, g)
        chosen.append(swap)
        return variant, swap
    monkeypatch.setattr(GemmKernel, "force_kind", "cpu")
    monkeypatch.setattr(GemmKernel, "_choose", spy)
    x, y = data(rng, (40, 64)), data(rng, (40, 2))
    fwd(lambda u, v: T.dot(u.T, v), lambda u, v: u.T @ v, x, y)  # (64, 2) = x.T y: 2 rows of 64 as C^T
    assert chosen[-1] is True
    # (2, 7, 4) . (5, 4).T: the batch folds into 14 rows; C^T has 5 rows of 14 columns
    fwd(lambda u, v: T.dot(u, v.T), lambda u, v: u @ v.T, data(rng, (2, 7, 4)), data(rng, (5, 4)))
    assert chosen[-1] is True


def test_strided_operands(rng, kind):
    """Slices with steps: the layout is only known at run time (generic variant)."""
    a, b = data(rng, (9, 14)), data(rng, (14, 10))
    fwd(lambda x, y: T.dot(x[::2, 1:], y[1:, ::3]), lambda x, y: x[::2, 1:] @ y[1:, ::3], a, b)
    fwd(lambda x, y: T.dot(x[:, ::2].T, y[::2]), lambda x, y: x[:, ::2].T @ y[::2], data(rng, (7, 10)), b)


@pytest.mark.parametrize("sa,sb", [((0, 3), (3, 4)), ((3, 0), (0, 4)), ((0,), (0,)), ((2, 0, 3), (3, 5)),
                                   ((3, 4), (4, 0)), ((0, 2, 3), (0, 3, 2)), ((0, 3, 5), (5, 4)),
                                   ((3, 5), (0, 5, 4)), ((2, 3, 0), (0, 4))])
def test_empty(sa, sb, rng):
    a, b = data(rng, sa), data(rng, sb)
    if len(sa) == 3 and len(sb) == 3:
        fwd(T.batched_dot, np.matmul, a, b)
    else:
        fwd(T.dot, np.dot, a, b)


def test_dtypes(rng):
    fwd(T.dot, np.dot, data(rng, (3, 4), "float32"), data(rng, (4, 2), "float64"))
    fwd(T.dot, np.dot, data(rng, (3, 4), "int32"), data(rng, (4, 5), "float32"))
    fwd(T.dot, np.dot, data(rng, (9, 20), "int32"), data(rng, (20, 18), "int32"))
    fwd(T.dot, np.dot, data(rng, (9, 20), "int64"), data(rng, (20,), "int64"))
    for dtype in ["int8", "uint8", "int16"]:  # wrap around as numpy does
        fwd(lambda x, y: T.dot(x.T, y), lambda x, y: np.dot(x.T, y), data(rng, (40, 9), dtype),
            data(rng, (40, 35), dtype))
    with pytest.raises(clgraph.DTypeError, match="dot: bool"):
        T.dot(T.matrix(dtype="bool"), T.matrix(dtype="bool"))


def test_summed_and_kept_batch_axes(rng, kind):
    """The GEMM node itself: kept batch axes (one work-item column each, or folded into
    rows) and summed ones (looped in the kernel, or folded into k), broadcast ones too."""
    a, b = data(rng, (3, 4, 5, 6)), data(rng, (3, 4, 6, 7))
    fwd(lambda x, y: Dot(1)(x, y), lambda x, y: np.matmul(x, y).sum(axis=1), a, b)
    fwd(lambda x, y: Dot(1)(x.dimshuffle(1, 0, 2, 3), y.dimshuffle(1, 0, 2, 3)),
        lambda x, y: np.matmul(x.transpose(1, 0, 2, 3), y.transpose(1, 0, 2, 3)).sum(axis=1),
        data(rng, (4, 3, 5, 6)), data(rng, (4, 3, 6, 7)))
    fwd(lambda x, y: Dot(2)(x, y.dimshuffle("x", 0, 1, 2)),
        lambda x, y: np.matmul(x, y[None]).sum(axis=(0, 1)), a, data(rng, (4, 6, 7)))
    fwd(lambda x, y: Dot(0)(x.dimshuffle(1, 0, 2), y.dimshuffle("x", 0, 1)),
        lambda x, y: np.matmul(x.transpose(1, 0, 2), y[None]), data(rng, (5, 3, 6)), data(rng, (6, 7)))


def test_batched_dot(rng, kind):
    fwd(T.batched_dot, np.matmul, data(rng, (4, 3, 5)), data(rng, (4, 5, 6)))
    fwd(T.batched_dot, lambda x, y: np.einsum("bmk,bk->bm", x, y), data(rng, (4, 3, 5)), data(rng, (4, 5)))
    fwd(T.batched_dot, lambda x, y: np.einsum("bk,bkn->bn", x, y), data(rng, (4, 5)), data(rng, (4, 5, 6)))
    fwd(T.batched_dot, lambda x, y: np.einsum("bk,bk->b", x, y), data(rng, (4, 5)), data(rng, (4, 5)))
    fwd(lambda x, y: T.batched_dot(x.dimshuffle(0, 2, 1), y), lambda x, y: np.matmul(x.transpose(0, 2, 1), y),
        data(rng, (3, 20, 9)), data(rng, (3, 20, 17)))


def test_outer_and_method(rng):
    fwd(T.outer, np.outer, data(rng, (5,)), data(rng, (7,), "float64"))
    fwd(lambda x, y: x.dot(y), np.dot, data(rng, (3, 4)), data(rng, (4,)))
    fwd(lambda x: T.dot(x, 2.0), lambda x: np.dot(x, np.float32(2.0)), data(rng, (3, 4)))


def test_shape_errors_name_the_op_and_line(rng):
    a, b = T.matrix("a"), T.matrix("b")
    fn = clgraph.function([a, b], T.dot(a, b))
    with pytest.raises(clgraph.ShapeError, match=r"dot: shapes \(3, 4\) and \(5, 2\) are not aligned: 4 != 5"
                                                 r"(.|\n)*test_blas.py"):
        fn(data(rng, (3, 4)), data(rng, (5, 2)))
    v = T.vector("v")
    with pytest.raises(clgraph.ShapeError, match=r"dot: shapes \(3, 4\) and \(5,\) are not aligned"):
        clgraph.function([a, v], T.dot(a, v))(data(rng, (3, 4)), data(rng, (5,)))
    x3, y3 = T.tensor3("x3"), T.tensor3("y3")
    with pytest.raises(clgraph.ShapeError, match=r"batched_dot: batch sizes differ"):
        clgraph.function([x3, y3], T.batched_dot(x3, y3))(data(rng, (2, 3, 4)), data(rng, (3, 4, 2)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grads(dtype, rng):
    d = lambda *s: data(rng, s, dtype)  # noqa: E731
    check_grad(T.dot, d(3, 5), d(5, 4))
    check_grad(T.dot, d(3, 5), d(5))
    check_grad(T.dot, d(5), d(5, 4))
    check_grad(T.dot, d(5), d(5))
    check_grad(lambda x, y: T.dot(x.T, y.T), d(5, 3), d(4, 5))
    check_grad(T.dot, d(2, 3, 5), d(5, 4))
    check_grad(T.dot, d(3, 5), d(2, 5, 4))
    check_grad(T.batched_dot, d(2, 3, 5), d(2, 5, 4))
    check_grad(T.batched_dot, d(2, 3, 5), d(2, 5))
    check_grad(T.outer, d(3), d(4))
    # second order: the gradient graph's own products (with summed batch axes) differentiate too
    check_grad(lambda x, y: T.grad(T.sum(T.dot(x, y) ** 2), y), d(2, 3, 5), d(5, 4))


def test_grad_of_broadcast_product_is_one_gemm(rng):
    """d/dW of tensor3.dot(W) adds up over the batch inside the GEMM: no batch of
    products, no reduction kernel (a forward GEMM may run for the output's shape)."""
    x, w = T.tensor3("x"), T.matrix("w")
    fn = clgraph.function([x, w], T.grad(T.sum(T.dot(x, w)), w))
    families = [k.family for k in fn.kernels]
    assert "reduce" not in families and 1 <= families.count("gemm") <= 2
    xv, wv = data(rng, (4, 6, 5)), data(rng, (5, 3))
    np.testing.assert_allclose(fn(xv, wv), np.einsum("bmk,bmn->kn", xv, np.ones((4, 6, 3), "float32")),
                               **TOL["float32"])


def test_grad_with_a_wider_cost(rng):
    """A float64 cost over a float32 product: the gradient keeps the operands' dtype."""
    a, b = T.matrix("a"), T.matrix("b")
    cost = T.sum(T.dot(a, b) * T.constant(np.ones((3, 2)), "float64"))
    ga = clgraph.function([a, b], T.grad(cost, a))(data(rng, (3, 4)), bv := data(rng, (4, 2)))
    assert ga.dtype == np.float32
    np.testing.assert_allclose(ga, np.ones((3, 2), "float32") @ bv.T, **TOL["float32"])
