"""The word-index preparation Keras 1 applies to imdb and reuters: shuffle, a start
mark, indices shifted by index_from, long sequences dropped, rare and too-frequent
words made the out-of-vocabulary mark."""
import numpy as np

__all__ = ["prepare", "object_array"]


def prepare(xs, labels, nb_words, skip_top, maxlen, seed, start_char, oov_char, index_from):
    order = np.random.RandomState(seed).permutation(len(xs))
    xs = [list(xs[k]) for k in order]
    labels = np.asarray(labels)[order]
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [k for k, x in enumerate(xs) if len(x) < maxlen]
        if not kept:
            raise ValueError(f"load_data: no sequence is shorter than maxlen={maxlen}; increase maxlen")
        xs, labels = [xs[k] for k in kept], labels[kept]
    if not nb_words:
        nb_words = max(max(x) for x in xs if x) + 1 if xs else 0
    if oov_char is not None:
        xs = [[w if skip_top <= w < nb_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < nb_words] for x in xs]
    return xs, labels


def object_array(seqs):
    """A 1-D array of lists (numpy would make equal-length lists a 2-D array)."""
    out = np.empty(len(seqs), dtype=object)
    for k, s in enumerate(seqs):
        out[k] = s
    return out
