"""Keras 1's clgraph.keras.preprocessing.sequence: pad_sequences, make_sampling_table,
skipgrams (host-side numpy, as in Keras)."""
import random

import numpy as np

__all__ = ["pad_sequences", "make_sampling_table", "skipgrams"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.):
    """(n, maxlen) array of the sequences padded with `value` and cut to `maxlen`
    ('pre': at the front, as Keras; 'post': at the end); maxlen defaults to the longest.
    Elements may themselves be arrays (then the result has their shape after maxlen)."""
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post', got {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post', got {truncating!r}")
    lengths = []
    for k, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: sequence {k} is not a sequence: {s!r}")
        lengths.append(len(s))
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    sample_shape = ()
    for s in sequences:
        if len(s):
            sample_shape = np.asarray(s).shape[1:]
            break
    x = np.full((len(sequences), maxlen) + sample_shape, value).astype(dtype)
    for k, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: sequence {k} has elements of shape {kept.shape[1:]}, unlike the "
                             f"first non-empty sequence's {sample_shape}")
        if padding == "post":
            x[k, :len(kept)] = kept
        else:
            x[k, maxlen - len(kept):] = kept
    return x


def make_sampling_table(size, sampling_factor=1e-5):
    """P(keep) of the word of each frequency rank (rank 0: unknown), for skipgrams: the
    word2vec subsampling rule with Zipf's law for the frequencies, as Keras 1."""
    gamma = 0.577
    rank = np.arange(size, dtype=np.float64)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1. / (12. * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1., f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1., shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """(couples, labels): [word, context] pairs within `window_size` (label 1) and
    `negative_samples` times as many [word, random word] pairs (label 0); index 0 is
    skipped; labels as [0, 1] / [1, 0] when categorical."""
    rand = random.Random(seed)
    couples, labels = [], []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < rand.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0 and couples:
        n_negative = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        rand.shuffle(words)
        couples += [[words[k % len(words)], rand.randint(1, vocabulary_size - 1)] for k in range(n_negative)]
        labels += [[1, 0] if categorical else 0] * n_negative
    if shuffle:
        order = list(range(len(couples)))
        rand.shuffle(order)
        couples, labels = [couples[k] for k in order], [labels[k] for k in order]
    return couples, labels
