"""Keras 1's imdb_lstm.py on a synthetic review set shaped like IMDB's: integer word
indices (1 = start, 2 = out of vocabulary, most frequent words first), reviews of varied
length padded with 0 at the front to maxlen, a binary sentiment label. A review's
sentiment comes from a few polar words scattered among neutral ones, and a word after
"not" means the opposite, so the order matters. Embedding(mask_zero=True) makes the
padding invisible to the LSTM (its state goes through padded steps unchanged).

    python examples/sentiment_lstm.py [--epochs 5] [--samples 4000]
"""
import argparse
import time

import numpy as np

from clgraph.keras.layers import LSTM, Dense, Embedding
from clgraph.keras.models import Sequential

max_features = 500
maxlen = 40               # cut reviews after this number of words
batch_size = 32
NOT = 3                   # the word "not"
POSITIVE = np.arange(10, 40)
NEGATIVE = np.arange(40, 70)


def make_reviews(n, rng):
    """Reviews of 10..60 words (longer ones are cut, as imdb_lstm does). A review of
    label 1 says 2..5 positive things among neutral words, each a positive word or "not"
    + a negative word; a review of label 0 the other way round."""
    reviews, labels = [], []
    for _ in range(n):
        label = int(rng.random() < 0.5)
        length = int(rng.integers(10, 60))
        words = rng.integers(70, max_features, size=length)          # neutral words
        slots = rng.choice(np.arange(1, min(length, maxlen) - 1), size=int(rng.integers(2, 6)), replace=False)
        for s in slots:
            negated = rng.random() < 0.2
            words[s] = rng.choice(POSITIVE if bool(label) != negated else NEGATIVE)
            if negated:
                words[s - 1] = NOT
        words[rng.random(length) < 0.02] = 2                          # out of vocabulary
        reviews.append(np.concatenate([[1], words]))
        labels.append(label)
    return reviews, np.array(labels)


def pad_sequences(sequences, maxlen):
    """Keras' pad_sequences with padding='pre' (zeros in front) and truncating='post'
    (the polar words sit in the first maxlen words)."""
    out = np.zeros((len(sequences), maxlen), dtype=np.int32)
    for k, s in enumerate(sequences):
        s = s[:maxlen]
        out[k, maxlen - len(s):] = s
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=4000)
    args = parser.parse_args()
    np.random.seed(1337)
    rng = np.random.default_rng(1337)
    print("Loading data...")
    X_train, y_train = make_reviews(args.samples, rng)
    X_test, y_test = make_reviews(max(1000, args.samples // 4), rng)
    print(len(X_train), "train sequences")
    print(len(X_test), "test sequences")
    print("Pad sequences (samples x time)")
    X_train = pad_sequences(X_train, maxlen=maxlen)
    X_test = pad_sequences(X_test, maxlen=maxlen)
    print("X_train shape:", X_train.shape)
    print("X_test shape:", X_test.shape)

    print("Build model...")
    model = Sequential()
    model.add(Embedding(max_features, 32, mask_zero=True, input_length=maxlen, dropout=0.1))
    model.add(LSTM(32))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.summary()

    print("Train...")
    start = time.time()
    for epoch in range(args.epochs):
        model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=1, verbose=0)
        score, acc = model.evaluate(X_test, y_test, batch_size=batch_size, verbose=0)
        print(f"epoch {epoch + 1}: test loss {score:.4f}, test accuracy {acc:.4f} ({time.time() - start:.1f} s)",
              flush=True)
    print("Test score:", score)
    print("Test accuracy:", acc)


if __name__ == "__main__":
    main()
