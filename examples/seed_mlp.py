"""The Keras 1 seed model, unchanged but for its imports, trained on a synthetic
two-class problem: two Gaussian blobs in 20 dimensions (unit variance, centres at
-0.5 and +0.5 on every axis; the best possible accuracy is about 98.7 %).

    pip install -e '.[pocl]' && python examples/seed_mlp.py [--epochs 20]
"""
import argparse

import numpy as np

from clgraph.keras.models import Sequential
from clgraph.keras.layers.core import Dense, Dropout
from clgraph.keras.optimizers import SGD
from clgraph.keras.utils.np_utils import to_categorical


def make_data(n, rng):
    """n points, half from each blob, in random order; one-hot labels."""
    y = rng.permutation(np.arange(n) % 2)
    x = rng.standard_normal((n, 20)) + np.where(y[:, None] == 1, 0.5, -0.5)
    return x.astype("float32"), to_categorical(y, 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=4000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X_train, Y_train = make_data(args.samples, rng)
    X_test, Y_test = make_data(2000, rng)
    np.random.seed(1234)  # the initial weights and the dropout streams

    model = Sequential()
    model.add(Dense(64, input_dim=20, init='uniform', activation='tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(64, init='uniform', activation='tanh'))
    model.add(Dropout(0.5))
    model.add(Dense(2, init='uniform', activation='softmax'))

    sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd, metrics=['accuracy'])
    model.summary()

    history = model.fit(X_train, Y_train, nb_epoch=args.epochs, batch_size=16, validation_split=0.1, verbose=1)
    for epoch, (loss, acc) in enumerate(zip(history.history["loss"], history.history["acc"]), 1):
        print(f"epoch {epoch:3d}: loss {loss:.4f}  accuracy {acc:.4f}")
    score = model.evaluate(X_test, Y_test, batch_size=16, verbose=0)
    print(f"test loss: {score[0]:.4f}")
    print(f"test accuracy: {score[1]:.4f}")
    classes = model.predict_classes(X_test[:10], batch_size=16)
    print("predicted classes of the first 10 test points:", classes.tolist())
    print("true classes:                                 ", Y_test[:10].argmax(1).tolist())
    print(f"one training step is one compiled function of {len(model.train_function.kernels)} kernels")


if __name__ == "__main__":
    main()
