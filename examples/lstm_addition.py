"""The adding problem (Hochreiter & Schmidhuber 1997) with a Keras 1 LSTM: each input is
a sequence of (value, marker) pairs, values uniform in [0, 1], exactly two steps marked;
the target is the sum of the two marked values. Predicting the mean sum (1.0) has a mean
squared error of 1/6 ~ 0.167; the LSTM has to find the markers and remember the values
over the steps between them. The error is reported after every epoch.

    python examples/lstm_addition.py [--epochs 20] [--length 20] [--samples 4000]
"""
import argparse
import time

import numpy as np

from clgraph.keras.layers import LSTM, Dense
from clgraph.keras.models import Sequential
from clgraph.keras.optimizers import Adam
from clgraph.keras.callbacks import Callback


def adding_problem(n, length, rng):
    values = rng.uniform(0., 1., size=(n, length))
    markers = np.zeros((n, length))
    for k in range(n):
        first = rng.integers(0, length // 2)
        second = rng.integers(length // 2, length)
        markers[k, [first, second]] = 1.
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values * markers).sum(axis=1, keepdims=True).astype("float32")
    return x, y


class EpochReport(Callback):
    def __init__(self, x_test, y_test):
        super().__init__()
        self.x_test, self.y_test = x_test, y_test
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        pred = self.model.predict(self.x_test, batch_size=256)
        mse = float(np.mean((pred - self.y_test) ** 2))
        hits = float(np.mean(np.abs(pred - self.y_test) < 0.04))   # "correct": within 0.04 (Le et al.)
        print(f"epoch {epoch + 1:3d}: train mse {logs['loss']:.4f}  test mse {mse:.4f}  within 0.04: "
              f"{100 * hits:5.1f} %  ({time.time() - self.start:.1f} s)", flush=True)
        self.model.last_test_mse = mse


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--units", type=int, default=32)
    args = parser.parse_args()
    np.random.seed(1337)
    rng = np.random.default_rng(1337)
    x_train, y_train = adding_problem(args.samples, args.length, rng)
    x_test, y_test = adding_problem(1000, args.length, rng)
    print(f"adding problem: {args.samples} training sequences of {args.length} steps; predicting the mean "
          f"gives mse {np.mean((y_test - 1.) ** 2):.4f}")

    model = Sequential()
    model.add(LSTM(args.units, input_shape=(args.length, 2), inner_activation="sigmoid"))
    model.add(Dense(1))
    model.compile(loss="mse", optimizer=Adam(lr=0.01))
    model.summary()
    report = EpochReport(x_test, y_test)
    model.fit(x_train, y_train, batch_size=64, nb_epoch=args.epochs, verbose=0, callbacks=[report])
    print(f"final test mse: {model.last_test_mse:.4f}")


if __name__ == "__main__":
    main()
