"""Reuters newswires as word-index sequences and 46 topic labels (Keras 1's
arguments, with test_split)."""
import numpy as np

from ..utils.data_utils import get_file
from ._safe_load import load_npz
from ._sequences import object_array, prepare

ORIGIN = "https://s3.amazonaws.com/text-datasets/reuters.npz"


def load_data(path="reuters.npz", nb_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3, num_words=None):
    f = load_npz(get_file(path, origin=ORIGIN))
    xs, labels = prepare(list(f["x"]), f["y"], nb_words or num_words, skip_top, maxlen, seed, start_char, oov_char,
                         index_from)
    cut = int(len(xs) * (1 - test_split))
    return ((object_array(xs[:cut]), labels[:cut]),
            (object_array(xs[cut:]), labels[cut:]))
