"""What a Keras CNN's training step runs: each convolution of the digits CNN is im2col
and one GEMM kernel with its bias and relu in the epilogue, for both image orderings."""
import numpy as np
import pytest

from clgraph.keras.layers import Activation, Convolution2D, Dense, Dropout, Flatten, MaxPooling2D
from clgraph.keras.models import Sequential


def digits_cnn(ordering):
    shape = (1, 8, 8) if ordering == "th" else (8, 8, 1)
    model = Sequential()
    model.add(Convolution2D(32, 3, 3, border_mode="same", input_shape=shape, dim_ordering=ordering))
    model.add(Activation("relu"))
    model.add(Convolution2D(32, 3, 3, border_mode="same", dim_ordering=ordering))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2), dim_ordering=ordering))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(10))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adadelta")
    return model, shape


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_each_convolution_is_im2col_and_one_gemm_with_bias_and_relu(ordering):
    model, shape = digits_cnn(ordering)
    rng = np.random.default_rng(0)
    x = rng.random((16,) + shape).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 16)]
    model.train_on_batch(x, y)
    kernels = model.train_function.kernels
    # the forward pass up to the pooling (weight-layout copies aside): im2col, GEMM, im2col, GEMM
    forward = [k for k in kernels if "identity" not in k.name]
    head = [k.name.split("_", 1)[1] for k in forward[:5]]
    assert head == ["conv", "gemm", "conv", "gemm", "pool"], [k.name for k in kernels]
    for gemm in (forward[1], forward[3]):
        assert "fmax" in gemm.source  # the relu, in the epilogue
        assert "epi0" in gemm.source  # the bias, read there
    assert not any("double" in k.source for k in kernels)
