"""Logistic regression in the deeplearning.net tutorial style: the data lives in shared
variables, a minibatch index selects a slice through `givens`, and the gradient step is
an `updates` list, so training never copies data to or from the host.

Data: scikit-learn's bundled digits (8x8 images, 10 classes).
    pip install -e '.[pocl,examples]' && python examples/logistic_regression.py
"""
import argparse

import numpy as np

import clgraph
import clgraph.tensor as T


def load_data(seed=0):
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


class LogisticRegression:
    """p(y | x) = softmax(x W + b)."""

    def __init__(self, inputs, n_in, n_out):
        self.W = clgraph.shared(np.zeros((n_in, n_out), "float32"), name="W")
        self.b = clgraph.shared(np.zeros(n_out, "float32"), name="b")
        self.p_y_given_x = T.nnet.softmax(T.dot(inputs, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--learning-rate", type=float, default=0.5)
    args = parser.parse_args()

    (train_x, train_y), (test_x, test_y) = load_data()
    dev = clgraph.device()
    print(f"device: {dev.name}; {len(train_x)} training and {len(test_x)} test images")
    train_set_x, train_set_y = clgraph.shared(train_x), clgraph.shared(train_y)
    test_set_x, test_set_y = clgraph.shared(test_x), clgraph.shared(test_y)

    index = T.lscalar("index")
    x, y = T.matrix("x"), T.lvector("y")
    classifier = LogisticRegression(x, n_in=64, n_out=10)
    cost = classifier.negative_log_likelihood(y)
    g_W, g_b = clgraph.grad(cost, classifier.params)
    bs, lr = args.batch_size, args.learning_rate
    batch = slice(index * bs, (index + 1) * bs)
    train_model = clgraph.function(
        [index], cost,
        updates=[(classifier.W, classifier.W - lr * g_W), (classifier.b, classifier.b - lr * g_b)],
        givens={x: train_set_x[batch], y: train_set_y[batch]})
    test_model = clgraph.function([], classifier.errors(y), givens={x: test_set_x, y: test_set_y})

    n_batches = -(-len(train_x) // bs)
    error = None
    for epoch in range(1, args.epochs + 1):
        costs = [float(train_model(i)) for i in range(n_batches)]
        error = float(test_model())
        print(f"epoch {epoch:3d}  training cost {np.mean(costs):.4f}  test error {100 * error:.2f} %")
    print(f"final test error: {100 * error:.2f} %")
    print(f"the training step runs {len(train_model.kernels)} kernels")


if __name__ == "__main__":
    main()
