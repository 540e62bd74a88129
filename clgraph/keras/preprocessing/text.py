"""Keras 1's clgraph.keras.preprocessing.text: text_to_word_sequence, one_hot, Tokenizer."""
import hashlib
from collections import OrderedDict

import numpy as np

__all__ = ["base_filter", "text_to_word_sequence", "one_hot", "Tokenizer"]


def base_filter():
    return '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text, filters=None, lower=True, split=" "):
    """The words of `text`: lower-cased, `filters` characters as separators."""
    filters = base_filter() if filters is None else filters
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans(filters, split * len(filters))) if filters else text
    return [w for w in text.split(split) if w]


def one_hot(text, n, filters=None, lower=True, split=" "):
    """Word indices in [1, n) by hashing. A stable hash (md5), so the same word has the
    same index in every process (Keras 1's hash() changed with PYTHONHASHSEED)."""
    return [int(hashlib.md5(w.encode("utf-8")).hexdigest(), 16) % (n - 1) + 1
            for w in text_to_word_sequence(text, filters, lower, split)]


class Tokenizer:
    """Word (or character) indices by frequency, as Keras 1: fit_on_texts, then
    texts_to_sequences / texts_to_matrix (modes binary, count, freq, tfidf); words
    ranked nb_words and above are left out."""

    def __init__(self, nb_words=None, filters=None, lower=True, split=" ", char_level=False, num_words=None):
        self.nb_words = nb_words if nb_words is not None else num_words
        self.filters = base_filter() if filters is None else filters
        self.lower, self.split, self.char_level = lower, split, char_level
        self.word_counts, self.word_docs = OrderedDict(), {}
        self.word_index, self.index_docs = {}, {}
        self.document_count = 0

    def _words(self, text):
        if self.char_level:
            return list(text.lower() if self.lower else text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for w in words:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(words):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)  # (stable: first seen first)
        self.word_index = {w: k for k, (w, _) in enumerate(ranked, 1)}
        self.index_docs = {self.word_index[w]: c for w, c in self.word_docs.items()}

    def fit_on_sequences(self, sequences):
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] = self.index_docs.get(i, 0) + 1

    def texts_to_sequences_generator(self, texts):
        for text in texts:
            seq = []
            for w in self._words(text):
                i = self.word_index.get(w)
                if i is not None and not (self.nb_words and i >= self.nb_words):
                    seq.append(i)
            yield seq

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"Tokenizer: mode must be binary, count, freq or tfidf, got {mode!r}")
        if not self.nb_words and not self.word_index:
            raise ValueError("Tokenizer: give nb_words or fit the tokenizer first")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit the tokenizer before tfidf")
        n = self.nb_words or len(self.word_index) + 1
        x = np.zeros((len(sequences), n))
        for row, seq in enumerate(sequences):
            counts = {}
            for j in seq:
                if j < n:
                    counts[j] = counts.get(j, 0) + 1
            for j, c in counts.items():
                if mode == "count":
                    x[row, j] = c
                elif mode == "freq":
                    x[row, j] = c / len(seq)
                elif mode == "binary":
                    x[row, j] = 1
                else:
                    x[row, j] = (1 + np.log(c)) * np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
        return x
