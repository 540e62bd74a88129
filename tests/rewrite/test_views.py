"""View chains (part of the simplify pass): dimshuffle of dimshuffle is one dimshuffle,
an identity dimshuffle is none, reshape of reshape is one reshape."""
import numpy as np

import clgraph.tensor as T
from clgraph.ops.shape import DimShuffle
from rewrite_helpers import apply_pass, compile_both, op_names


def test_transpose_of_transpose_disappears(rng):
    x = T.fmatrix("x")
    y = x.T.T
    assert op_names(y) == ["DimShuffle{1,0}", "DimShuffle{1,0}"]
    assert apply_pass("simplify", y) is x
    xv = rng.normal(size=(2, 3)).astype("float32")
    f, f0 = compile_both([x], y * 2)
    np.testing.assert_array_equal(f(xv), xv * 2)
    np.testing.assert_array_equal(f0(xv), xv * 2)


def test_dimshuffle_chain_composes_into_one(rng):
    x = T.ftensor3("x")
    y = x.dimshuffle(2, "x", 0, 1).dimshuffle(3, 1, 2, 0).dimshuffle(0, 1, 3, 2)
    after = apply_pass("simplify", y)
    assert op_names(after) == ["DimShuffle{1,x,2,0}"] and after.type == y.type
    assert isinstance(after.owner.op, DimShuffle) and after.owner.inputs[0] is x
    xv = rng.normal(size=(2, 3, 4)).astype("float32")
    want = xv[None].transpose(3, 0, 1, 2).transpose(3, 1, 2, 0).transpose(0, 1, 3, 2)
    f, f0 = compile_both([x], y + 1)
    np.testing.assert_array_equal(f(xv), want + 1)
    np.testing.assert_array_equal(f0(xv), want + 1)


def test_dropped_broadcastable_axes_compose(rng):
    c = T.tensor("float32", (False, True, False), "c")
    y = c.dimshuffle(2, 0).dimshuffle(1, 0)  # drops the broadcastable axis, then transposes back
    after = apply_pass("simplify", y)
    assert op_names(after) == ["DimShuffle{0,2}"] and after.type == y.type
    cv = rng.normal(size=(3, 1, 4)).astype("float32")
    f, f0 = compile_both([c], y)
    np.testing.assert_array_equal(f(cv), cv[:, 0, :])
    np.testing.assert_array_equal(f0(cv), cv[:, 0, :])


def test_reshape_of_reshape_is_one_reshape(rng):
    x = T.fmatrix("x")
    y = x.reshape((6,)).reshape((3, 2)).reshape((1, 6))
    assert op_names(y).count("Reshape{2}") == 2
    after = apply_pass("simplify", y)
    assert [n for n in op_names(after) if n.startswith("Reshape")] == ["Reshape{2}"]
    assert after.owner.inputs[0] is x and after.type == y.type
    xv = rng.normal(size=(2, 3)).astype("float32")
    f, f0 = compile_both([x], y * 1.5)
    np.testing.assert_array_equal(f(xv), xv.reshape(1, 6) * np.float32(1.5))
    np.testing.assert_array_equal(f0(xv), xv.reshape(1, 6) * np.float32(1.5))
