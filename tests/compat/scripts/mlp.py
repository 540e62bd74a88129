# deeplearning.net's mlp.py, shortened: a tanh hidden layer (W initialised as the
# tutorial does, `if W is None`), softmax output, L1 and L2 penalties, T.grad per param.
import numpy
import theano
import theano.tensor as T


class HiddenLayer(object):
    def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=T.tanh):
        self.input = input
        if W is None:
            W_values = numpy.asarray(rng.uniform(low=-numpy.sqrt(6. / (n_in + n_out)),
                                                 high=numpy.sqrt(6. / (n_in + n_out)), size=(n_in, n_out)),
                                     dtype=theano.config.floatX)
            if activation == theano.tensor.nnet.sigmoid:
                W_values *= 4
            W = theano.shared(value=W_values, name='W', borrow=True)
        if b is None:
            b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX), name='b', borrow=True)
        self.W, self.b = W, b
        lin_output = T.dot(input, self.W) + self.b
        self.output = lin_output if activation is None else activation(lin_output)
        self.params = [self.W, self.b]


class MLP(object):
    def __init__(self, rng, input, n_in, n_hidden, n_out):
        self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden, activation=T.tanh)
        self.W = theano.shared(numpy.zeros((n_hidden, n_out), dtype=theano.config.floatX), name='W')
        self.b = theano.shared(numpy.zeros((n_out,), dtype=theano.config.floatX), name='b')
        self.p_y_given_x = T.nnet.softmax(T.dot(self.hiddenLayer.output, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.L1 = abs(self.hiddenLayer.W).sum() + abs(self.W).sum()
        self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.W ** 2).sum()
        self.params = self.hiddenLayer.params + [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


train_x, train_y, test_x, test_y = DATA  # noqa: F821
train_set_x = theano.shared(numpy.asarray(train_x, dtype=theano.config.floatX), borrow=True)
train_set_y = T.cast(theano.shared(numpy.asarray(train_y, dtype=theano.config.floatX)), 'int32')
index, x, y = T.lscalar(), T.matrix('x'), T.ivector('y')
rng = numpy.random.RandomState(1234)
classifier = MLP(rng=rng, input=x, n_in=train_x.shape[1], n_hidden=50, n_out=10)
cost = classifier.negative_log_likelihood(y) + 0.00 * classifier.L1 + 0.0001 * classifier.L2_sqr
gparams = [T.grad(cost, param) for param in classifier.params]
updates = [(param, param - 0.05 * gparam) for param, gparam in zip(classifier.params, gparams)]
batch_size = 20
train_model = theano.function(inputs=[index], outputs=cost, updates=updates,
                              givens={x: train_set_x[index * batch_size:(index + 1) * batch_size],
                                      y: train_set_y[index * batch_size:(index + 1) * batch_size]})
errors = theano.function([x, y], classifier.errors(y))
for epoch in range(EPOCHS):  # noqa: F821
    for i in range(len(train_x) // batch_size):
        train_model(i)
test_error = float(errors(test_x.astype(theano.config.floatX), test_y.astype('int32')))
