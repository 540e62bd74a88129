"""Merge (CSE): equal nodes and equal constants become one; values unchanged."""
import numpy as np

import clgraph.tensor as T
from clgraph.graph.basic import Constant, constant, toposort
from rewrite_helpers import apply_pass, compile_both, op_names


def test_equal_subexpressions_become_one_node(rng):
    x, z = T.fmatrix("x"), T.fmatrix("z")
    y = T.exp(x * z) + T.exp(x * z)  # two mul and two exp nodes, built separately
    assert op_names(y) == ["mul", "exp", "mul", "exp", "add"]
    merged = apply_pass("merge", y)
    assert op_names(merged) == ["mul", "exp", "add"]
    a, b = merged.owner.inputs
    assert a is b
    xv, zv = rng.normal(size=(2, 3, 4)).astype("float32")
    f, f0 = compile_both([x, z], y)
    want = 2 * np.exp(xv * zv)
    np.testing.assert_allclose(f(xv, zv), want, rtol=2e-6)
    np.testing.assert_allclose(f0(xv, zv), want, rtol=2e-6)


def test_different_properties_or_inputs_stay_apart():
    x, z = T.fmatrix("x"), T.fmatrix("z")
    y = x.sum(axis=0).sum() + x.sum(axis=1).sum() + T.exp(x).sum() + T.exp(z).sum()
    merged = apply_pass("merge", y)
    assert op_names(merged) == op_names(y)
    # the three full sums over different inputs stay three, the equal ones over sums do too
    assert sum(n.startswith("sum") for n in op_names(merged)) == 6


def test_equal_constants_become_one_and_distinct_ones_stay_apart():
    x = T.dvector("x")
    parts = [constant(np.array([1.0, 2.0])), constant(np.array([1.0, 2.0])),   # equal
             constant(np.array([1.0, 2.0], "float32")),                      # another dtype
             constant(np.array([-0.0, 2.0])),                                # other bits
             constant(np.array([0.0, 2.0]))]
    y = x * parts[0] + x * parts[1] + x * parts[2] + x * parts[3] + x * parts[4]
    merged = apply_pass("merge", y)
    consts = {id(i): i for n in toposort([merged]) for i in n.inputs if isinstance(i, Constant)}
    assert len(consts) == 4
    # x * c0 and x * c1 became one node, the others stayed
    assert op_names(merged).count("mul") == 4


def test_weak_and_strong_numbers_are_not_merged():
    """A Python 2.0 (weak) and a float64 2.0 decide dtypes differently (NEP 50): a node
    rebuilt on the wrong one would change its dtype."""
    weak, strong = constant(2.0), constant(2.0, "float64")
    assert weak.weak and not strong.weak and weak.type == strong.type
    merged = apply_pass("merge", weak + strong)
    a, b = merged.owner.inputs
    assert a is not b and a.weak and not b.weak


def test_a_long_duplicated_chain_merges_to_one_chain():
    x = T.dvector("x")
    a = b = x
    for k in range(400):
        a = T.tanh(a) + k
        b = T.tanh(b) + k
    merged = apply_pass("merge", a * b)
    assert len(op_names(merged)) == 801 and len(op_names(a * b)) == 1601


def test_merged_nodes_keep_the_user_line(rng):
    x = T.fvector("x")
    first = T.exp(x)  # this line is reported
    y = first + T.exp(x)
    merged = apply_pass("merge", y)
    (e,) = {id(i.owner): i.owner for i in merged.owner.inputs}.values()
    assert e.trace.lineno == first.owner.trace.lineno
