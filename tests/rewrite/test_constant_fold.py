"""Constant folding: all-constant nodes with small outputs become Constants of the
exact type; random draws, big outputs and invalid shapes are left alone."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.errors import ShapeError
from clgraph.graph.basic import Constant, constant
from clgraph.ops.random import PhiloxDraw
from clgraph.rewrite.constant_fold import MAX_ELEMENTS, fold_node
from rewrite_helpers import apply_pass, compile_both, op_names


def test_constant_subexpression_folds_to_one_constant(rng):
    x = T.fmatrix("x")
    c = T.exp(constant(np.array([[0.0, 1.0, 2.0]], "float32"))) * 2 + 1
    y = x * c
    assert op_names(y) == ["exp", "mul", "add", "mul"]
    folded = apply_pass("constant_fold", y)
    assert op_names(folded) == ["mul"]
    k = folded.owner.inputs[1]
    assert isinstance(k, Constant) and not k.weak and k.type == c.type
    np.testing.assert_allclose(k.data, np.exp(np.float32([[0, 1, 2]])) * 2 + 1, rtol=1e-6)
    xv = rng.normal(size=(2, 3)).astype("float32")
    f, f0 = compile_both([x], y)
    want = xv * (np.exp(np.float32([[0, 1, 2]])) * np.float32(2) + np.float32(1))
    np.testing.assert_allclose(f(xv), want, rtol=2e-6)
    np.testing.assert_allclose(f0(xv), want, rtol=2e-6)


def test_folding_keeps_the_dtype_exactly():
    """int8 arithmetic wraps as numpy's does; the folded constant is int8."""
    a = constant(np.array([100, -100], "int8"))
    s = a + a
    folded = apply_pass("constant_fold", s)
    assert isinstance(folded, Constant) and folded.dtype == "int8"
    np.testing.assert_array_equal(folded.data, np.array([100, -100], "int8") + np.array([100, -100], "int8"))
    i = T.bvector("i")
    f, f0 = compile_both([i], i + s)
    iv = np.array([1, 2], "int8")
    assert f(iv).dtype == np.int8
    np.testing.assert_array_equal(f(iv), f0(iv))
    np.testing.assert_array_equal(f(iv), iv + np.int8([-56, 56]))


@pytest.mark.float64_intended
def test_a_folded_value_is_a_numpy_value_not_a_python_number(rng):
    """NEP 50: -2.0 (weak) * float32 x stays float32, but neg(2.0) is a computed float64,
    which promotes x to float64 (numpy 2: float32 array * np.float64 -> float64). The
    folded constant must keep that, before and after folding."""
    x = T.fvector("x")
    y = x * T.neg(constant(2.0))
    assert y.dtype == "float64"
    folded = apply_pass("constant_fold", y)
    k = folded.owner.inputs[1]
    assert isinstance(k, Constant) and not k.weak and k.dtype == "float64"
    xv = rng.normal(size=5).astype("float32")
    f, f0 = compile_both([x], y)
    want = xv * np.negative(np.float64(2.0))
    assert want.dtype == np.float64 and f(xv).dtype == np.float64
    np.testing.assert_array_equal(f(xv), want)
    np.testing.assert_array_equal(f0(xv), want)
    # a Python number stays weak when nothing is folded: float32
    assert (x * -2.0).dtype == "float32"


def test_small_allocs_fold_and_big_ones_do_not():
    x = T.fmatrix("x")
    small = apply_pass("constant_fold", x * T.ones((4, 4)))
    assert op_names(small) == ["mul"]
    side = int(np.sqrt(MAX_ELEMENTS)) + 1
    big = apply_pass("constant_fold", x * T.ones((side, side)))
    assert "Alloc" in " ".join(op_names(big))


def test_random_draws_and_shapes_are_not_folded():
    state = constant(np.arange(6, dtype="uint32"))
    draw = PhiloxDraw("uniform", "float32", (False,)).make_node(state, T.as_shape(4), 0.0, 1.0)
    assert all(isinstance(i, Constant) for i in draw.inputs)
    assert fold_node(draw) is None
    shape_node = constant(np.zeros((2, 3))).shape.owner
    assert fold_node(shape_node) is None


def test_invalid_shapes_are_reported_at_the_call_with_the_user_line():
    y = constant(np.ones(3, "float32")) + constant(np.ones(4, "float32"))  # the reported line
    assert op_names(apply_pass("constant_fold", y)) == ["add"]
    f = clgraph.function([], y)
    with pytest.raises(ShapeError, match=r"test_constant_fold.py:\d+.*reported line"):
        f()
