"""lift_dimshuffles: dimshuffle(f(a, b)) -> f(dimshuffle(a), dimshuffle(b)) when the
dimshuffle alone reads f's result; values unchanged."""
import numpy as np

import clgraph.tensor as T
from clgraph.ops.elemwise import Elemwise
from clgraph.ops.shape import DimShuffle
from rewrite_helpers import apply_pass, compile_both, op_names


def test_a_column_of_an_elementwise_result_becomes_an_elementwise_of_columns(rng):
    v, w, m = T.fvector("v"), T.fvector("w"), T.fmatrix("m")
    y = (v * w + 1).dimshuffle(0, "x")
    after = apply_pass("lift_dimshuffles", y)
    assert isinstance(y.owner.op, DimShuffle)
    assert isinstance(after.owner.op, Elemwise) and after.type == y.type
    assert all(isinstance(i.owner.op, DimShuffle) for i in after.owner.inputs[0].owner.inputs)
    assert [name for name in op_names(after) if "DimShuffle" not in name] == ["mul", "add"]
    vv, wv = rng.normal(size=5).astype("float32"), rng.normal(size=5).astype("float32")
    mv = rng.normal(size=(5, 4)).astype("float32")
    f, f0 = compile_both([v, w, m], m * y)
    np.testing.assert_allclose(f(vv, wv, mv), mv * (vv * wv + 1)[:, None], rtol=1e-6)
    np.testing.assert_allclose(f0(vv, wv, mv), mv * (vv * wv + 1)[:, None], rtol=1e-6)


def test_not_lifted_when_the_result_has_another_reader_or_an_axis_is_dropped():
    v, r = T.fvector("v"), T.frow("r")
    e = T.exp(v)
    two_readers = [e.dimshuffle(0, "x"), e * 2]
    assert apply_pass("lift_dimshuffles", *two_readers)[0].owner.op == two_readers[0].owner.op
    dropped = (r * 2).dimshuffle(1)
    assert isinstance(apply_pass("lift_dimshuffles", dropped).owner.op, DimShuffle)


def test_not_lifted_over_an_op_that_reads_the_element_index(rng):
    n = T.lscalar("n")
    a = T.arange(n).astype("float32")
    y = (a * 2).dimshuffle("x", 0)  # the multiply may move; arange's index must not
    f, f0 = compile_both([n], y + 1)
    np.testing.assert_array_equal(f(5), (np.arange(5) * 2)[None] + 1)
    np.testing.assert_array_equal(f0(5), (np.arange(5) * 2)[None] + 1)
