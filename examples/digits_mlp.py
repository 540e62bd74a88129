"""A Keras 1 MLP on scikit-learn's bundled digits (8x8 images, 10 classes, 1797 samples):
features standardised with the training set's statistics, 20 % held out for testing.

    pip install -e '.[pocl,examples]' && python examples/digits_mlp.py [--epochs 30]
"""
import argparse

import numpy as np

from clgraph.keras.layers import Dense, Dropout
from clgraph.keras.models import Sequential
from clgraph.keras.optimizers import SGD
from clgraph.keras.utils.np_utils import to_categorical


def load_data(seed=0):
    from sklearn.datasets import load_digits
    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    x, y = digits.data[order].astype("float32"), digits.target[order]
    n_train = int(0.8 * len(x))
    mean, std = x[:n_train].mean(0), x[:n_train].std(0) + 1e-3
    x = (x - mean) / std
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = load_data()
    np.random.seed(0)
    model = Sequential()
    model.add(Dense(128, input_dim=64, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.05, momentum=0.9, nesterov=True),
                  metrics=["accuracy"])
    model.fit(x_train, to_categorical(y_train, 10), batch_size=32, nb_epoch=args.epochs, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    print(f"{len(x_train)} training and {len(x_test)} test images")
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {100 * accuracy:.2f} %")


if __name__ == "__main__":
    main()
