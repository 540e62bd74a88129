"""A Bernoulli RBM at the symbolic level, as the deeplearning.net tutorial (rbm.py):
weights in shared variables, hidden and visible samples drawn with
RandomStreams.binomial, the Gibbs chain as a scan whose draws advance per step, and
contrastive divergence (CD-k) or persistent CD (the chain's end kept in a shared
variable through the scan's updates). Prints the reconstruction cross-entropy per
epoch (it falls) and, with matplotlib installed, saves the learned filters as a PNG.

Data: scikit-learn's digits (8x8), binarised at half intensity.
    pip install -e '.[pocl,examples]' && python examples/rbm.py [--epochs 15] [--k 1] [--persistent]
"""
import argparse

import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.tensor.random import RandomStreams


def load_data(seed=0):
    from sklearn.datasets import load_digits
    x = (load_digits().images.reshape(-1, 64) >= 8).astype("float32")
    return x[np.random.default_rng(seed).permutation(len(x))]


class RBM:
    def __init__(self, input, n_visible, n_hidden, rng, theano_rng):
        bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
        self.W = clgraph.shared(rng.uniform(-bound, bound, (n_visible, n_hidden)).astype("float32"), name="W")
        self.hbias = clgraph.shared(np.zeros(n_hidden, "float32"), name="hbias")
        self.vbias = clgraph.shared(np.zeros(n_visible, "float32"), name="vbias")
        self.input, self.theano_rng = input, theano_rng
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v):
        wx_b = T.dot(v, self.W) + self.hbias
        return -T.sum(T.nnet.softplus(wx_b), axis=1) - T.dot(v, self.vbias)

    def sample_h_given_v(self, v):
        pre = T.dot(v, self.W) + self.hbias
        mean = T.nnet.sigmoid(pre)
        return pre, mean, self.theano_rng.binomial(size=mean.shape, n=1, p=mean, dtype="float32")

    def sample_v_given_h(self, h):
        pre = T.dot(h, self.W.T) + self.vbias
        mean = T.nnet.sigmoid(pre)
        return pre, mean, self.theano_rng.binomial(size=mean.shape, n=1, p=mean, dtype="float32")

    def gibbs_hvh(self, h):
        pre_v, v_mean, v = self.sample_v_given_h(h)
        pre_h, h_mean, h1 = self.sample_h_given_v(v)
        return [pre_v, v_mean, v, pre_h, h_mean, h1]

    def get_cost_updates(self, lr, persistent=None, k=1):
        """(reconstruction cross-entropy, updates) of one CD-k / PCD-k step."""
        _, _, ph_sample = self.sample_h_given_v(self.input)
        chain_start = ph_sample if persistent is None else persistent
        (_, _, v_samples, _, _, h_samples), updates = clgraph.scan(
            self.gibbs_hvh, outputs_info=[None, None, None, None, None, chain_start], n_steps=k, name="gibbs_hvh")
        chain_end = v_samples[-1]
        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        grads = clgraph.grad(cost, self.params, consider_constant=[chain_end])
        for g, p in zip(grads, self.params):
            updates[p] = p - g * lr
        if persistent is not None:
            updates[persistent] = h_samples[-1]   # the chain goes on from here next minibatch
        # the monitoring cost: cross-entropy of the input's mean-field reconstruction (for
        # PCD the chain's samples are not reconstructions of this minibatch)
        z = T.nnet.sigmoid(T.dot(T.nnet.sigmoid(T.dot(self.input, self.W) + self.hbias), self.W.T) + self.vbias)
        recon = -T.mean(T.sum(self.input * T.log(z) + (1 - self.input) * T.log(1 - z), axis=1))
        return recon, updates


def save_filters(W, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no filter image (pip install matplotlib)")
        return
    n = W.shape[1]
    cols = int(np.ceil(np.sqrt(n)))
    fig, axes = plt.subplots(cols, cols, figsize=(cols, cols))
    for k, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if k < n:
            ax.imshow(W[:, k].reshape(8, 8), cmap="gray")
    fig.savefig(path)
    print(f"filters saved to {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--persistent", action="store_true", help="persistent CD (PCD-k)")
    parser.add_argument("--filters", default="rbm_filters.png")
    args = parser.parse_args()
    data = load_data()
    batch_size = 20
    train = clgraph.shared(data, name="digits")
    index, x = T.lscalar("index"), T.matrix("x")
    rng = np.random.RandomState(123)
    rbm = RBM(x, 64, args.hidden, rng, RandomStreams(rng.randint(2 ** 30)))
    chain = clgraph.shared(np.zeros((batch_size, args.hidden), "float32"), name="chain") if args.persistent else None
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=chain, k=args.k)
    train_rbm = clgraph.function([index], cost, updates=updates,
                                 givens={x: train[index * batch_size:(index + 1) * batch_size]})
    n_batches = len(data) // batch_size
    mode = f"PCD-{args.k}" if args.persistent else f"CD-{args.k}"
    for epoch in range(1, args.epochs + 1):
        recon = np.mean([train_rbm(b) for b in range(n_batches)])
        print(f"epoch {epoch:3d}  {mode}  reconstruction cross-entropy {recon:.3f}")
    save_filters(rbm.W.get_value(), args.filters)


if __name__ == "__main__":
    main()
