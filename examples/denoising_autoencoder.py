"""A denoising autoencoder at the symbolic level, as the deeplearning.net tutorial
(dA.py): tied weights (W and W.T), the input corrupted by masking noise drawn with
RandomStreams.binomial, sigmoid units, the cross-entropy of the clean input's
reconstruction minimised by minibatch SGD over shared data (givens). Prints the
reconstruction cost per epoch (it falls) and the error of reconstructing corrupted
test digits.

Data: scikit-learn's digits (8x8), scaled to [0, 1].
    pip install -e '.[pocl,examples]' && python examples/denoising_autoencoder.py [--epochs 20] [--corruption 0.3]
"""
import argparse

import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.tensor.random import RandomStreams


def load_data(seed=0):
    from sklearn.datasets import load_digits
    x = (load_digits().images.reshape(-1, 64) / 16.0).astype("float32")
    x = x[np.random.default_rng(seed).permutation(len(x))]
    return x[:1400], x[1400:]


class DenoisingAutoencoder:
    def __init__(self, input, n_visible, n_hidden, rng, theano_rng, W=None, bhid=None):
        if not W:   # (the tutorial's test: a weight shared with another layer can be given)
            bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
            W = clgraph.shared(rng.uniform(-bound, bound, (n_visible, n_hidden)).astype("float32"), name="W")
        if not bhid:
            bhid = clgraph.shared(np.zeros(n_hidden, "float32"), name="bhid")
        self.W, self.b = W, bhid
        self.b_prime = clgraph.shared(np.zeros(n_visible, "float32"), name="bvis")
        self.x, self.theano_rng = input, theano_rng
        self.params = [self.W, self.b, self.b_prime]

    def corrupted(self, x, level):
        return self.theano_rng.binomial(size=x.shape, n=1, p=1 - level, dtype="float32") * x

    def hidden(self, x):
        return T.nnet.sigmoid(T.dot(x, self.W) + self.b)

    def reconstructed(self, h):
        return T.nnet.sigmoid(T.dot(h, self.W.T) + self.b_prime)

    def cost_updates(self, level, lr):
        z = self.reconstructed(self.hidden(self.corrupted(self.x, level)))
        cost = T.mean(-T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1))
        grads = clgraph.grad(cost, self.params)
        return cost, [(p, p - lr * g) for p, g in zip(self.params, grads)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=48)
    parser.add_argument("--corruption", type=float, default=0.3)
    args = parser.parse_args()
    train_x, test_x = load_data()
    batch_size = 20
    train = clgraph.shared(train_x, name="digits")
    index, x = T.lscalar("index"), T.matrix("x")
    rng = np.random.RandomState(123)
    da = DenoisingAutoencoder(x, 64, args.hidden, rng, RandomStreams(rng.randint(2 ** 30)))
    cost, updates = da.cost_updates(args.corruption, lr=0.1)
    train_da = clgraph.function([index], cost, updates=updates,
                                givens={x: train[index * batch_size:(index + 1) * batch_size]})
    for epoch in range(1, args.epochs + 1):
        c = np.mean([train_da(b) for b in range(len(train_x) // batch_size)])
        print(f"epoch {epoch:3d}  reconstruction cost {c:.3f}")
    noisy = test_x * (np.random.default_rng(1).random(test_x.shape) > args.corruption)
    denoise = clgraph.function([x], da.reconstructed(da.hidden(x)))
    err = float(np.mean((denoise(noisy.astype("float32")) - test_x) ** 2))
    print(f"test: mean squared error of corrupted inputs {np.mean((noisy - test_x) ** 2):.4f}, "
          f"of their reconstructions {err:.4f}")


if __name__ == "__main__":
    main()
