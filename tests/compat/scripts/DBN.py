# deeplearning.net's DBN.py, shortened: RBMs stacked on sigmoid layers (weights
# shared), each pretrained with CD-k on the layer below, then fine-tuned with a
# softmax layer. Uses rbm.py's class (RBM_SOURCE).
import numpy
import theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams

exec(compile(open(RBM_SOURCE).read().split("train_set_x = ")[0], RBM_SOURCE, "exec"))  # noqa: F821  the RBM class

(train_x, train_y), (test_x, test_y) = DATA  # noqa: F821
train_set_x = theano.shared(numpy.asarray(train_x, dtype=theano.config.floatX))
train_set_y = T.cast(theano.shared(numpy.asarray(train_y, dtype=theano.config.floatX)), 'int32')
numpy_rng = numpy.random.RandomState(123)
theano_rng = MRG_RandomStreams(numpy_rng.randint(2 ** 30))
x, y, index = T.matrix('x'), T.ivector('y'), T.lscalar()
batch_size = 20
n_batches = len(train_x) // batch_size
layer_input, params, rbms, sizes = x, [], [], [train_x.shape[1], 32, 16]
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    W = theano.shared(numpy.asarray(numpy_rng.uniform(-4 * numpy.sqrt(6. / (n_in + n_out)),
                                                      4 * numpy.sqrt(6. / (n_in + n_out)), (n_in, n_out)),
                                    dtype=theano.config.floatX))
    b = theano.shared(numpy.zeros(n_out, dtype=theano.config.floatX))
    rbms.append(RBM(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,  # noqa: F821
                    n_visible=n_in, n_hidden=n_out, W=W, hbias=b))
    layer_input = T.nnet.sigmoid(T.dot(layer_input, W) + b)
    params += [W, b]
pretrain_costs = []
for rbm in rbms:
    cost, updates = rbm.get_cost_updates(lr=0.1, k=1)
    fn = theano.function([index], cost, updates=updates,
                         givens={x: train_set_x[index * batch_size:(index + 1) * batch_size]})
    pretrain_costs.append([numpy.mean([fn(i) for i in range(n_batches)]) for epoch in range(EPOCHS)])  # noqa: F821
W_out = theano.shared(numpy.zeros((sizes[-1], 10), dtype=theano.config.floatX))
b_out = theano.shared(numpy.zeros(10, dtype=theano.config.floatX))
p_y = T.nnet.softmax(T.dot(layer_input, W_out) + b_out)
params += [W_out, b_out]
cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
grads = T.grad(cost, params)
train_fn = theano.function([index], cost, updates=[(p, p - 0.1 * g) for p, g in zip(params, grads)],
                           givens={x: train_set_x[index * batch_size:(index + 1) * batch_size],
                                   y: train_set_y[index * batch_size:(index + 1) * batch_size]})
for epoch in range(3 * EPOCHS):  # noqa: F821
    for i in range(n_batches):
        train_fn(i)
test_error = float(theano.function([x, y], T.mean(T.neq(T.argmax(p_y, axis=1), y)))(
    test_x.astype(theano.config.floatX), test_y.astype('int32')))
