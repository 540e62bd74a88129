"""CIFAR-10: (X_train, y_train), (X_test, y_test), 32x32 colour images (channels first,
or last when K.image_dim_ordering() is 'tf', as Keras 1) and labels (n, 1)."""
import os

import numpy as np

from ..utils.data_utils import get_file
from ._safe_load import safe_unpickle

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
DIRNAME = "cifar-10-batches-py"


def _batch(path):
    with open(path, "rb") as f:
        d = safe_unpickle(f.read(), encoding="bytes")
    d = {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in d.items()}
    return np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32), np.asarray(d["labels"], dtype=np.uint8)


def load_data():
    from .. import backend as K
    folder = get_file(DIRNAME, origin=ORIGIN, untar=True)
    parts = [_batch(os.path.join(folder, f"data_batch_{k}")) for k in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts]).reshape(-1, 1)
    x_test, y_test = _batch(os.path.join(folder, "test_batch"))
    y_test = y_test.reshape(-1, 1)
    if K.image_dim_ordering() == "tf":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
