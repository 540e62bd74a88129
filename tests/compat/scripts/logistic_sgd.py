# deeplearning.net's logistic_sgd.py, shortened, imports unchanged: softmax regression
# trained with minibatch SGD over shared data and givens, the best model pickled and
# loaded again for prediction. DATA = (train_x, train_y, test_x, test_y) from the test.
import pickle

import numpy
import theano
import theano.tensor as T


class LogisticRegression(object):
    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX), name='W', borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX), name='b', borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        if y.ndim != self.y_pred.ndim:
            raise TypeError('y should have the same shape as self.y_pred')
        if y.dtype.startswith('int'):
            return T.mean(T.neq(self.y_pred, y))
        raise NotImplementedError()


def shared_dataset(data_xy, borrow=True):
    data_x, data_y = data_xy
    shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
    shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
    return shared_x, T.cast(shared_y, 'int32')


train_set_x, train_set_y = shared_dataset(DATA[:2])  # noqa: F821
test_set_x, test_set_y = shared_dataset(DATA[2:])  # noqa: F821
batch_size, learning_rate = 20, 0.13
n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
n_test_batches = test_set_x.get_value(borrow=True).shape[0] // batch_size

index = T.lscalar()
x = T.matrix('x')
y = T.ivector('y')
classifier = LogisticRegression(input=x, n_in=DATA[0].shape[1], n_out=10)  # noqa: F821
cost = classifier.negative_log_likelihood(y)
test_model = theano.function(inputs=[index], outputs=classifier.errors(y),
                             givens={x: test_set_x[index * batch_size: (index + 1) * batch_size],
                                     y: test_set_y[index * batch_size: (index + 1) * batch_size]})
g_W = T.grad(cost=cost, wrt=classifier.W)
g_b = T.grad(cost=cost, wrt=classifier.b)
updates = [(classifier.W, classifier.W - learning_rate * g_W), (classifier.b, classifier.b - learning_rate * g_b)]
train_model = theano.function(inputs=[index], outputs=cost, updates=updates,
                              givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                                      y: train_set_y[index * batch_size: (index + 1) * batch_size]})
best = numpy.inf
for epoch in range(EPOCHS):  # noqa: F821
    for minibatch_index in range(n_train_batches):
        train_model(minibatch_index)
    test_loss = numpy.mean([test_model(i) for i in range(n_test_batches)])
    if test_loss < best:
        best = test_loss
        with open(MODEL_PATH, 'wb') as f:  # noqa: F821
            pickle.dump(classifier, f)

classifier = pickle.load(open(MODEL_PATH, 'rb'))  # noqa: F821
predict_model = theano.function(inputs=[classifier.input], outputs=classifier.y_pred)
predicted = predict_model(DATA[2])  # noqa: F821
