"""The gradient of a variable read in slices: a join of the slices' gradients instead of
a zero-filled copy per slice and their sum (rewrite/slice_gradients.py)."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.gradient import verify_grad
from rewrite_helpers import compile_both


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def gate_cost(z, u):
    """An LSTM's gates read as four slices of one pre-activation."""
    return ((T.nnet.sigmoid(z[:, :u]) * 2).sum() + T.tanh(z[:, u:2 * u]).sum()
            + (z[:, 2 * u:3 * u] ** 2).sum() + (3 * z[:, 3 * u:]).sum())


def gate_cost_grad(zv, u):
    s = sigmoid(zv[:, :u])
    return np.concatenate([2 * s * (1 - s), 1 - np.tanh(zv[:, u:2 * u]) ** 2, 2 * zv[:, 2 * u:3 * u],
                           np.full_like(zv[:, 3 * u:], 3)], axis=1)


def test_slices_that_tile_an_axis_join_into_one_kernel(rng):
    z, u = T.fmatrix("z"), 5
    f, plain = compile_both([z], clgraph.grad(gate_cost(z, u), z))
    zv = rng.normal(size=(6, 4 * u)).astype(np.float32)
    np.testing.assert_allclose(f(zv), gate_cost_grad(zv.astype(np.float64), u), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(f(zv), plain(zv), rtol=1e-5, atol=1e-6)
    names = [k.name for k in f.kernels]
    assert not any("incsubtensor" in n for n in names), names
    assert sum("join" in n for n in names) == 1, names
    assert all("double" not in k.source.split("*/", 1)[1].replace("cl_khr_fp64", "") for k in f.kernels)


def test_slices_that_cover_part_of_an_axis_become_one_piece(rng):
    z, u = T.fmatrix("z"), 3
    cost = T.tanh(z[:, u:2 * u]).sum() + (z[:, 2 * u:3 * u] ** 2).sum()   # rows 0..u and 3u.. unread
    f, plain = compile_both([z], clgraph.grad(cost, z))
    zv = rng.normal(size=(4, 4 * u)).astype(np.float32)
    want = np.zeros_like(zv)
    want[:, u:2 * u] = 1 - np.tanh(zv[:, u:2 * u]) ** 2
    want[:, 2 * u:3 * u] = 2 * zv[:, 2 * u:3 * u]
    np.testing.assert_allclose(f(zv), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plain(zv), want, rtol=1e-5, atol=1e-6)
    assert sum("incsubtensor" in k.name for k in f.kernels) == 1, [k.name for k in f.kernels]


@pytest.mark.parametrize("slices", [
    [(0, 2), (3, 6)],        # a gap: column 2 gets nothing
    [(0, 4), (2, 6)],        # an overlap: columns 2, 3 get both
    [(0, 3), (0, 3)],        # the same slice twice
])
def test_gaps_and_overlaps_keep_their_values(rng, slices):
    z = T.fmatrix("z")
    cost = sum(T.tanh(z[:, a:b] * (k + 1)).sum() for k, (a, b) in enumerate(slices))
    f, plain = compile_both([z], clgraph.grad(cost, z))
    zv = rng.normal(size=(3, 6)).astype(np.float32)
    want = np.zeros_like(zv, dtype=np.float64)
    for k, (a, b) in enumerate(slices):
        want[:, a:b] += (k + 1) * (1 - np.tanh((k + 1) * zv[:, a:b].astype(np.float64)) ** 2)
    np.testing.assert_allclose(f(zv), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plain(zv), want, rtol=1e-5, atol=1e-6)


def test_symbolic_bounds_and_steps_are_left_alone(rng):
    z, k = T.fmatrix("z"), T.lscalar("k")
    cost = T.tanh(z[:, :k]).sum() + (z[:, k:] ** 2).sum() + z[:, ::2].sum()
    f = clgraph.function([z, k], clgraph.grad(cost, z))
    zv = rng.normal(size=(3, 6)).astype(np.float32)
    want = np.concatenate([1 - np.tanh(zv[:, :2]) ** 2, 2 * zv[:, 2:]], axis=1)
    want[:, ::2] += 1
    np.testing.assert_allclose(f(zv, 2), want, rtol=1e-5, atol=1e-6)
    assert not any("join" in kn.name for kn in f.kernels), [kn.name for kn in f.kernels]


def test_rows_of_a_tensor3_join_along_their_axis(rng):
    z = T.ftensor3("z")
    cost = (z[:, :, :2] ** 2).sum() + T.tanh(z[:, :, 2:]).sum()
    f, plain = compile_both([z], clgraph.grad(cost, z))
    zv = rng.normal(size=(2, 3, 5)).astype(np.float32)
    want = np.concatenate([2 * zv[..., :2], 1 - np.tanh(zv[..., 2:]) ** 2], axis=2)
    np.testing.assert_allclose(f(zv), want, rtol=1e-5, atol=1e-6)
    assert not any("incsubtensor" in kn.name for kn in f.kernels)


def test_the_joined_gradient_passes_finite_differences(rng):
    verify_grad(lambda z: gate_cost(z, 2), [rng.normal(size=(3, 8))], rng=np.random.RandomState(1))


def test_pow_gradient_of_a_float32_stays_float32(rng):
    """2 - 1, the exponent of x ** 2's gradient, is computed among Python numbers: it keeps
    the float32 the 2 took from x rather than becoming a float64 (and the gradient with it)."""
    x = T.fvector("x")
    g = clgraph.grad((x ** 2).sum() + (x ** 3.0).sum(), x)
    assert g.dtype == "float32"
    f = clgraph.function([x], g)
    xv = rng.normal(size=7).astype(np.float32)
    np.testing.assert_allclose(f(xv), 2 * xv + 3 * xv ** 2, rtol=1e-5)
    assert all("double" not in k.source.split("*/", 1)[1].replace("cl_khr_fp64", "") for k in f.kernels)
