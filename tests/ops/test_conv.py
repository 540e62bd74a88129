"""T.nnet.conv2d (im2col + GEMM, ops/conv.py): forward against a direct numpy
convolution over shapes, border modes, strides, dilations and both flips; gradients
against finite differences (and second derivatives); the epilogue fusion of bias and
activation; the Theano 0.8 spelling; errors."""
import numpy as np
import pytest
from opcheck import check_grad, line_of

import clgraph
import clgraph.tensor as T
from clgraph.errors import DTypeError, ShapeError
from clgraph.tensor.nnet import conv as conv_module

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def np_conv2d(x, w, pad=(0, 0), stride=(1, 1), dilation=(1, 1), flip=True):
    """A direct convolution, tap by tap, in float64 (independent of im2col)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    if flip:
        w = w[:, :, ::-1, ::-1]
    xp = np.zeros((n, c, h + 2 * pad[0], wd + 2 * pad[1]))
    xp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + wd] = x
    oh = (h + 2 * pad[0] - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for a in range(kh):
        for b in range(kw):
            y0, x0 = a * dilation[0], b * dilation[1]
            patch = xp[:, :, y0:y0 + stride[0] * (oh - 1) + 1:stride[0], x0:x0 + stride[1] * (ow - 1) + 1:stride[1]]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, a, b].astype(np.float64))
    return out.astype(x.dtype)


def pads_of(border_mode, kshape, dilation=(1, 1)):
    span = [(k - 1) * d + 1 for k, d in zip(kshape, dilation)]
    if border_mode == "valid":
        return (0, 0)
    if border_mode == "full":
        return tuple(s - 1 for s in span)
    if border_mode == "half":
        return tuple(s // 2 for s in span)
    return (border_mode, border_mode) if isinstance(border_mode, int) else tuple(border_mode)


CASES = [
    # (x shape, w shape, border_mode, subsample, dilation, flip)
    ((2, 1, 8, 8), (3, 1, 3, 3), "valid", (1, 1), (1, 1), True),
    ((2, 3, 7, 6), (4, 3, 3, 2), "full", (1, 1), (1, 1), True),
    ((3, 2, 9, 9), (5, 2, 3, 3), "half", (2, 2), (1, 1), False),
    ((1, 4, 10, 7), (2, 4, 2, 3), (1, 2), (2, 1), (1, 1), True),
    ((2, 2, 11, 9), (3, 2, 3, 3), 1, (1, 1), (2, 2), False),
    ((2, 3, 12, 10), (4, 3, 3, 2), "half", (3, 2), (2, 3), True),
    ((1, 1, 5, 5), (1, 1, 5, 5), "valid", (1, 1), (1, 1), True),
    ((2, 5, 6, 6), (7, 5, 1, 1), "valid", (1, 1), (1, 1), False),
    ((2, 2, 4, 4), (3, 2, 3, 3), "full", (3, 3), (1, 1), True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,ws,mode,sub,dil,flip", CASES)
def test_forward_against_numpy(xs, ws, mode, sub, dil, flip, dtype, rng):
    x = rng.normal(size=xs).astype(dtype)
    w = rng.normal(size=ws).astype(dtype)
    tx, tw = T.tensor4(dtype=dtype), T.tensor4(dtype=dtype)
    f = clgraph.function([tx, tw], T.nnet.conv2d(tx, tw, border_mode=mode, subsample=sub, filter_dilation=dil,
                                                 filter_flip=flip))
    got = f(x, w)
    want = np_conv2d(x, w, pads_of(mode, ws[2:], dil), sub, dil, flip)
    assert got.dtype == np.dtype(dtype) and got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL[dtype])


def test_one_compiled_function_serves_every_size(rng):
    """Sizes are kernel arguments: new batch and image sizes reuse the kernels."""
    tx, tw = T.tensor4(), T.tensor4()
    f = clgraph.function([tx, tw], T.nnet.conv2d(tx, tw, border_mode="half"))
    kernels = [k.source for k in f.kernels]
    for xs, ws in (((1, 2, 5, 5), (3, 2, 3, 3)), ((4, 2, 9, 7), (3, 2, 1, 3)), ((3, 2, 6, 8), (1, 2, 5, 5))):
        x, w = rng.normal(size=xs).astype("float32"), rng.normal(size=ws).astype("float32")
        np.testing.assert_allclose(f(x, w), np_conv2d(x, w, pads_of("half", ws[2:])), **TOL["float32"])
    assert [k.source for k in f.kernels] == kernels


def test_strided_inputs(rng):
    """NHWC data dimshuffled to NCHW, a strided slice of the batch and a transposed
    filter bank are read through their strides."""
    x = rng.normal(size=(4, 7, 8, 3)).astype("float32")  # NHWC
    w = rng.normal(size=(3, 2, 3, 5)).astype("float32")  # Keras 2's (kh, kw, in, out)
    tx, tw = T.tensor4(), T.tensor4()
    y = T.nnet.conv2d(tx.dimshuffle(0, 3, 1, 2)[::2], tw.dimshuffle(3, 2, 0, 1), border_mode=(1, 0))
    f = clgraph.function([tx, tw], y)
    want = np_conv2d(x.transpose(0, 3, 1, 2)[::2], w.transpose(3, 2, 0, 1), (1, 0))
    np.testing.assert_allclose(f(x, w), want, **TOL["float32"])


@pytest.mark.parametrize("xs,ws,mode,sub,dil,flip", [CASES[1], CASES[3], CASES[5], CASES[8]])
def test_gradients_float64(xs, ws, mode, sub, dil, flip, rng):
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    check_grad(lambda a, b: T.nnet.conv2d(a, b, border_mode=mode, subsample=sub, filter_dilation=dil,
                                          filter_flip=flip), x, w)


def test_gradients_float32(rng):
    x = rng.normal(size=(2, 2, 6, 5)).astype("float32")
    w = rng.normal(size=(3, 2, 3, 2)).astype("float32")
    check_grad(lambda a, b: T.nnet.conv2d(a, b, border_mode=(1, 1), subsample=(2, 1)), x, w)


def test_second_derivatives(rng):
    """The gradients are convolutions (col2im, a GEMM against the columns): they have
    gradients too (the gradient of a gradient norm, as in a gradient penalty)."""
    x, w = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3))

    def penalty(a, b):
        y = T.tanh(T.nnet.conv2d(a, b, border_mode="half", subsample=(2, 1)))
        ga, gb = clgraph.grad(y.sum(), [a, b])
        return (ga * ga).sum() + (gb * gb).sum()
    check_grad(penalty, x, w)


def test_input_gradient_against_numpy(rng):
    """The input gradient of sum(conv2d(x, w) * g) is the full correlation of g with w:
    checked against the direct reference, not only finite differences."""
    x = rng.normal(size=(2, 3, 6, 7))
    w = rng.normal(size=(4, 3, 3, 2))
    g = rng.normal(size=(2, 4, 4, 6))
    tx, tw, tg = T.tensor4(dtype="float64"), T.tensor4(dtype="float64"), T.tensor4(dtype="float64")
    gx = clgraph.grad((T.nnet.conv2d(tx, tw) * tg).sum(), tx)
    got = clgraph.function([tx, tw, tg], gx)(x, w, g)
    # d/dx of a valid true convolution: a full cross-correlation of g with w^T (channels swapped)
    want = np_conv2d(g, w.transpose(1, 0, 2, 3), pad=(2, 1), flip=False)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# -- fusion -----------------------------------------------------------------------------

def _conv_layer(dtype="float32"):
    rng = np.random.default_rng(3)
    w = clgraph.shared(rng.normal(size=(8, 3, 3, 3)).astype(dtype), name="w")
    b = clgraph.shared(rng.normal(size=8).astype(dtype), name="b")
    x = T.tensor4("x", dtype=dtype)
    return x, w, b, T.nnet.relu(T.nnet.conv2d(x, w, border_mode="half") + b.dimshuffle("x", 0, "x", "x"))


def test_bias_and_relu_run_in_the_gemm_epilogue(rng):
    x, w, b, y = _conv_layer()
    pooled = y.max(axis=(2, 3))  # a reader, so the conv's result is not the function's output
    f = clgraph.function([x], pooled)
    names = [k.name for k in f.kernels]
    (gemm,) = [k for k in f.kernels if "gemm" in k.name]
    assert "fmax" in gemm.source and not any("relu" in n or "add" in n for n in names), names
    with clgraph.config.change(rewrites_excluding=["conv_epilogues"]):
        plain = clgraph.function([x], pooled)
    assert not any("fmax" in k.source for k in plain.kernels if "gemm" in k.name)
    xv = rng.normal(size=(3, 3, 6, 5)).astype("float32")
    np.testing.assert_allclose(f(xv), plain(xv), rtol=1e-6, atol=1e-6)
    want = np.maximum(np_conv2d(xv, w.get_value(), (1, 1)) + b.get_value()[None, :, None, None], 0).max(axis=(2, 3))
    np.testing.assert_allclose(f(xv), want, **TOL["float32"])


def test_nhwc_output_fuses_too(rng):
    """Keras' 'tf' ordering: the NHWC view of the product, bias on the last axis."""
    x, w, b, _ = _conv_layer()
    y = T.nnet.relu(T.nnet.conv2d(x, w).dimshuffle(0, 2, 3, 1) + b)
    f = clgraph.function([x], y.sum(axis=(1, 2)))
    assert not any("relu" in k.name for k in f.kernels)
    xv = rng.normal(size=(2, 3, 5, 6)).astype("float32")
    want = np.maximum(np_conv2d(xv, w.get_value()).transpose(0, 2, 3, 1) + b.get_value(), 0).sum(axis=(1, 2))
    np.testing.assert_allclose(f(xv), want, rtol=1e-4, atol=1e-4)


def test_fused_training_step_matches_unfused(rng):
    x, w, b, y = _conv_layer("float64")
    r = T.tensor4("r", dtype="float64")
    cost = (y * r).sum()
    gw, gb = clgraph.grad(cost, [w, b])
    xv, rv = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(2, 8, 5, 5))
    results = []
    for skip in ([], ["conv_epilogues"]):
        with clgraph.config.change(rewrites_excluding=skip):
            results.append(clgraph.function([x, r], [cost, gw, gb])(xv, rv))
    for a, c in zip(*results):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_no_double_in_a_float32_conv():
    x, w, b, y = _conv_layer()
    cost = y.mean()
    f = clgraph.function([x], cost, updates=[(w, w - 0.1 * clgraph.grad(cost, w))])
    assert not any("double" in k.source for k in f.kernels)


# -- spellings and errors -----------------------------------------------------------------

def test_theano_08_spelling(rng):
    x, w = rng.normal(size=(2, 3, 6, 6)).astype("float32"), rng.normal(size=(4, 3, 3, 3)).astype("float32")
    tx, tw = T.tensor4(), T.tensor4()
    old = conv_module.conv2d(tx, tw, filter_shape=(4, 3, 3, 3), image_shape=(None, 3, 6, 6), border_mode="full",
                             subsample=(2, 2))
    new = clgraph.tensor.nnet.conv2d(tx, tw, input_shape=(None, 3, 6, 6), border_mode="full", subsample=(2, 2))
    np.testing.assert_allclose(clgraph.function([tx, tw], old)(x, w), clgraph.function([tx, tw], new)(x, w))


def test_errors_name_the_op_shapes_and_line(rng):
    tx, tw = T.tensor4(), T.tensor4()
    y = T.nnet.conv2d(tx, tw)  # the line the error names
    f = clgraph.function([tx, tw], y)
    with pytest.raises(ShapeError, match=r"conv2d: the input of shape \(2, 3, 5, 5\) has 3 channels but the "
                                         r"filters of shape \(4, 2, 3, 3\) expect 2") as err:
        f(np.zeros((2, 3, 5, 5), "float32"), np.zeros((4, 2, 3, 3), "float32"))
    assert f"test_conv.py:{line_of(__file__, 'y = T.nnet.conv2d(tx, tw)  # the line')}" in str(err.value)
    with pytest.raises(ShapeError, match=r"conv2d: filters of shape \(1, 3, 6, 3\).*do not fit the input of shape"):
        f(np.zeros((2, 3, 5, 5), "float32"), np.zeros((1, 3, 6, 3), "float32"))
    hinted = clgraph.function([tx, tw], T.nnet.conv2d(tx, tw, filter_shape=(4, 3, 3, 3)))
    with pytest.raises(ShapeError, match=r"conv2d: the filter_shape given, \(4, 3, 3, 3\), does not match"):
        hinted(np.zeros((2, 3, 5, 5), "float32"), np.zeros((4, 3, 2, 2), "float32"))
    with pytest.raises(DTypeError, match="conv2d: the input must be float32 or float64, got .*int32"):
        T.nnet.conv2d(T.itensor4(), tw) if hasattr(T, "itensor4") else T.nnet.conv2d(T.tensor4(dtype="int32"), tw)
    with pytest.raises(ShapeError, match="conv2d: the filters must be a 4-d tensor"):
        T.nnet.conv2d(tx, T.matrix())
    with pytest.raises(ValueError, match="conv2d: border_mode must be"):
        T.nnet.conv2d(tx, tw, border_mode="same")
    with pytest.raises(ValueError, match="conv2d: subsample must be positive"):
        T.nnet.conv2d(tx, tw, subsample=(0, 1))
