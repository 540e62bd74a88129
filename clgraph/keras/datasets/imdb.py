"""IMDB reviews as word-index sequences and binary sentiment labels (Keras 1's
arguments: nb_words, skip_top, maxlen, seed, start_char, oov_char, index_from)."""
import numpy as np

from ..utils.data_utils import get_file
from ._safe_load import load_npz
from ._sequences import object_array, prepare

ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb.npz"


def load_data(path="imdb.npz", nb_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, num_words=None):
    f = load_npz(get_file(path, origin=ORIGIN))
    n_train = len(f["x_train"])
    xs = list(f["x_train"]) + list(f["x_test"])
    labels = np.concatenate([f["y_train"], f["y_test"]])
    # (train and test are prepared apart, each shuffled with the seed, as Keras does)
    train = prepare(xs[:n_train], labels[:n_train], nb_words or num_words, skip_top, maxlen, seed, start_char,
                    oov_char, index_from)
    test = prepare(xs[n_train:], labels[n_train:], nb_words or num_words, skip_top, maxlen, seed * 2, start_char,
                   oov_char, index_from)
    return (object_array(train[0]), train[1]), (object_array(test[0]), test[1])
