"""Image layers (convolutional, pooling, normalization): values against plain-loop numpy
references in both dim orderings and both Keras generations' weight layouts, TensorFlow's
'same' padding, batch normalisation in both learning phases and its moving averages,
a small CNN that learns, summary, JSON / HDF5 round trips and error messages."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.keras import backend as K
from clgraph.keras.layers import (Activation, AtrousConvolution1D, AtrousConvolution2D, AveragePooling1D,
                                  AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Convolution1D, Convolution2D,
                                  Cropping1D, Cropping2D, Dense, Flatten, GlobalAveragePooling1D,
                                  GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, Input, MaxPooling1D,
                                  MaxPooling2D, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D)
from clgraph.keras.layers.convolutional import convert_kernel
from clgraph.keras.models import Model, Sequential, load_model, model_from_json
from clgraph.keras.optimizers import SGD


def run(x, y, *arrays):
    return clgraph.function([x], y)(*arrays)


def f32(a):
    return np.asarray(a, dtype="float32")


# -- numpy references (plain loops) ------------------------------------------------------------

def tf_same_pads(n, k, s, d=1):
    """TensorFlow's SAME: (before, after) with the extra cell after."""
    keff = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + keff - n, 0)
    return total // 2, total - total // 2


def np_conv(x, w, strides, pads, dilation=(1, 1)):
    """Cross-correlation: x (N, C, H, W), w (O, C, KH, KW), pads ((top, bottom), (left, right))."""
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    (pt, pb), (pl, pr) = pads
    oh = (h + pt + pb - ((kh - 1) * dilation[0] + 1)) // strides[0] + 1
    ow = (wd + pl + pr - ((kw - 1) * dilation[1] + 1)) // strides[1] + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    r, c = i * strides[0] - pt + a * dilation[0], j * strides[1] - pl + b * dilation[1]
                    if 0 <= r < h and 0 <= c < wd:
                        y[:, :, i, j] += x[:, :, r, c] @ w[:, :, a, b].T
    return y


def np_pool(x, size, strides, pads, mode):
    """Pool the last two axes; padded cells are ignored (max) or not counted (avg)."""
    h, w = x.shape[-2:]
    (pt, pb), (pl, pr) = pads
    oh, ow = (h + pt + pb - size[0]) // strides[0] + 1, (w + pl + pr - size[1]) // strides[1] + 1
    y = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - pt, j * strides[1] - pl
            cells = x[..., max(r0, 0):min(r0 + size[0], h), max(c0, 0):min(c0 + size[1], w)]
            y[..., i, j] = cells.max(axis=(-2, -1)) if mode == "max" else cells.mean(axis=(-2, -1))
    return y


def pads_for(mode, lengths, ksize, strides, dilation=(1, 1)):
    if mode == "valid":
        return ((0, 0), (0, 0))
    return tuple(tf_same_pads(n, k, s, d) for n, k, s, d in zip(lengths, ksize, strides, dilation))


# -- Convolution2D / Conv2D ------------------------------------------------------------------------

GEOMETRIES = [  # border_mode, kernel (rows, cols), strides, dilation
    ("valid", (3, 3), (1, 1), (1, 1)),
    ("same", (3, 3), (1, 1), (1, 1)),
    ("same", (2, 4), (1, 1), (1, 1)),      # even kernels: the extra padding at the bottom/right
    ("same", (2, 3), (2, 2), (1, 1)),      # strides: padding from the input size (7, 6)
    ("valid", (3, 2), (2, 1), (1, 1)),
    ("same", (3, 2), (2, 3), (2, 1)),      # dilation
]
LAYOUTS = [  # class, ordering argument, W layout
    (Convolution2D, {"dim_ordering": "th"}, "oihw"),
    (Convolution2D, {"dim_ordering": "tf"}, "hwio"),
    (Conv2D, {"data_format": "channels_first"}, "hwio"),
    (Conv2D, {"data_format": "channels_last"}, "hwio"),
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=["conv2d_k1_th", "conv2d_k1_tf", "conv2d_k2_cf", "conv2d_k2_cl"])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=[f"{g[0]}-{g[1]}-{g[2]}-{g[3]}" for g in GEOMETRIES])
def test_conv2d_values_orderings_layouts_and_padding(layout, geometry):
    cls, ordering, wlayout = layout
    mode, (kh, kw), strides, dilation = geometry
    first = ordering.get("dim_ordering") == "th" or ordering.get("data_format") == "channels_first"
    rng = np.random.default_rng(hash((mode, kh, kw, strides, dilation)) % 1000)
    h, w, c, o = 7, 6, 3, 4
    x = Input(shape=(c, h, w) if first else (h, w, c))
    if cls is Convolution2D:
        layer = cls(o, kh, kw, border_mode=mode, subsample=strides, activation="tanh", dilation_rate=dilation,
                    **ordering)
    else:
        layer = cls(o, (kh, kw), strides=strides, padding=mode, activation="tanh", dilation_rate=dilation, **ordering)
    y = layer(x)
    W, b = layer.get_weights()
    assert W.shape == ((o, c, kh, kw) if wlayout == "oihw" else (kh, kw, c, o))
    b = rng.standard_normal(o).astype("float32")
    layer.set_weights([W, b])
    w_oihw = W if wlayout == "oihw" else W.transpose(3, 2, 0, 1)
    xv = rng.standard_normal((2, c, h, w)).astype("float32")
    want = np.tanh(np_conv(xv, w_oihw, strides, pads_for(mode, (h, w), (kh, kw), strides, dilation), dilation)
                   + b[None, :, None, None])
    got = run(x, y, xv if first else xv.transpose(0, 2, 3, 1))
    if not first:
        want = want.transpose(0, 2, 3, 1)
    assert got.shape == want.shape and y._keras_shape == (None,) + want.shape[1:]
    if mode == "same":
        assert want.shape[1 if not first else 2] == -(-h // strides[0])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_same_padding_known_answer_and_cross_correlation():
    """Kernel [1, 10] over [1, 2, 3] with 'same': TensorFlow pads one zero at the end and
    does not flip: [1 + 20, 2 + 30, 3 + 0]."""
    x = Input(shape=(3, 1))
    layer = Convolution1D(1, 2, border_mode="same", bias=False, weights=[f32([1, 10]).reshape(2, 1, 1, 1)])
    np.testing.assert_allclose(run(x, layer(x), f32([[[1], [2], [3]]]))[:, :, 0], [[21, 32, 3]])
    x2 = Input(shape=(1, 2, 3))
    conv = Convolution2D(1, 1, 2, border_mode="same", bias=False, dim_ordering="th",
                         weights=[f32([1, 10]).reshape(1, 1, 1, 2)])
    np.testing.assert_allclose(run(x2, conv(x2), f32([[[[1, 2, 3], [4, 5, 6]]]])), [[[[21, 32, 3], [54, 65, 6]]]])


def test_bias_and_activation_fuse_into_the_gemm_in_both_orderings():
    for ordering, shape in (("th", (3, 6, 6)), ("tf", (6, 6, 3))):
        x = Input(shape=shape)
        y = Convolution2D(4, 3, 3, activation="relu", border_mode="same", dim_ordering=ordering)(x)
        f = clgraph.function([x], y.sum())
        names = [k.name for k in f.kernels]
        assert not any("relu" in n or "add" in n for n in names), names
        (gemm,) = [k for k in f.kernels if "gemm" in k.name]
        assert "fmax" in gemm.source


def test_conv2d_keras2_positional_forms_and_config_round_trip():
    a = Conv2D(8, 3, 3)                      # Keras 2 reads this legacy call as kernel (3, 3)
    b = Conv2D(8, (3, 2), (2, 1), "same", "channels_first")
    c = Conv2D(filters=8, kernel_size=3, strides=2)
    assert (a.kernel_size, a.subsample) == ((3, 3), (1, 1))
    assert (b.kernel_size, b.subsample, b.border_mode, b.dim_ordering) == ((3, 2), (2, 1), "same", "th")
    assert (c.kernel_size, c.subsample) == ((3, 3), (2, 2))
    config = b.get_config()
    assert config["filters"] == 8 and config["kernel_size"] == [3, 2] and config["data_format"] == "channels_first"
    d = Conv2D.from_config(config)
    assert (d.kernel_size, d.subsample, d.border_mode, d.dim_ordering) == ((3, 2), (2, 1), "same", "th")
    e = Convolution2D(6, 2, 3, subsample=(1, 2), dim_ordering="th", W_regularizer="l2", bias=False)
    config = e.get_config()
    assert (config["nb_filter"], config["nb_row"], config["nb_col"], config["subsample"], config["dim_ordering"],
            config["bias"]) == (6, 2, 3, [1, 2], "th", False)
    assert config["W_regularizer"] is not None and Convolution2D.from_config(config).W_regularizer is not None
    f = Convolution2D.from_config(config)
    assert (f.nb_filter, f.kernel_size, f.subsample, f.bias) == (6, (2, 3), (1, 2), False)
    at = AtrousConvolution2D(2, 3, 3, atrous_rate=(2, 2))
    assert at.get_config()["atrous_rate"] == [2, 2] and AtrousConvolution2D.from_config(
        at.get_config()).dilation_rate == (2, 2)
    with pytest.raises(TypeError, match="not both"):
        Convolution2D(4, 3, 3, kernel_size=3)
    with pytest.raises(TypeError, match="not both"):
        Convolution2D(4, 3, 3, border_mode="same", padding="same")


def test_default_dim_ordering_follows_the_backend():
    assert K.image_dim_ordering() == "tf" and K.image_data_format() == "channels_last"
    assert Convolution2D(2, 3, 3).dim_ordering == "tf"
    K.set_image_dim_ordering("th")
    try:
        assert K.image_data_format() == "channels_first"
        layer = Convolution2D(2, 3, 3)
        assert layer.dim_ordering == "th" and MaxPooling2D().dim_ordering == "th"
        layer(Input(shape=(3, 5, 5)))
        assert layer.get_weights()[0].shape == (2, 3, 3, 3)
    finally:
        K.set_image_dim_ordering("tf")
    with pytest.raises(ValueError, match="expected 'th' or 'tf'"):
        Convolution2D(2, 3, 3, dim_ordering="nchw")


def test_convert_kernel_and_backend_functions():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((4, 3, 2, 3)).astype("float32")
    np.testing.assert_array_equal(convert_kernel(w, "th"), w[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(convert_kernel(w.transpose(2, 3, 1, 0), "tf"), w.transpose(2, 3, 1, 0)[::-1, ::-1])
    xv = rng.standard_normal((2, 3, 5, 6)).astype("float32")
    x = T.tensor4("x")
    kernel = clgraph.shared(w)
    got = clgraph.function([x], K.conv2d(x, kernel, (2, 1), "same", "th"))(xv)
    np.testing.assert_allclose(got, np_conv(xv, w, (2, 1), pads_for("same", (5, 6), (2, 3), (2, 1))), rtol=1e-5,
                               atol=1e-5)
    got = clgraph.function([x], K.pool2d(x, (2, 2), (2, 2), "same", "tf", "avg"))(xv.transpose(0, 2, 3, 1))
    want = np_pool(xv, (2, 2), (2, 2), pads_for("same", (5, 6), (2, 2), (2, 2)), "avg").transpose(0, 2, 3, 1)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


# -- Convolution1D / Conv1D ---------------------------------------------------------------------

@pytest.mark.parametrize("case", [
    (Convolution1D, dict(border_mode="valid"), 3, 1, 1),
    (Convolution1D, dict(border_mode="same", subsample_length=2), 4, 2, 1),
    (Conv1D, dict(padding="causal"), 3, 1, 1),
    (Conv1D, dict(padding="same", strides=3), 2, 3, 1),
    (AtrousConvolution1D, dict(border_mode="same", atrous_rate=2), 3, 1, 2),
], ids=["k1-valid", "k1-same-s2", "k2-causal", "k2-same-s3", "atrous"])
def test_conv1d_values(case):
    cls, kwargs, k, s, d = case
    rng = np.random.default_rng(k * 10 + s)
    steps, c, o = 9, 3, 5
    x = Input(shape=(steps, c))
    layer = cls(o, k, activation="relu", **kwargs)
    y = layer(x)
    W, b = layer.get_weights()
    keras2 = cls is Conv1D
    assert W.shape == ((k, c, o) if keras2 else (k, 1, c, o))
    b = rng.standard_normal(o).astype("float32")
    layer.set_weights([W, b])
    w = W.reshape(k, c, o)
    xv = rng.standard_normal((2, steps, c)).astype("float32")
    mode = kwargs.get("border_mode", kwargs.get("padding"))
    keff = (k - 1) * d + 1
    before = keff - 1 if mode == "causal" else tf_same_pads(steps, k, s, d)[0] if mode == "same" else 0
    out = -(-steps // s) if mode in ("same", "causal") else (steps - keff) // s + 1
    want = np.zeros((2, out, o))
    for i in range(out):
        for t in range(k):
            r = i * s - before + t * d
            if 0 <= r < steps:
                want[:, i] += xv[:, r] @ w[t]
    want = np.maximum(want + b, 0)
    assert y._keras_shape == (None, out, o)
    np.testing.assert_allclose(run(x, y, xv), want, rtol=1e-5, atol=1e-5)


def test_conv1d_keras1_input_dim_and_config():
    layer = Convolution1D(4, 3, input_dim=6, input_length=10)
    assert layer.batch_input_shape == (None, 10, 6)
    assert Convolution1D(4, 3, input_dim=6).batch_input_shape == (None, None, 6)
    config = Conv1D(4, 3, strides=2, padding="causal", dilation_rate=2).get_config()
    assert (config["filters"], config["kernel_size"], config["strides"], config["padding"], config["dilation_rate"]) \
        == (4, [3], [2], "causal", [2])
    again = Conv1D.from_config(config)
    assert (again.kernel_size, again.subsample, again.dilation_rate, again.border_mode) == ((3,), (2,), (2,), "causal")


# -- pooling ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("geometry", [("valid", (2, 2), None), ("valid", (3, 2), (1, 2)), ("same", (2, 2), None),
                                      ("same", (3, 3), (2, 2)), ("same", (2, 3), (1, 1))],
                         ids=["valid-2", "valid-3x2-s1x2", "same-2", "same-3-s2", "same-2x3-s1"])
def test_pool2d_values(ordering, geometry):
    mode, size, strides = geometry
    rng = np.random.default_rng(len(str(geometry)))
    xv = rng.standard_normal((2, 3, 7, 6)).astype("float32") - 2.   # negative: padded cells must not win
    x = Input(shape=(3, 7, 6) if ordering == "th" else (7, 6, 3))
    data = xv if ordering == "th" else xv.transpose(0, 2, 3, 1)
    st = strides or size
    pads = pads_for(mode, (7, 6), size, st)
    for cls, kind in ((MaxPooling2D, "max"), (AveragePooling2D, "avg")):
        y = cls(size, strides, border_mode=mode, dim_ordering=ordering)(x)
        want = np_pool(xv, size, st, pads, kind)
        if ordering == "tf":
            want = want.transpose(0, 2, 3, 1)
        assert y._keras_shape == (None,) + want.shape[1:]
        np.testing.assert_allclose(run(x, y, data), want, rtol=1e-6, atol=1e-6)


def test_pool1d_and_global_pooling_values():
    rng = np.random.default_rng(11)
    xv = rng.standard_normal((2, 9, 4)).astype("float32")
    x = Input(shape=(9, 4))
    xt = xv.transpose(0, 2, 1)
    for layer, kind, size, stride, mode in ((MaxPooling1D(3), "max", 3, 3, "valid"),
                                            (AveragePooling1D(pool_size=2, strides=1), "avg", 2, 1, "valid"),
                                            (MaxPooling1D(2, border_mode="same"), "max", 2, 2, "same"),
                                            (AveragePooling1D(4, 2, padding="same"), "avg", 4, 2, "same")):
        pads = (tf_same_pads(9, size, stride) if mode == "same" else (0, 0), (0, 0))
        want = np_pool(xt[..., None], (size, 1), (stride, 1), pads, kind)[..., 0].transpose(0, 2, 1)
        y = layer(x)
        assert y._keras_shape == (None,) + want.shape[1:]
        np.testing.assert_allclose(run(x, y, xv), want, rtol=1e-6, atol=1e-6)
    for layer, want in ((GlobalMaxPooling1D(), xv.max(1)), (GlobalAveragePooling1D(), xv.mean(1))):
        y = layer(x)
        assert y._keras_shape == (None, 4)
        np.testing.assert_allclose(run(x, y, xv), want, rtol=1e-6, atol=1e-6)
    x4 = rng.standard_normal((2, 3, 5, 4)).astype("float32")
    for ordering, data, axes in (("th", x4, (2, 3)), ("tf", x4.transpose(0, 2, 3, 1), (1, 2))):
        inp = Input(shape=data.shape[1:])
        for cls, fn in ((GlobalMaxPooling2D, np.max), (GlobalAveragePooling2D, np.mean)):
            y = cls(dim_ordering=ordering)(inp)
            assert y._keras_shape == (None, 3)
            np.testing.assert_allclose(run(inp, y, data), fn(data, axis=axes), rtol=1e-6, atol=1e-6)


# -- padding, cropping, upsampling ---------------------------------------------------------------------

def test_zero_padding_cropping_upsampling_values():
    rng = np.random.default_rng(12)
    x4 = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    for ordering in ("th", "tf"):
        data = x4 if ordering == "th" else x4.transpose(0, 2, 3, 1)
        sp = (2, 3) if ordering == "th" else (1, 2)
        inp = Input(shape=data.shape[1:])

        def pad_width(rows, cols):
            widths = [(0, 0)] * 4
            widths[sp[0]], widths[sp[1]] = rows, cols
            return widths
        for padding, rows, cols in (((1, 2), (1, 1), (2, 2)), ((1, 0, 2, 3), (1, 0), (2, 3)),
                                    (((0, 2), (1, 0)), (0, 2), (1, 0)),
                                    ({"top_pad": 1, "right_pad": 2}, (1, 0), (0, 2)), (1, (1, 1), (1, 1))):
            y = ZeroPadding2D(padding, dim_ordering=ordering)(inp)
            want = np.pad(data, pad_width(rows, cols))
            assert y._keras_shape == (None,) + want.shape[1:]
            np.testing.assert_array_equal(run(inp, y, data), want)
        y = Cropping2D(((1, 0), (2, 1)), dim_ordering=ordering)(inp)
        index = [slice(None)] * 4
        index[sp[0]], index[sp[1]] = slice(1, None), slice(2, -1)
        assert y._keras_shape == (None,) + data[tuple(index)].shape[1:]
        np.testing.assert_array_equal(run(inp, y, data), data[tuple(index)])
        y = UpSampling2D((2, 3), dim_ordering=ordering)(inp)
        want = np.repeat(np.repeat(data, 2, axis=sp[0]), 3, axis=sp[1])
        assert y._keras_shape == (None,) + want.shape[1:]
        np.testing.assert_array_equal(run(inp, y, data), want)
    x3 = rng.standard_normal((2, 5, 3)).astype("float32")
    inp = Input(shape=(5, 3))
    for layer, want in ((ZeroPadding1D(2), np.pad(x3, ((0, 0), (2, 2), (0, 0)))),
                        (ZeroPadding1D((0, 1)), np.pad(x3, ((0, 0), (0, 1), (0, 0)))),
                        (Cropping1D((1, 2)), x3[:, 1:-2]), (UpSampling1D(3), np.repeat(x3, 3, axis=1)),
                        (UpSampling1D(size=2), np.repeat(x3, 2, axis=1))):
        y = layer(inp)
        assert y._keras_shape == (None,) + want.shape[1:]
        np.testing.assert_array_equal(run(inp, y, x3), want)
    assert ZeroPadding2D((1, 0, 2, 3)).get_config()["padding"] == [[1, 0], [2, 3]]
    assert ZeroPadding2D.from_config(ZeroPadding2D((1, 0, 2, 3)).get_config()).padding == ((1, 0), (2, 3))


# -- BatchNormalization ----------------------------------------------------------------------------------

def test_batchnorm_train_phase_uses_batch_statistics_and_test_phase_the_moving_ones():
    rng = np.random.default_rng(13)
    for shape, axis in (((6, 5, 4), -1), ((3, 4, 5), 1), ((7,), -1)):
        x = Input(shape=shape)
        layer = BatchNormalization(axis=axis, epsilon=1e-3)
        layer(x)
        n = shape[axis if axis < 0 else axis - 1]
        gamma, beta = rng.uniform(0.5, 2, n).astype("float32"), rng.standard_normal(n).astype("float32")
        mean, var = rng.standard_normal(n).astype("float32"), rng.uniform(0.5, 2, n).astype("float32")
        layer.set_weights([gamma, beta, mean, var])
        xv = (rng.standard_normal((8,) + shape) * 3 + 1).astype("float32")
        a = axis % (len(shape) + 1)
        red = tuple(k for k in range(len(shape) + 1) if k != a)
        bshape = [1] * (len(shape) + 1)
        bshape[a] = n
        xin = T.tensor(K.floatx(), (False,) * (len(shape) + 1))
        with K.learning_phase_scope(1) as scope:
            train_out = layer.call(xin)
        assert len(scope.updates) == 2
        with K.learning_phase_scope(0) as scope:
            test_out = layer.call(xin)
        assert scope.updates == []
        bm, bv = xv.mean(red), xv.var(red)
        want = (xv - bm.reshape(bshape)) / np.sqrt(bv.reshape(bshape) + 1e-3) * gamma.reshape(bshape) + \
            beta.reshape(bshape)
        np.testing.assert_allclose(clgraph.function([xin], train_out)(xv), want, rtol=1e-4, atol=1e-4)
        want = (xv - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3) * gamma.reshape(bshape) + \
            beta.reshape(bshape)
        np.testing.assert_allclose(clgraph.function([xin], test_out)(xv), want, rtol=1e-4, atol=1e-4)


def test_batchnorm_moving_averages_after_train_on_batch_and_predict():
    rng = np.random.default_rng(14)
    model = Sequential([BatchNormalization(momentum=0.8, input_shape=(3, 3, 2), name="bn"), Flatten(),
                        Dense(1, name="out")])
    model.compile(SGD(lr=0.05), "mse")
    bn = model.get_layer("bn")
    assert [w.name for w in bn.weights] == ["bn_gamma", "bn_beta", "bn_running_mean", "bn_running_std"]
    assert bn.trainable_weights == [bn.gamma, bn.beta] and bn.count_params() == 8
    mean, var = np.zeros(2), np.ones(2)
    gamma0 = bn.get_weights()[0].copy()
    for step in range(3):
        xb = (rng.standard_normal((16, 3, 3, 2)) * (step + 1) + step).astype("float32")
        model.train_on_batch(xb, rng.standard_normal((16, 1)).astype("float32"))
        mean = mean * 0.8 + xb.mean((0, 1, 2)) * 0.2
        var = var * 0.8 + xb.var((0, 1, 2)) * 0.2
        g, b, m, v = bn.get_weights()
        np.testing.assert_allclose(m, mean, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(v, var, rtol=1e-4, atol=1e-5)
    assert not np.allclose(g, gamma0)           # gamma trains
    xt = rng.standard_normal((5, 3, 3, 2)).astype("float32")
    W, c = model.get_layer("out").get_weights()
    normed = (xt - m) / np.sqrt(v + 1e-3) * g + b
    np.testing.assert_allclose(model.predict(xt), normed.reshape(5, -1) @ W + c, rtol=1e-4, atol=1e-4)
    loss = model.evaluate(xt, np.zeros((5, 1), "float32"), verbose=0)
    np.testing.assert_allclose(loss, np.mean((normed.reshape(5, -1) @ W + c) ** 2), rtol=1e-4)
    np.testing.assert_allclose(bn.get_weights()[2], m)   # evaluate and predict update nothing


def test_batchnorm_modes_1_and_2_and_keras2_arguments():
    rng = np.random.default_rng(15)
    xv = (rng.standard_normal((6, 4)) * 2 + 1).astype("float32")
    x = Input(shape=(4,))
    y = BatchNormalization(mode=1, epsilon=1e-3)(x)
    std = np.sqrt(xv.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(run(x, y, xv), (xv - xv.mean(-1, keepdims=True)) / (std + 1e-3), rtol=1e-5,
                               atol=1e-5)
    layer = BatchNormalization(mode=2)
    y = layer(x)   # batch statistics in the test phase too
    np.testing.assert_allclose(run(x, y, xv), (xv - xv.mean(0)) / np.sqrt(xv.var(0) + 1e-3), rtol=1e-4, atol=1e-4)
    plain = BatchNormalization(center=False, scale=False, moving_variance_initializer="zero", epsilon=0.5)
    y = plain(x)
    assert [w.name.split("_", 2)[-1] for w in plain.weights] == ["running_mean", "running_std"]
    np.testing.assert_allclose(run(x, y, xv), xv / np.sqrt(0.5), rtol=1e-6)
    again = BatchNormalization.from_config(plain.get_config())
    assert (again.center, again.scale, again.epsilon) == (False, False, 0.5)
    assert again.moving_variance_init is plain.moving_variance_init


# -- models ---------------------------------------------------------------------------------------------

def blob_images(n, rng):
    """8x8 one-channel images with a bright 3x3 blob in the left or the right half."""
    x = rng.uniform(0, 0.3, (n, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 2, n)
    for k, side in enumerate(labels):
        r, c = rng.integers(0, 6), rng.integers(0, 2) + 4 * side
        x[k, r:r + 3, c:c + 3, 0] += 1.
    return x, np.eye(2, dtype="float32")[labels]


def test_small_cnn_fits_and_summary(capsys):
    rng = np.random.default_rng(16)
    x, y = blob_images(96, rng)
    model = Sequential()
    model.add(Convolution2D(4, 3, 3, border_mode="same", input_shape=(8, 8, 1), name="conv"))
    model.add(Activation("relu", name="relu"))
    model.add(MaxPooling2D((2, 2), name="pool"))
    model.add(Flatten(name="flat"))
    model.add(Dense(2, activation="softmax", name="dense"))
    model.compile(SGD(lr=0.1, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)[0]
    history = model.fit(x, y, batch_size=16, nb_epoch=8, verbose=0)
    after, acc = model.evaluate(x, y, verbose=0)
    assert after < 0.5 * before and acc > 0.9, (before, history.history["loss"], after, acc)
    model.summary()
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["conv", "(Convolution2D)", "(None,", "8,", "8,", "4)", "40"] in rows
    assert ["pool", "(MaxPooling2D)", "(None,", "4,", "4,", "4)", "0"] in rows
    assert ["flat", "(Flatten)", "(None,", "64)", "0"] in rows
    assert ["Total", "params:", "170"] in rows and ["Trainable", "params:", "170"] in rows


def image_model():
    inp = Input(shape=(3, 8, 7))
    h = ZeroPadding2D((1, 0), dim_ordering="th")(inp)
    h = Convolution2D(4, 3, 2, dim_ordering="th", subsample=(2, 1), activation="relu", name="c1")(h)
    h = BatchNormalization(axis=1, momentum=0.5, name="bn")(h)
    h = Conv2D(5, (2, 2), padding="same", data_format="channels_first", name="c2")(h)
    h = AveragePooling2D((2, 2), border_mode="same", dim_ordering="th")(h)
    h = UpSampling2D((1, 2), dim_ordering="th")(h)
    h = Cropping2D(((0, 1), (1, 0)), dim_ordering="th")(h)
    h = GlobalMaxPooling2D(dim_ordering="th")(h)
    return Model(inp, Dense(2, name="out")(h))


def test_json_weights_and_model_round_trips_keep_predictions(tmp_path):
    rng = np.random.default_rng(17)
    model = image_model()
    model.compile("adam", "mse")
    xv = rng.standard_normal((6, 3, 8, 7)).astype("float32")
    for _ in range(2):
        model.train_on_batch(xv, rng.standard_normal((6, 2)).astype("float32"))
    bn = model.get_layer("bn").get_weights()
    assert not np.allclose(bn[2], 0) and not np.allclose(bn[3], 1)    # moving statistics moved
    want = model.predict(xv)
    clone = model_from_json(model.to_json())
    assert [type(la).__name__ for la in clone.layers] == [type(la).__name__ for la in model.layers]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(xv), want)
    model.save_weights(str(tmp_path / "w.h5"))
    other = model_from_json(model.to_json())
    other.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_array_equal(other.predict(xv), want)
    model.save(str(tmp_path / "m.h5"))
    loaded = load_model(str(tmp_path / "m.h5"))
    np.testing.assert_array_equal(loaded.predict(xv), want)
    for a, b in zip(loaded.get_layer("bn").get_weights(), bn):
        np.testing.assert_array_equal(a, b)
    yb = rng.standard_normal((6, 2)).astype("float32")
    np.testing.assert_allclose(loaded.train_on_batch(xv, yb), model.train_on_batch(xv, yb), rtol=1e-5)


# -- errors -----------------------------------------------------------------------------------------------

def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Convolution2D 'c': expected an input of rank 4 \(samples, rows, cols, "
                                         r"channels\) for dim_ordering 'tf', got shape \(None, 8, 8\)"):
        Convolution2D(2, 3, 3, name="c")(Input(shape=(8, 8)))
    conv = Convolution2D(2, 3, 3, name="c3")
    conv(Input(shape=(8, 8, 3)))
    with pytest.raises(ValueError, match=r"Convolution2D 'c3': expected input with 3 channels on axis 3 \(the layer "
                                         r"was built for shape \(None, 8, 8, 3\)\), got input of shape "
                                         r"\(None, 8, 8, 4\)"):
        conv(Input(shape=(8, 8, 4)))
    with pytest.raises(ValueError, match=r"Conv2D 'k': the input of shape \(None, 2, 5, 1\) is too small for a 3x3 "
                                         r"kernel .* border_mode 'valid'"):
        Conv2D(2, 3, name="k")(Input(shape=(2, 5, 1)))
    with pytest.raises(ValueError, match=r"Conv1D 'k1': the channel axis \(axis 2\) of the input must have a known "
                                         r"size, got shape \(None, 5, None\)"):
        Conv1D(2, 3, name="k1")(Input(shape=(5, None)))
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p': expected an input of rank 4 \(samples, channels, rows, "
                                         r"cols\) for dim_ordering 'th', got shape \(None, 4\)"):
        MaxPooling2D(dim_ordering="th", name="p")(Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"MaxPooling1D 'p1': the input of shape \(None, 2, 3\) is too small for "
                                         r"pool_size \(3,\)"):
        MaxPooling1D(3, name="p1")(Input(shape=(2, 3)))
    with pytest.raises(ValueError, match=r"Cropping2D 'cr': the input of shape \(None, 3, 3, 1\) would give an "
                                         r"output of shape \(None, 0, 3, 1\)"):
        Cropping2D(((2, 1), (0, 0)), name="cr")(Input(shape=(3, 3, 1)))
    bn = BatchNormalization(axis=1, name="bn")
    bn(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn': expected an input with 3 features on axis 1 "
                                         r"\(the layer was built for shape \(None, 3, 4\)\), got input of shape "
                                         r"\(None, 5, 4\)"):
        bn(Input(shape=(5, 4)))
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn2': axis 3 is not a feature axis of an input of "
                                         r"shape \(None, 3\)"):
        BatchNormalization(axis=3, name="bn2")(Input(shape=(3,)))
    with pytest.raises(ValueError, match="border_mode .* must be one of 'valid', 'same', 'full', got 'causal'"):
        Convolution2D(2, 3, 3, border_mode="causal")
    with pytest.raises(ValueError, match="pool_size must be a positive int"):
        MaxPooling2D((2, 0))
    with pytest.raises(ValueError, match="mode must be 0"):
        BatchNormalization(mode=3)


def test_images_of_unknown_size_pad_per_call():
    """Input(shape=(None, None, C)): strided 'same' padding is computed from each call's size."""
    rng = np.random.default_rng(18)
    x = Input(shape=(None, None, 2))
    conv = Convolution2D(3, 2, 3, border_mode="same", subsample=(2, 2))
    c = conv(x)
    pool_max = MaxPooling2D((3, 2), (2, 1), border_mode="same")(c)
    pool_avg = AveragePooling2D((2, 2), border_mode="same")(c)
    assert c._keras_shape == (None, None, None, 3) and pool_max._keras_shape == (None, None, None, 3)
    f = clgraph.function([x], [c, pool_max, pool_avg])
    W, b = conv.get_weights()
    for h, w in ((7, 6), (8, 5)):
        xv = rng.standard_normal((2, 2, h, w)).astype("float32")
        got = f(xv.transpose(0, 2, 3, 1))
        want_c = np_conv(xv, W.transpose(3, 2, 0, 1), (2, 2), pads_for("same", (h, w), (2, 3), (2, 2))) + \
            b[None, :, None, None]
        ch, cw = want_c.shape[2:]
        want_max = np_pool(want_c, (3, 2), (2, 1), pads_for("same", (ch, cw), (3, 2), (2, 1)), "max")
        want_avg = np_pool(want_c, (2, 2), (2, 2), pads_for("same", (ch, cw), (2, 2), (2, 2)), "avg")
        for g, want in zip(got, (want_c, want_max, want_avg)):
            np.testing.assert_allclose(g, want.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


def test_gradients_through_uneven_same_padding():
    """The explicit zero-padding (conv) and -inf / count paths (pools) differentiate right."""
    from clgraph.gradient import verify_grad
    rng = np.random.default_rng(19)
    x = Input(shape=(5, 4, 2))
    conv = Convolution2D(2, 2, 2, border_mode="same", subsample=(2, 1), activation="tanh")
    conv(x)
    pools = [MaxPooling2D((2, 2), (1, 1), border_mode="same"), AveragePooling2D((2, 3), (2, 2), border_mode="same")]
    for pool in pools:
        pool(conv.output)
    for pool in pools:
        verify_grad(lambda v, pool=pool: pool.call(conv.call(v)), [rng.standard_normal((2, 5, 4, 2))], rng=rng)
