# deeplearning.net's convolutional_mlp.py (LeNet), shortened: LeNetConvPoolLayer with
# conv2d(input_shape=, filter_shape=) and pool_2d(ws=, ignore_border=True), tanh, a
# hidden layer and softmax regression, trained with givens minibatches.
import numpy
import theano
import theano.tensor as T
from theano.tensor.signal import pool
from theano.tensor.nnet import conv2d


class LeNetConvPoolLayer(object):
    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        assert image_shape[1] == filter_shape[1]
        self.input = input
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = (filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize))
        W_bound = numpy.sqrt(6. / (fan_in + fan_out))
        self.W = theano.shared(numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                                             dtype=theano.config.floatX), borrow=True)
        b_values = numpy.zeros((filter_shape[0],), dtype=theano.config.floatX)
        self.b = theano.shared(value=b_values, borrow=True)
        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape)
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle('x', 0, 'x', 'x'))
        self.params = [self.W, self.b]


(train_x, train_y), (test_x, test_y) = DATA  # noqa: F821
side = train_x.shape[1]
batch_size = 20
train_set_x = theano.shared(numpy.asarray(train_x.reshape(len(train_x), -1), dtype=theano.config.floatX))
train_set_y = T.cast(theano.shared(numpy.asarray(train_y, dtype=theano.config.floatX)), 'int32')
rng = numpy.random.RandomState(23455)
index = T.lscalar()
x = T.matrix('x')
y = T.ivector('y')
layer0_input = x.reshape((batch_size, 1, side, side))
layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, side, side),
                            filter_shape=(6, 1, 3, 3), poolsize=(2, 2))
half = (side - 2) // 2
layer1_input = layer0.output.flatten(2)
W1 = theano.shared(numpy.asarray(rng.uniform(-0.1, 0.1, (6 * half * half, 32)), dtype=theano.config.floatX))
b1 = theano.shared(numpy.zeros(32, dtype=theano.config.floatX))
hidden = T.tanh(T.dot(layer1_input, W1) + b1)
W2 = theano.shared(numpy.zeros((32, 10), dtype=theano.config.floatX))
b2 = theano.shared(numpy.zeros(10, dtype=theano.config.floatX))
p_y_given_x = T.nnet.softmax(T.dot(hidden, W2) + b2)
cost = -T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y])
params = [W2, b2, W1, b1] + layer0.params
grads = T.grad(cost, params)
updates = [(param_i, param_i - 0.1 * grad_i) for param_i, grad_i in zip(params, grads)]
train_model = theano.function([index], cost, updates=updates,
                              givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                                      y: train_set_y[index * batch_size: (index + 1) * batch_size]})
test_x_var = T.matrix('tx')
predict = theano.function([x], T.argmax(p_y_given_x, axis=1))
for epoch in range(EPOCHS):  # noqa: F821
    for minibatch_index in range(len(train_x) // batch_size):
        train_model(minibatch_index)
pred = numpy.concatenate([predict(test_x[k:k + batch_size].reshape(batch_size, -1).astype(theano.config.floatX))
                          for k in range(0, len(test_x), batch_size)])
test_error = float(numpy.mean(pred != test_y))
