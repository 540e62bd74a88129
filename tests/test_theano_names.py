"""Theano names that tutorials and research code use, as Theano defines them (issue 17):
clgraph.In, the random streams' module paths and multinomial, clgraph.scalar.upcast,
mean/sum/prod(dtype=) of booleans and integers, pydotprint."""
import warnings

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.errors import InputError


def test_in_gives_a_default_value_and_a_keyword_name():
    x, lr = T.fvector("x"), T.fscalar("lr")
    f = clgraph.function([x, clgraph.In(lr, value=0.5, name="rate")], x * lr)
    v = np.arange(3, dtype="float32")
    np.testing.assert_allclose(f(v), v * 0.5)            # the default
    np.testing.assert_allclose(f(v, 2.0), v * 2.0)       # by position
    np.testing.assert_allclose(f(v, rate=3.0), v * 3.0)  # by its In name
    np.testing.assert_allclose(f(x=v), v * 0.5)          # the first by its variable's name
    with pytest.raises(InputError, match="missing input"):
        clgraph.function([x, lr], x * lr)(lr=1.0)
    with pytest.raises(InputError, match="both by position and by name"):
        f(v, 1.0, rate=2.0)
    with pytest.raises(InputError, match="no input named"):
        f(v, speed=1.0)


def test_in_allow_downcast_per_input_and_refused_state():
    x = T.fvector("x")
    f = clgraph.function([clgraph.In(x, allow_downcast=True)], x * 2)
    np.testing.assert_allclose(f(np.array([1.5, 2.5])), [3.0, 5.0])   # float64 accepted
    g = clgraph.function([x], x * 2)
    with pytest.raises(InputError, match="lose"):
        g(np.array([1.5, 2.5]))
    with pytest.raises(clgraph.ClgraphError, match="shared"):
        clgraph.In(x, update=x + 1)


def test_random_streams_under_theano_module_paths():
    from clgraph.sandbox.rng_mrg import MRG_RandomStreams
    from clgraph.tensor.random import RandomStreams
    from clgraph.tensor.shared_randomstreams import RandomStreams as SharedRandomStreams
    assert MRG_RandomStreams is RandomStreams and SharedRandomStreams is RandomStreams
    a, b = MRG_RandomStreams(7), SharedRandomStreams(7)
    fa = clgraph.function([], a.uniform((5,), dtype="float32"))
    fb = clgraph.function([], b.uniform((5,), dtype="float32"))
    np.testing.assert_array_equal(fa(), fb())  # the same seed, the same numbers


def test_multinomial_counts_follow_pvals():
    """Theano's MRG multinomial: a (batch, k) matrix of counts of n draws per row."""
    from clgraph.sandbox.rng_mrg import MRG_RandomStreams
    srng = MRG_RandomStreams(11)
    p = T.fmatrix("p")
    rows = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 1.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5]], "float32")
    pv = np.repeat(rows, 4000, axis=0)
    one = clgraph.function([p], srng.multinomial(pvals=p, dtype="float32"))(pv)
    assert one.dtype == np.float32 and one.shape == pv.shape
    np.testing.assert_array_equal(one.sum(axis=1), 1)
    for r in range(3):
        freq = one[r * 4000:(r + 1) * 4000].mean(axis=0)
        np.testing.assert_allclose(freq, rows[r], atol=0.03)   # (4000 draws: sd <= 0.008)
    assert one[4000:8000, 1].all()                             # probability 1
    three = clgraph.function([p], srng.multinomial(pvals=p, n=3))(pv[:50])
    assert three.dtype == np.int64 and (three.sum(axis=1) == 3).all() and (three >= 0).all()
    with pytest.raises(clgraph.ShapeError, match="matrix"):
        srng.multinomial(pvals=T.fvector())


def test_scalar_upcast():
    assert clgraph.scalar.upcast("float32", "int64") == "float64"
    assert clgraph.scalar.upcast("int8", "int16") == "int16"
    assert clgraph.scalar.upcast("floatX", "int8") == clgraph.config.floatX


@pytest.mark.parametrize("reduce", ["mean", "sum", "prod"])
def test_reductions_honour_dtype_for_booleans_and_integers(rng, reduce):
    x = T.fvector("x")
    i = T.ivector("i")
    for operand, value in ((T.lt(x, 0), None), (i, rng.integers(-3, 4, 9).astype("int32"))):
        out = getattr(T, reduce)(operand, dtype="float32")
        assert out.dtype == "float32"
        xv = rng.normal(size=9).astype("float32")
        f = clgraph.function([x] if value is None else [i], out)
        got = f(xv) if value is None else f(value)
        base = (xv < 0) if value is None else value
        np.testing.assert_allclose(got, getattr(np, reduce)(base.astype(np.float64)), rtol=1e-6)


def test_pydotprint_writes_the_graph(tmp_path, monkeypatch):
    x = T.fvector("x")
    f = clgraph.function([x], T.tanh(x) * 2)
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)   # no Graphviz here
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = clgraph.printing.pydotprint(f, outfile=str(tmp_path / "g.png"))
    assert path.endswith("g.png.dot") and "install Graphviz" in str(caught[0].message)
    text = open(path).read()
    assert text.startswith("digraph") and "tanh" in text


def test_binomial_with_a_probability_per_element():
    """Theano's binomial(size=p.shape, p=p) with a tensor p (an RBM's hidden sample)."""
    from clgraph.sandbox.rng_mrg import MRG_RandomStreams
    srng = MRG_RandomStreams(5)
    p = T.fmatrix("p")
    pv = np.tile(np.array([[0.0, 0.2, 0.7, 1.0]], "float32"), (20000, 1))
    f = clgraph.function([p], [srng.binomial(size=p.shape, n=1, p=p, dtype="float32"),
                               srng.binomial(size=p.shape, n=3, p=p, dtype="int32")])
    one, three = f(pv)
    assert one.dtype == np.float32 and set(np.unique(one)) <= {0.0, 1.0}
    np.testing.assert_allclose(one.mean(axis=0), pv[0], atol=0.015)
    assert three.dtype == np.int32 and three.min() >= 0 and three.max() <= 3
    np.testing.assert_allclose(three.mean(axis=0), 3 * pv[0], atol=0.04)
    assert one[:, 0].max() == 0 and one[:, 3].min() == 1


def test_permutation_and_choice():
    """Theano's permutation(size, n) and choice(size, a, replace, p)."""
    srng = clgraph.tensor.random.RandomStreams(4)
    f = clgraph.function([], [srng.permutation(size=(400,), n=5), srng.choice(size=(20000,), a=3, p=[0.2, 0.3, 0.5]),
                              srng.choice(size=(20000,), a=4), srng.choice(size=(6,), a=10, replace=False),
                              srng.choice((50,), a=T.constant(np.array([10.0, 20.0, 30.0], "float32")))])
    perms, weighted, uniform, distinct, values = f()
    assert perms.shape == (400, 5) and all(sorted(p) == [0, 1, 2, 3, 4] for p in perms)
    assert abs(np.mean(perms[:, 0] == 0) - 0.2) < 0.06            # each value first about 1/5 of the time
    np.testing.assert_allclose(np.bincount(weighted, minlength=3) / 20000, [0.2, 0.3, 0.5], atol=0.015)
    np.testing.assert_allclose(np.bincount(uniform, minlength=4) / 20000, 0.25, atol=0.015)
    assert len(set(distinct)) == 6 and distinct.min() >= 0 and distinct.max() < 10
    assert values.dtype == np.float32 and set(values) <= {10.0, 20.0, 30.0}
    with pytest.raises(clgraph.ClgraphError, match="replace=False with p"):
        srng.choice(size=(2,), a=3, replace=False, p=[0.5, 0.25, 0.25])
