# Keras 1.2's examples/imdb_lstm.py, imports unchanged, on integer reviews the test
# gives (lists of word indices of uneven lengths, binary labels).
from keras.preprocessing import sequence
from keras.models import Sequential
from keras.layers import Dense, Activation, Embedding
from keras.layers import LSTM

max_features = 20
maxlen = 16
batch_size = 32

X_train, y_train, X_test, y_test = DATA  # noqa: F821
X_train = sequence.pad_sequences(X_train, maxlen=maxlen)
X_test = sequence.pad_sequences(X_test, maxlen=maxlen)

model = Sequential()
model.add(Embedding(max_features, 16, dropout=0.2))
model.add(LSTM(16, dropout_W=0.2, dropout_U=0.2))
model.add(Dense(1))
model.add(Activation('sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=EPOCHS, validation_data=(X_test, y_test),  # noqa: F821
          verbose=0)
score, acc = model.evaluate(X_test, y_test, batch_size=batch_size, verbose=0)
