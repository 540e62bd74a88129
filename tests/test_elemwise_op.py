"""clgraph.elemwise_op (issue 14, item 1): custom elementwise ops from an OpenCL C
expression fuse with their neighbours, broadcast and promote as built-ins, and are
differentiable with a symbolic grad; clear errors otherwise."""
import pickle

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.errors import DTypeError, GradientError, KernelBuildError
from clgraph.gradient import verify_grad


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


swish = clgraph.elemwise_op(
    "swish", "x / (1 + exp(-x))",
    grad=lambda x, gz: gz * (T.nnet.sigmoid(x) * (1 + x * (1 - T.nnet.sigmoid(x)))))


def test_fuses_into_the_gemm_epilogue_and_its_neighbours(rng):
    x = T.fmatrix("x")
    W = clgraph.shared(rng.normal(size=(3, 4)).astype("float32"))
    f = clgraph.function([x], swish(T.dot(x, W) + 1) * 2)
    xv = rng.normal(size=(5, 3)).astype("float32")
    z = xv @ W.get_value() + 1
    np.testing.assert_allclose(f(xv), 2 * z * sigmoid(z), rtol=1e-5, atol=1e-6)
    assert [k.family for k in f.kernels] == ["gemm"]          # one kernel: the op is in the epilogue
    g = clgraph.function([x], T.tanh(swish(x)) + x)
    np.testing.assert_allclose(g(xv), np.tanh(xv * sigmoid(xv)) + xv, rtol=1e-5, atol=1e-6)
    assert len(g.kernels) == 1 and "elemwise_op swish" in g.kernels[0].source


def test_gradient_by_finite_differences(rng):
    verify_grad(lambda a: swish(a), [rng.normal(size=(3, 4))], rng=np.random.RandomState(0))
    x = T.fvector("x")
    xv = rng.normal(size=7).astype("float32")
    g = clgraph.function([x], clgraph.grad(T.sum(swish(x) ** 2), x))
    s = sigmoid(xv.astype(np.float64))
    np.testing.assert_allclose(g(xv), 2 * xv * s * s * (1 + xv * (1 - s)), rtol=1e-4)


def test_two_inputs_broadcast_and_promote(rng):
    hyp = clgraph.elemwise_op("hyp2", "sqrt(x * x + y * y)")
    a, b = T.fmatrix("a"), T.fvector("b")
    assert hyp(a, b).dtype == "float32" and hyp(a, 2.0).dtype == "float32"   # a Python number is weak
    assert hyp(a, T.dvector()).dtype == "float64"
    av, bv = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=4).astype("float32")
    np.testing.assert_allclose(clgraph.function([a, b], hyp(a, b))(av, bv), np.hypot(av, bv), rtol=1e-6)
    d = T.dmatrix("d")
    dv = rng.normal(size=(2, 3))
    np.testing.assert_allclose(clgraph.function([d], hyp(d, 1.5))(dv), np.hypot(dv, 1.5), rtol=1e-12)


def test_integers_positional_names_and_dtype_limits():
    mod3 = clgraph.elemwise_op("mod3", "x % 3")
    i = T.ivector("i")
    np.testing.assert_array_equal(clgraph.function([i], mod3(i))(np.arange(7, dtype="int32")), np.arange(7) % 3)
    mix = clgraph.elemwise_op("mix5", "x0 + 2 * x1 - x2 * x3 + x4")
    vs = [T.fscalar() for _ in range(5)]
    assert clgraph.function(vs, mix(*vs))(1, 2, 3, 4, 5) == pytest.approx(1 + 4 - 12 + 5)
    only_floats = clgraph.elemwise_op("softabs", "sqrt(x * x + 1e-3f)", dtypes=["float32", "float64"])
    with pytest.raises(DTypeError, match="softabs"):
        only_floats(i)


def test_without_grad_the_gradient_names_the_op():
    bare = clgraph.elemwise_op("cube_root", "cbrt(x)")
    x = T.fvector("x")
    with pytest.raises(GradientError, match="elemwise_op 'cube_root' has no gradient"):
        clgraph.grad(T.sum(bare(x)), x)


def test_a_wrong_expression_fails_at_compile_time_naming_the_op():
    bad = clgraph.elemwise_op("broken", "frobnicate(x)")
    x = T.fvector("x")
    with pytest.raises(KernelBuildError, match=r"(?s)line \d+: .*frobnicate.*elemwise_op broken.*error"):
        clgraph.function([x], bad(x))


def test_a_graph_with_it_pickles(rng):
    x = T.fvector("x")
    y = swish(x) + 1
    y2 = pickle.loads(pickle.dumps([x, y]))
    xv = rng.normal(size=4).astype("float32")
    np.testing.assert_allclose(clgraph.function([y2[0]], y2[1])(xv), xv * sigmoid(xv) + 1, rtol=1e-5)


def test_bad_definitions():
    with pytest.raises(ValueError, match="identifier"):
        clgraph.elemwise_op("not a name", "x")
    with pytest.raises(ValueError, match="expression"):
        clgraph.elemwise_op("empty", "  ")
