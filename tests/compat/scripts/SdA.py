# deeplearning.net's SdA.py, shortened: sigmoid layers whose weights are shared with
# denoising autoencoders, each dA pretrained greedily on the layer below, then the
# whole stack with a softmax layer fine-tuned by SGD. Uses dA.py's class (DA_SOURCE).
import numpy
import theano
import theano.tensor as T
from theano.tensor.shared_randomstreams import RandomStreams

exec(compile(open(DA_SOURCE).read().split("train_set_x = ")[0], DA_SOURCE, "exec"))  # noqa: F821  the dA class


class SdA(object):
    def __init__(self, numpy_rng, theano_rng=None, n_ins=784, hidden_layers_sizes=[500, 500], n_outs=10,
                 corruption_levels=[0.1, 0.1]):
        self.sigmoid_layers, self.dA_layers, self.params = [], [], []
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        self.x = T.matrix('x')
        self.y = T.ivector('y')
        for i, size in enumerate(hidden_layers_sizes):
            n_in = n_ins if i == 0 else hidden_layers_sizes[i - 1]
            layer_input = self.x if i == 0 else self.sigmoid_layers[-1]
            W = theano.shared(numpy.asarray(numpy_rng.uniform(-4 * numpy.sqrt(6. / (n_in + size)),
                                                              4 * numpy.sqrt(6. / (n_in + size)), (n_in, size)),
                                            dtype=theano.config.floatX), borrow=True)
            b = theano.shared(numpy.zeros(size, dtype=theano.config.floatX), borrow=True)
            self.sigmoid_layers.append(T.nnet.sigmoid(T.dot(layer_input, W) + b))
            self.params.extend([W, b])
            self.dA_layers.append(dA(numpy_rng=numpy_rng, theano_rng=theano_rng,  # noqa: F821
                                     input=layer_input, n_visible=n_in, n_hidden=size, W=W, bhid=b))
        self.W_out = theano.shared(numpy.zeros((hidden_layers_sizes[-1], n_outs), dtype=theano.config.floatX))
        self.b_out = theano.shared(numpy.zeros(n_outs, dtype=theano.config.floatX))
        self.p_y_given_x = T.nnet.softmax(T.dot(self.sigmoid_layers[-1], self.W_out) + self.b_out)
        self.params.extend([self.W_out, self.b_out])
        self.finetune_cost = -T.mean(T.log(self.p_y_given_x)[T.arange(self.y.shape[0]), self.y])
        self.errors = T.mean(T.neq(T.argmax(self.p_y_given_x, axis=1), self.y))
        self.corruption_levels = corruption_levels

    def pretraining_functions(self, train_set_x, batch_size):
        index = T.lscalar('index')
        fns = []
        for da, level in zip(self.dA_layers, self.corruption_levels):
            cost, updates = da.get_cost_updates(level, 0.1)
            fns.append(theano.function([index], cost, updates=updates,
                                       givens={self.x: train_set_x[index * batch_size:(index + 1) * batch_size]}))
        return fns


(train_x, train_y), (test_x, test_y) = DATA  # noqa: F821
train_set_x = theano.shared(numpy.asarray(train_x, dtype=theano.config.floatX))
train_set_y = T.cast(theano.shared(numpy.asarray(train_y, dtype=theano.config.floatX)), 'int32')
batch_size = 20
n_batches = len(train_x) // batch_size
sda = SdA(numpy_rng=numpy.random.RandomState(89677), n_ins=train_x.shape[1], hidden_layers_sizes=[32, 16])
pretrain_costs = []
for fn in sda.pretraining_functions(train_set_x, batch_size):
    costs = [numpy.mean([fn(i) for i in range(n_batches)]) for epoch in range(EPOCHS)]  # noqa: F821
    pretrain_costs.append(costs)
index = T.lscalar()
gparams = T.grad(sda.finetune_cost, sda.params)
train_fn = theano.function([index], sda.finetune_cost,
                           updates=[(p, p - 0.1 * g) for p, g in zip(sda.params, gparams)],
                           givens={sda.x: train_set_x[index * batch_size:(index + 1) * batch_size],
                                   sda.y: train_set_y[index * batch_size:(index + 1) * batch_size]})
for epoch in range(3 * EPOCHS):  # noqa: F821
    for i in range(n_batches):
        train_fn(i)
test_error = float(theano.function([sda.x, sda.y], sda.errors)(test_x.astype(theano.config.floatX),
                                                                  test_y.astype('int32')))
