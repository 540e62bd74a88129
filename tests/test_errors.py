"""Errors name the op, the shapes/dtypes and the line of this file that built the node."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from opcheck import line_of


def test_runtime_shape_mismatch_names_op_shapes_and_line():
    a, b = T.matrix("a"), T.vector("b")
    c = a + b  # the line the error must point at
    f = clgraph.function([a, b], c * 2)
    with pytest.raises(clgraph.ShapeError) as info:
        f(np.ones((3, 4), "float32"), np.ones(5, "float32"))
    msg = str(info.value)
    assert msg.startswith("add:")
    assert "(3, 4)" in msg and "(5,)" in msg
    assert f"test_errors.py:{line_of(__file__, 'c = a + b  # the line')}" in msg
    assert "c = a + b" in msg  # the source text is quoted


def test_length_one_axis_hint():
    a, b = T.matrix("a"), T.matrix("b")
    f = clgraph.function([a, b], a * b)
    with pytest.raises(clgraph.ShapeError, match="broadcastable"):
        f(np.ones((3, 4), "float32"), np.ones((1, 4), "float32"))


def test_dtype_error_names_line():
    x = T.fvector("x")
    with pytest.raises(clgraph.DTypeError) as info:
        T.bitwise_xor(x, x)  # floats have no xor
    assert "xor" in str(info.value) and "float32" in str(info.value)
    assert f"test_errors.py:{line_of(__file__, 'T.bitwise_xor(x, x)  # floats')}" in str(info.value)


def test_grad_of_non_scalar_cost():
    x = T.vector("x")
    y = x * 2  # non-scalar
    with pytest.raises(clgraph.GradientError, match=r"(?s)scalar.*ndim=1.*test_errors.py"):
        clgraph.grad(y, x)


def test_errors_are_clgraph_errors_and_builtin_kinds():
    assert issubclass(clgraph.ShapeError, ValueError)
    assert issubclass(clgraph.DTypeError, TypeError)
    assert issubclass(clgraph.InputError, TypeError)
    for cls in [clgraph.ShapeError, clgraph.DTypeError, clgraph.DeviceError, clgraph.KernelBuildError]:
        assert issubclass(cls, clgraph.ClgraphError)
