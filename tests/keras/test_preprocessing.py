"""Keras 1's preprocessing (sequence, text) and engine.training.slice_X."""
from collections import Counter

import numpy as np
import pytest

from clgraph.keras.engine.training import slice_X
from clgraph.keras.preprocessing.sequence import make_sampling_table, pad_sequences, skipgrams
from clgraph.keras.preprocessing.text import Tokenizer, one_hot, text_to_word_sequence

SEQS = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]


def reference_pad(seqs, maxlen, padding, truncating, value):
    out = []
    for s in seqs:
        s = list(s)
        if len(s) > maxlen:
            s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        fill = [value] * (maxlen - len(s))
        out.append(fill + s if padding == "pre" else s + fill)
    return np.array(out)


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 2, 4, 7])
def test_pad_sequences(padding, truncating, maxlen):
    got = pad_sequences(SEQS, maxlen=maxlen, padding=padding, truncating=truncating, value=-1)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, reference_pad(SEQS, maxlen or 5, padding, truncating, -1))


def test_pad_sequences_of_vectors_and_errors():
    seqs = [np.ones((2, 3)), np.zeros((4, 3))]
    got = pad_sequences(seqs, maxlen=3, dtype="float32")
    assert got.shape == (2, 3, 3) and got[0, 0].tolist() == [0, 0, 0] and got[0, 1:].sum() == 6
    with pytest.raises(ValueError, match="padding"):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="shape"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def test_skipgrams_pairs_within_the_window():
    seq = [1, 2, 0, 3, 4]
    couples, labels = skipgrams(seq, vocabulary_size=10, window_size=1, negative_samples=1.0, seed=0)
    positive = sorted(tuple(c) for c, lab in zip(couples, labels) if lab == 1)
    assert positive == sorted([(1, 2), (2, 1), (3, 4), (4, 3)])   # index 0 is nobody's neighbour
    negative = [c for c, lab in zip(couples, labels) if lab == 0]
    assert len(negative) == 4 and all(1 <= c[1] < 10 and c[0] in (1, 2, 3, 4) for c in negative)
    _, cat = skipgrams(seq, 10, window_size=1, categorical=True, seed=0)
    assert all(lab in ([0, 1], [1, 0]) for lab in cat)


def test_sampling_table_keeps_rare_words():
    table = make_sampling_table(1000)
    assert table.shape == (1000,) and np.all((table > 0) & (table <= 1)) and table[-1] >= table[10]


def test_text_to_word_sequence_and_one_hot():
    assert text_to_word_sequence("The cat, the HAT!\tand a bat.") == ["the", "cat", "the", "hat", "and", "a", "bat"]
    ids = one_hot("the cat the hat", 50)
    assert len(ids) == 4 and ids[0] == ids[2] and all(1 <= i < 50 for i in ids)
    assert one_hot("the cat the hat", 50) == ids   # stable across calls (and processes)


def test_tokenizer_indices_by_frequency_and_matrices():
    texts = ["the cat sat on the mat", "the dog sat", "a cat and a dog"]
    tok = Tokenizer()
    tok.fit_on_texts(texts)
    counts = Counter(w for t in texts for w in t.split())
    assert tok.word_counts == dict(counts) and tok.document_count == 3
    ranked = [w for w, _ in sorted(tok.word_index.items(), key=lambda kv: kv[1])]
    assert [counts[w] for w in ranked] == sorted(counts.values(), reverse=True)
    assert tok.word_index["the"] == 1
    seqs = tok.texts_to_sequences(["the cat and the zebra"])
    assert seqs == [[tok.word_index[w] for w in ("the", "cat", "and", "the")]]
    limited = Tokenizer(nb_words=3)
    limited.fit_on_texts(texts)
    assert all(i < 3 for s in limited.texts_to_sequences(texts) for i in s)
    count = tok.texts_to_matrix(["the the cat"], mode="count")
    assert count.shape == (1, len(counts) + 1)
    assert count[0, tok.word_index["the"]] == 2 and count[0, tok.word_index["cat"]] == 1 and count.sum() == 3
    binary = tok.texts_to_matrix(["the the cat"], mode="binary")
    assert binary.sum() == 2
    freq = tok.texts_to_matrix(["the the cat"], mode="freq")
    assert freq[0, tok.word_index["the"]] == pytest.approx(2 / 3)
    tfidf = tok.texts_to_matrix(["the the cat"], mode="tfidf")
    docs_the = sum("the" in t.split() for t in texts)
    assert tfidf[0, tok.word_index["the"]] == pytest.approx((1 + np.log(2)) * np.log(1 + 3 / (1 + docs_the)))
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abca"])
    assert chars.word_index["a"] == 1 and len(chars.word_index) == 3


def test_slice_X():
    a, b = np.arange(10), np.arange(20).reshape(10, 2)
    np.testing.assert_array_equal(slice_X(a, 2, 5), a[2:5])
    got = slice_X([a, b], [7, 1])
    np.testing.assert_array_equal(got[0], a[[7, 1]])
    np.testing.assert_array_equal(got[1], b[[7, 1]])
