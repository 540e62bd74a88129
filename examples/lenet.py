"""LeNet in the deeplearning.net tutorial style (convolutional_mlp.py): two
LeNetConvPoolLayers (conv2d + pool_2d + tanh, weights in shared variables), a tanh
hidden layer and a logistic regression, trained by minibatch SGD whose minibatches are
slices of shared data selected through `givens`: the data never leaves the device.

Data: scikit-learn's bundled digits (8x8), upsampled to 16x16 (nearest neighbour) so
that the tutorial's 5x5 and 3x3 filters fit.
    pip install -e '.[pocl,examples]' && python examples/lenet.py [--epochs 12]
"""
import argparse

import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.tensor.nnet import conv2d
from clgraph.tensor.signal import pool


def load_data(seed=0):
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32").repeat(2, axis=1).repeat(2, axis=2)  # 16x16
    y = digits.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order].reshape(len(x), 256), y[order]
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


class LeNetConvPoolLayer:
    """tanh(pool(conv2d(input, W)) + b), as in the tutorial."""

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        fan_in = np.prod(filter_shape[1:])
        fan_out = filter_shape[0] * np.prod(filter_shape[2:]) // np.prod(poolsize)
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        self.W = clgraph.shared(rng.uniform(-bound, bound, size=filter_shape).astype("float32"), borrow=True)
        self.b = clgraph.shared(np.zeros(filter_shape[0], "float32"), borrow=True)
        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape)
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


class HiddenLayer:
    def __init__(self, rng, input, n_in, n_out):
        bound = np.sqrt(6.0 / (n_in + n_out))
        self.W = clgraph.shared(rng.uniform(-bound, bound, size=(n_in, n_out)).astype("float32"), borrow=True)
        self.b = clgraph.shared(np.zeros(n_out, "float32"), borrow=True)
        self.output = T.tanh(T.dot(input, self.W) + self.b)
        self.params = [self.W, self.b]


class LogisticRegression:
    def __init__(self, input, n_in, n_out):
        self.W = clgraph.shared(np.zeros((n_in, n_out), "float32"), borrow=True)
        self.b = clgraph.shared(np.zeros(n_out, "float32"), borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--nkerns", type=int, nargs=2, default=[20, 50])
    args = parser.parse_args()

    (train_x, train_y), (test_x, test_y) = load_data()
    print(f"device: {clgraph.device().name}; {len(train_x)} training and {len(test_x)} test images")
    train_set_x, train_set_y = clgraph.shared(train_x), clgraph.shared(train_y)
    test_set_x, test_set_y = clgraph.shared(test_x), clgraph.shared(test_y)
    rng = np.random.RandomState(23455)
    bs, nkerns = args.batch_size, args.nkerns

    index = T.lscalar()
    x, y = T.matrix("x"), T.lvector("y")
    layer0_input = x.reshape((x.shape[0], 1, 16, 16))
    # 16x16 -> conv 5x5 -> 12x12 -> pool -> 6x6;  6x6 -> conv 3x3 -> 4x4 -> pool -> 2x2
    layer0 = LeNetConvPoolLayer(rng, layer0_input, image_shape=(None, 1, 16, 16), filter_shape=(nkerns[0], 1, 5, 5))
    layer1 = LeNetConvPoolLayer(rng, layer0.output, image_shape=(None, nkerns[0], 6, 6),
                                filter_shape=(nkerns[1], nkerns[0], 3, 3))
    layer2 = HiddenLayer(rng, layer1.output.flatten(2), n_in=nkerns[1] * 2 * 2, n_out=200)
    layer3 = LogisticRegression(layer2.output, n_in=200, n_out=10)
    cost = layer3.negative_log_likelihood(y)

    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(p, p - args.learning_rate * g) for p, g in zip(params, grads)]
    batch = slice(index * bs, (index + 1) * bs)
    train_model = clgraph.function([index], cost, updates=updates,
                                   givens={x: train_set_x[batch], y: train_set_y[batch]})
    test_model = clgraph.function([], layer3.errors(y), givens={x: test_set_x, y: test_set_y})

    n_batches = len(train_x) // bs
    error = None
    for epoch in range(1, args.epochs + 1):
        costs = [float(train_model(i)) for i in range(n_batches)]
        error = float(test_model())
        print(f"epoch {epoch:3d}  training cost {np.mean(costs):.4f}  test error {100 * error:.2f} %", flush=True)
    print(f"final test error: {100 * error:.2f} %")
    print(f"the training step runs {len(train_model.kernels)} kernels")


if __name__ == "__main__":
    main()
