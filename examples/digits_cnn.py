"""Keras 1's mnist_cnn.py, unchanged but for its imports and its data: scikit-learn's
bundled digits (8x8 images, 10 classes, 1797 samples, 20 % held out for testing)
instead of MNIST. Convolution2D-Convolution2D-MaxPooling2D-Dropout-Dense, trained
with the progress bar; the image ordering follows the backend, as in the original.

    pip install -e '.[pocl,examples]' && python examples/digits_cnn.py [--epochs 12]
"""
import argparse

import numpy as np

from clgraph.keras import backend as K
from clgraph.keras.layers import Activation, Convolution2D, Dense, Dropout, Flatten, MaxPooling2D
from clgraph.keras.models import Sequential
from clgraph.keras.utils import np_utils

batch_size = 32
nb_classes = 10
img_rows, img_cols = 8, 8
nb_filters = 32          # number of convolutional filters to use
pool_size = (2, 2)       # size of pooling area for max pooling
kernel_size = (3, 3)     # convolution kernel size


def load_data(seed=0):
    from sklearn.datasets import load_digits
    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    x, y = digits.images[order], digits.target[order]
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    np.random.seed(1337)  # for reproducibility

    (X_train, y_train), (X_test, y_test) = load_data()
    if K.image_dim_ordering() == 'th':
        X_train = X_train.reshape(X_train.shape[0], 1, img_rows, img_cols)
        X_test = X_test.reshape(X_test.shape[0], 1, img_rows, img_cols)
        input_shape = (1, img_rows, img_cols)
    else:
        X_train = X_train.reshape(X_train.shape[0], img_rows, img_cols, 1)
        X_test = X_test.reshape(X_test.shape[0], img_rows, img_cols, 1)
        input_shape = (img_rows, img_cols, 1)
    X_train = X_train.astype('float32') / 16
    X_test = X_test.astype('float32') / 16
    print('X_train shape:', X_train.shape)
    print(X_train.shape[0], 'train samples')
    print(X_test.shape[0], 'test samples')
    Y_train = np_utils.to_categorical(y_train, nb_classes)
    Y_test = np_utils.to_categorical(y_test, nb_classes)

    model = Sequential()
    model.add(Convolution2D(nb_filters, kernel_size[0], kernel_size[1], border_mode='same', input_shape=input_shape))
    model.add(Activation('relu'))
    model.add(Convolution2D(nb_filters, kernel_size[0], kernel_size[1], border_mode='same'))
    model.add(Activation('relu'))
    model.add(MaxPooling2D(pool_size=pool_size))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128))
    model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(nb_classes))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='adadelta', metrics=['accuracy'])
    model.summary()

    model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=args.epochs, verbose=args.verbose,
              validation_data=(X_test, Y_test))
    score = model.evaluate(X_test, Y_test, verbose=0)
    print('Test score:', score[0])
    print('Test accuracy:', score[1])
    step = model.train_function if hasattr(model, "train_function") else None
    if step is not None and hasattr(step, "kernels"):
        names = [k.name for k in step.kernels]
        print(f"one training step is one compiled function of {len(names)} kernels; its convolutions: "
              + ", ".join(n for n in names if "conv" in n or "gemm" in n))


if __name__ == "__main__":
    main()
