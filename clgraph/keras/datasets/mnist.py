"""MNIST digits: (x_train, y_train), (x_test, y_test), 28x28 uint8 images and labels."""
from ..utils.data_utils import get_file
from ._safe_load import load_npz

ORIGIN = "https://s3.amazonaws.com/img-datasets/mnist.npz"


def load_data(path="mnist.npz"):
    f = load_npz(get_file(path, origin=ORIGIN))
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
