"""Device random streams (Philox-4x32-10): known answers from Random123's kat_vectors
for the kernel and the numpy reference, device == reference (bit for bit for uniform,
bits and binomial; normal within a few ulp, since log/sqrt/cospi may round differently
on each device), statistics of 1e6 draws, reproducibility, symbolic sizes and errors."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.ops.random import PhiloxDraw, counter_add, philox4x32_10
from clgraph.tensor.random import RandomStreams

# Random123 tests/kat_vectors, "philox4x32 10": counter (4 words), key (2 words), result
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    ((0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), (0xffffffff, 0xffffffff),
     (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
     (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
]


def raw_draw(state_words, size, dist="bits", dtype="uint32", params=(), n=1):
    """A draw straight from the op on a stream state we choose: (sample var, state, op, node)."""
    state = clgraph.shared(np.asarray(state_words, np.uint32))
    size = T.as_shape(size)
    sample, new_state = PhiloxDraw(dist, dtype, (False,) * len(size.data), n)(state, size, *params)
    state.default_update = new_state
    return sample, state


def reference(sample, before, *param_values):
    node = sample.owner
    size = node.inputs[1].data
    return node.op.perform(node, [before, size, *param_values])


@pytest.mark.parametrize("ctr, key, expected", KAT)
def test_known_answers_numpy_reference(ctr, key, expected):
    assert philox4x32_10(np.array(ctr), key).tolist() == list(expected)


def test_known_answers_device():
    for ctr, key, expected in KAT:
        sample, state = raw_draw(ctr + key, (4,))
        got = clgraph.function([], sample)()
        assert got.dtype == np.uint32 and got.tolist() == list(expected)
        # one block used: the counter moved on by one (with carry), the key is kept
        assert state.get_value().tolist() == counter_add(ctr, 1)[0].tolist() + list(key)


def test_counter_carry_matches_reference():
    start = (0xfffffffe, 0xffffffff, 5, 0, 17, 99)  # the 64-bit low half wraps into word 2
    sample, state = raw_draw(start, (3, 5))
    got = clgraph.function([], sample)()
    want, new_state = reference(sample, np.array(start, np.uint32))
    np.testing.assert_array_equal(got, want)
    assert state.get_value().tolist() == [2, 0, 6, 0, 17, 99] == new_state.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_device_equals_reference_bit_for_bit(dtype):
    srng = RandomStreams(seed=42)
    lo = T.scalar(dtype="float64")
    u = srng.uniform((3, 7), low=-2.5, high=3.0, dtype=dtype)
    v = srng.uniform((5,), low=lo, high=0.25, dtype=dtype)  # symbolic parameter, odd tail
    (su, _), (sv, _) = srng.state_updates
    bu, bv = su.get_value(), sv.get_value()
    got_u, got_v = clgraph.function([lo], [u, v])(-1.0)
    assert got_u.dtype == dtype and got_u.shape == (3, 7)
    np.testing.assert_array_equal(got_u, reference(u, bu, -2.5, 3.0)[0])
    np.testing.assert_array_equal(got_v, reference(v, bv, -1.0, 0.25)[0])
    assert got_u.min() >= -2.5 and got_u.max() < 3.0


@pytest.mark.parametrize("dtype, tol", [("float32", 2e-6), ("float64", 1e-13)])
def test_normal_device_close_to_reference(dtype, tol):
    srng = RandomStreams(seed=3)
    z = srng.normal((1001,), avg=1.5, std=2.0, dtype=dtype)
    before = srng.state_updates[0][0].get_value()
    got = clgraph.function([], z)()
    want = reference(z, before, 1.5, 2.0)[0]
    # log/sqrt/cospi are not correctly rounded in OpenCL: a few ulp, not bit for bit
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 2.0 * 6)


@pytest.mark.parametrize("n, dtype", [(1, "int64"), (3, "int32"), (4, "float32"), (1, "bool")])
def test_binomial_device_equals_reference(n, dtype):
    srng = RandomStreams(seed=11)
    b = srng.binomial((6, 3), n=n, p=0.3, dtype=dtype)
    state = srng.state_updates[0][0]
    before = state.get_value()
    got = clgraph.function([], b)()
    want, new_state = reference(b, before, 0.3)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    assert state.get_value().tolist() == new_state.tolist()
    assert state.get_value()[0] == 5 * n  # ceil(18 / 4) blocks per trial


def test_independent_draws_share_one_launch():
    """A function's draws that read no kernel's result are made by one launch, each from
    its own stream as a function of its own would (bit for bit, normal within ulps),
    each state moved on, an empty draw included; a draw whose parameter a kernel
    computes waits for it in a launch of its own."""
    srng = RandomStreams(seed=5)
    p = T.scalar(dtype="float32")
    x = T.fvector()
    draws = [srng.binomial((33, 7), p=0.5, dtype="float32"), srng.uniform((5,), low=p, high=2.0, dtype="float64"),
             srng.normal((9,), avg=1.0, std=0.5, dtype="float32"), srng.binomial((0, 3), n=2, p=0.3, dtype="int32"),
             srng.binomial((4,), p=T.mean(x), dtype="int64")]
    before = [s.get_value() for s, _ in srng.state_updates]
    f = clgraph.function([p, x], draws)
    assert [k.family for k in f.kernels].count("philox") == 2
    got = f(0.25, np.array([0.2, 0.6], "float32"))
    params = [(0.5,), (0.25, 2.0), (1.0, 0.5), (0.3,), (np.float32(0.4),)]
    for k, (draw, g, b, ps) in enumerate(zip(draws, got, before, params)):
        want, new_state = reference(draw, b, *ps)
        if k == 2:
            np.testing.assert_allclose(g, want, rtol=2e-6, atol=2e-6)
        else:
            np.testing.assert_array_equal(g, want)
        assert srng.state_updates[k][0].get_value().tolist() == new_state.tolist()


def test_statistics_of_a_million_draws():
    srng = RandomStreams(seed=2024)
    n = 1_000_000
    u = srng.uniform((n,))
    z = srng.normal((1000, 1000), avg=-1.0, std=3.0)
    d = srng.uniform((n,), dtype="float64")
    b = srng.binomial((n,), p=0.3)
    b5 = srng.binomial((n,), n=5, p=0.2, dtype="int8")
    u, z, d, b, b5 = clgraph.function([], [u, z, d, b, b5])()
    # 6 standard errors: a failure is a bug, not bad luck
    assert abs(u.mean() - 0.5) < 6 * 0.2887 / 1000 and abs(u.var() - 1 / 12) < 6 * 0.0745 / 1000
    assert 0 <= u.min() and u.max() < 1 and len(np.unique(u)) > 0.95 * n
    assert abs(d.mean() - 0.5) < 6 * 0.2887 / 1000 and abs(d.var() - 1 / 12) < 6 * 0.0745 / 1000
    assert abs(z.mean() + 1.0) < 6 * 3.0 / 1000 and abs(z.std() - 3.0) < 6 * 3.0 * 0.7071 / 1000
    frac_tail = np.mean(np.abs(z + 1.0) > 3.0 * 1.96)
    assert abs(frac_tail - 0.05) < 6 * 0.218 / 1000
    assert set(np.unique(b)) == {0, 1} and abs(b.mean() - 0.3) < 6 * 0.458 / 1000
    counts = np.bincount(b5, minlength=6) / n
    from math import comb
    pmf = np.array([comb(5, k) * 0.2 ** k * 0.8 ** (5 - k) for k in range(6)])
    np.testing.assert_allclose(counts, pmf, atol=6 * 0.5 / 1000)


def test_same_seed_same_stream_in_separately_compiled_functions():
    f1 = clgraph.function([], RandomStreams(seed=9).uniform((10,)))
    f2 = clgraph.function([], RandomStreams(seed=9).uniform((10,)) * 1)
    f3 = clgraph.function([], RandomStreams(seed=10).uniform((10,)))
    a1, a2, a3 = f1(), f2(), f3()
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(a1, a3)
    b1 = f1()
    assert not np.array_equal(a1, b1)  # each call moves on
    np.testing.assert_array_equal(b1, f2())  # ... by the same amount in both


def test_state_advances_on_device_and_reseed_restarts():
    srng = RandomStreams(seed=5)
    u, v = srng.uniform((8,)), srng.uniform((8,))
    f = clgraph.function([], [u, v])
    su = srng.state_updates[0][0]
    first = f()
    assert not np.array_equal(first[0], first[1])  # two draws, two streams
    assert su.get_value()[:2].tolist() == [2, 0]  # 8 floats = 2 blocks, no argument needed
    second = f()
    assert su.get_value()[:2].tolist() == [4, 0]
    # the stream is contiguous: two draws of 8 are one draw of 16 from the same seed
    w = RandomStreams(seed=5).uniform((16,))
    np.testing.assert_array_equal(w.eval(), np.concatenate([first[0], second[0]]))
    srng.seed(5)
    np.testing.assert_array_equal(f()[0], first[0])
    srng.seed(6)
    assert not np.array_equal(f()[0], first[0])


def test_symbolic_sizes():
    srng = RandomStreams(seed=1)
    x = T.matrix()
    k = T.lscalar()
    u = srng.uniform(size=x.shape)
    z = srng.normal(size=(k, 3))
    assert u.ndim == 2 and z.ndim == 2
    f = clgraph.function([x, k], [u, z])
    a, b = f(np.zeros((3, 4), "float32"), 5)
    assert a.shape == (3, 4) and b.shape == (5, 3)
    a, b = f(np.zeros((2, 9), "float32"), 0)
    assert a.shape == (2, 9) and b.shape == (0, 3)
    # u's stream: 3 blocks for (3, 4), then 5 for (2, 9)
    assert srng.state_updates[0][0].get_value()[0] == 8
    # an empty draw leaves its stream where it was (z: 4 blocks for (5, 3), then 0)
    assert srng.state_updates[1][0].get_value()[0] == 4
    assert srng.uniform((1, 4)).broadcastable == (True, False)


def test_errors():
    srng = RandomStreams()
    with pytest.raises(clgraph.errors.DTypeError, match="uniform.*float32 or float64"):
        srng.uniform((3,), dtype="int32")
    with pytest.raises(clgraph.errors.ClgraphError, match="binomial: p must be in"):
        srng.binomial((3,), p=1.5)
    with pytest.raises(clgraph.errors.ClgraphError, match="binomial.*cannot be counted"):
        srng.binomial((3,), n=2, dtype="bool")
    with pytest.raises(clgraph.errors.ShapeError, match="pass ndim"):
        srng.uniform(T.lvector())
    with pytest.raises(clgraph.errors.ShapeError, match="give the size"):
        srng.normal()
    with pytest.raises(clgraph.errors.ShapeError, match="low must be a numeric scalar"):
        srng.uniform((3,), low=T.vector())
    with pytest.raises(clgraph.errors.ClgraphError, match="seed must be an integer"):
        RandomStreams(seed="x")
    lo = T.scalar()
    with pytest.raises(clgraph.errors.GradientError, match="philox_uniform.*no gradient.*low"):
        clgraph.grad(srng.uniform((3,), low=lo).sum(), lo)
    # a constant-parameter draw simply carries no gradient
    w = T.scalar()
    g = clgraph.grad((w * srng.uniform((4,))).sum(), w)
    assert g.dtype == w.dtype
