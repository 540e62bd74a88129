"""Autoencoders with Keras layers on scikit-learn's digits: a Dense encoder/decoder
(64 -> 32 -> 64) and a convolutional one (Convolution2D + MaxPooling2D down,
UpSampling2D + Convolution2D up), both trained to reproduce their input with binary
cross-entropy. Prints each model's reconstruction error before and after training.
    pip install -e '.[pocl,examples]' && python examples/keras_autoencoder.py [--epochs 30]
"""
import argparse

import numpy as np

from clgraph.keras.layers import Convolution2D, Dense, Input, MaxPooling2D, UpSampling2D
from clgraph.keras.models import Model


def load_data(seed=0):
    from sklearn.datasets import load_digits
    x = (load_digits().images / 16.0).astype("float32")
    return x[np.random.default_rng(seed).permutation(len(x))]


def dense_autoencoder():
    inp = Input(shape=(64,))
    code = Dense(32, activation="relu")(inp)
    out = Dense(64, activation="sigmoid")(code)
    return Model(inp, out)


def conv_autoencoder():
    inp = Input(shape=(1, 8, 8))
    h = Convolution2D(8, 3, 3, activation="relu", border_mode="same", dim_ordering="th")(inp)
    h = MaxPooling2D((2, 2), dim_ordering="th")(h)                     # 8 x 4 x 4: the code
    h = UpSampling2D((2, 2), dim_ordering="th")(h)
    out = Convolution2D(1, 3, 3, activation="sigmoid", border_mode="same", dim_ordering="th")(h)
    return Model(inp, out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    images = load_data()
    train, test = images[:1400], images[1400:]
    for name, model, shape in (("dense", dense_autoencoder(), (-1, 64)), ("conv", conv_autoencoder(), (-1, 1, 8, 8))):
        xtr, xte = train.reshape(shape), test.reshape(shape)
        model.compile("adam", "binary_crossentropy")
        before = float(np.mean((model.predict(xte) - xte) ** 2))
        model.fit(xtr, xtr, nb_epoch=args.epochs, batch_size=32, verbose=0)
        after = float(np.mean((model.predict(xte) - xte) ** 2))
        print(f"{name} autoencoder: test reconstruction error {before:.4f} -> {after:.4f}")


if __name__ == "__main__":
    main()
