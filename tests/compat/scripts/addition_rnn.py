# Keras 1.2's examples/addition_rnn.py, shortened (2-digit sums), imports unchanged:
# an LSTM encoder, RepeatVector, an LSTM decoder with return_sequences and a
# TimeDistributed(Dense) softmax over the characters.
import numpy as np
from keras.models import Sequential
from keras.layers import Activation, TimeDistributed, Dense, RepeatVector, recurrent


class CharacterTable(object):
    def __init__(self, chars, maxlen):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))
        self.maxlen = maxlen

    def encode(self, C, maxlen=None):
        maxlen = maxlen if maxlen else self.maxlen
        X = np.zeros((maxlen, len(self.chars)))
        for i, c in enumerate(C):
            X[i, self.char_indices[c]] = 1
        return X


DIGITS = 2
MAXLEN = DIGITS + 1 + DIGITS
chars = '0123456789+ '
ctable = CharacterTable(chars, MAXLEN)
rng = np.random.RandomState(0)
questions, expected = [], []
while len(questions) < 600:
    a, b = rng.randint(0, 100, size=2)
    q = '{}+{}'.format(a, b)
    questions.append(q + ' ' * (MAXLEN - len(q)))
    ans = str(a + b)
    expected.append(ans + ' ' * (DIGITS + 1 - len(ans)))
X = np.zeros((len(questions), MAXLEN, len(chars)), dtype=np.bool_)
y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype=np.bool_)
for i, sentence in enumerate(questions):
    X[i] = ctable.encode(sentence, maxlen=MAXLEN)
for i, sentence in enumerate(expected):
    y[i] = ctable.encode(sentence, maxlen=DIGITS + 1)

RNN = recurrent.LSTM
HIDDEN_SIZE = 32
model = Sequential()
model.add(RNN(HIDDEN_SIZE, input_shape=(MAXLEN, len(chars))))
model.add(RepeatVector(DIGITS + 1))
model.add(RNN(HIDDEN_SIZE, return_sequences=True))
model.add(TimeDistributed(Dense(len(chars))))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
before = model.evaluate(X, y, verbose=0)[0]
model.fit(X, y, batch_size=64, nb_epoch=EPOCHS, verbose=0)  # noqa: F821
after = model.evaluate(X, y, verbose=0)[0]
