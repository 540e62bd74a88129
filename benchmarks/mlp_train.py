"""Training throughput of the Keras seed MLP (20-64-64-2, tanh, dropout 0.5, softmax, MSE,
SGD lr 0.1 with decay 1e-6 and Nesterov momentum 0.9): clgraph.keras `fit` against a
hand-written numpy training step (same forward, dropout, backward and update, float32)
and PyTorch CPU eager when it is installed; one epoch over 60,000 x 20 samples, same run.

clgraph is warmed up first (a short fit at the same batch size compiles the step and
PoCL's per-shape kernel setup), so the table shows steady-state training. Each epoch
includes the shuffle (and for clgraph, the upload of the shuffled copy of the data).
Each column is the best of --repeat epochs, the two timed in turn (on a shared 2-core
VM a single epoch of the numpy reference varied by up to 1.5x from run to run).
Usage: python benchmarks/mlp_train.py [--batch-sizes 32 256] [--samples 60000] [--repeat 5]
(On a 2-core machine anything else running skews every column: rerun when in doubt.)
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from clgraph.keras.layers.core import Dense, Dropout  # noqa: E402
from clgraph.keras.models import Sequential  # noqa: E402
from clgraph.keras.optimizers import SGD  # noqa: E402

LR, DECAY, MOMENTUM, P_DROP = 0.1, 1e-6, 0.9, 0.5
SETTLE = 1.0  # OpenBLAS's and PoCL's threads keep spinning a while after a call


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 20)) + np.where(y[:, None] == 1, 0.5, -0.5)
    return x.astype("float32"), np.eye(2, dtype="float32")[y]


def seed_model(p_drop=P_DROP):
    model = Sequential()
    model.add(Dense(64, input_dim=20, init="uniform", activation="tanh"))
    model.add(Dropout(p_drop))
    model.add(Dense(64, init="uniform", activation="tanh"))
    model.add(Dropout(p_drop))
    model.add(Dense(2, init="uniform", activation="softmax"))
    model.compile(loss="mean_squared_error", optimizer=SGD(lr=LR, decay=DECAY, momentum=MOMENTUM, nesterov=True),
                  metrics=["accuracy"])
    return model


class NumpyMLP:
    """The same training step by hand: forward, inverted dropout, softmax, MSE, backward,
    Nesterov SGD with Keras 1's time decay of the learning rate. Returns loss, accuracy."""

    def __init__(self, weights, p_drop=P_DROP, seed=0):
        self.params = [w.astype(np.float32).copy() for w in weights]
        self.moments = [np.zeros_like(w) for w in self.params]
        self.iterations = 0
        self.p_drop = p_drop
        self.rng = np.random.default_rng(seed)

    def _mask(self, shape):
        if self.p_drop == 0:
            return None
        keep = np.float32(1 - self.p_drop)
        return (self.rng.random(shape, dtype=np.float32) < keep).astype(np.float32) / keep

    def step(self, x, y):
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = np.tanh(x @ W1 + b1)
        m1 = self._mask(h1.shape)
        d1 = h1 * m1 if m1 is not None else h1
        h2 = np.tanh(d1 @ W2 + b2)
        m2 = self._mask(h2.shape)
        d2 = h2 * m2 if m2 is not None else h2
        z = d2 @ W3 + b3
        e = np.exp(z - z.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        loss = np.mean((p - y) ** 2)
        acc = np.mean(p.argmax(1) == y.argmax(1))
        gp = (2. / y.size) * (p - y)
        gz = p * (gp - (gp * p).sum(1, keepdims=True))
        gd2 = gz @ W3.T
        gh2 = (gd2 * m2 if m2 is not None else gd2) * (1 - h2 * h2)
        gd1 = gh2 @ W2.T
        gh1 = (gd1 * m1 if m1 is not None else gd1) * (1 - h1 * h1)
        grads = [x.T @ gh1, gh1.sum(0), d1.T @ gh2, gh2.sum(0), d2.T @ gz, gz.sum(0)]
        lr = np.float32(LR / (1. + DECAY * self.iterations))
        for k, g in enumerate(grads):
            v = MOMENTUM * self.moments[k] - lr * g
            self.moments[k] = v
            self.params[k] += MOMENTUM * v - lr * g
        self.iterations += 1
        return loss, acc

    def epoch(self, x, y, batch_size):
        order = self.rng.permutation(len(x))
        x, y = x[order], y[order]
        for lo in range(0, len(x), batch_size):
            self.step(x[lo:lo + batch_size], y[lo:lo + batch_size])


def check_reference(x, y):
    """The numpy step computes what clgraph's does (dropout off, three steps)."""
    model = seed_model(p_drop=0.)
    ref = NumpyMLP(model.get_weights(), p_drop=0.)
    for k in range(3):
        batch = slice(32 * k, 32 * (k + 1))
        got = model.train_on_batch(x[batch], y[batch])
        want = ref.step(x[batch], y[batch])
        assert np.allclose(got, want, rtol=1e-4, atol=1e-6), (got, want)
    for a, b in zip(model.get_weights(), ref.params):
        assert np.allclose(a, b, rtol=1e-4, atol=1e-6)


class ClgraphRun:
    """The seed model trained by clgraph's fit, warmed up first (a short fit at the same
    batch size compiles the step and PoCL's per-shape kernel setup)."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.model = seed_model()
        warm = 2 * batch_size + len(x) % batch_size  # full batches and the partial last one
        self.model.fit(x[:warm], y[:warm], batch_size=batch_size, nb_epoch=1, verbose=0)

    def epoch(self):
        """Samples per second of one epoch (its shuffle and data upload included)."""
        t0 = time.perf_counter()
        self.model.fit(self.x, self.y, batch_size=self.batch_size, nb_epoch=1, verbose=0)
        return len(self.x) / (time.perf_counter() - t0)

    def step_call(self):
        """(kernels in the step, seconds per call of the compiled step, data on the device)."""
        bs, x, y = self.batch_size, self.x, self.y
        fn, data = self.model._make_train_function()
        data.load([x[:8 * bs], y[:8 * bs], np.ones(8 * bs, "float32")])
        for b in range(2):  # (the first call of a shape class records it, the second replays)
            fn(b, bs)
        t0 = time.perf_counter()
        for b in range(40):
            fn(b % 8, bs)
        per_call = (time.perf_counter() - t0) / 40
        data.release()
        return len(fn.kernels), per_call


class NumpyRun:
    def __init__(self, x, y, batch_size, weights):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.ref = NumpyMLP(weights)
        self.ref.epoch(x[:4 * batch_size], y[:4 * batch_size], batch_size)

    def epoch(self):
        t0 = time.perf_counter()
        self.ref.epoch(self.x, self.y, self.batch_size)
        return len(self.x) / (time.perf_counter() - t0)


def time_torch(x, y, batch_size):
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.Tanh(), torch.nn.Dropout(P_DROP),
                              torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Dropout(P_DROP),
                              torch.nn.Linear(64, 2), torch.nn.Softmax(dim=1))
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM, nesterov=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: 1. / (1. + DECAY * it))
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def epoch(n):
        order = torch.randperm(n)
        for lo in range(0, n, batch_size):
            idx = order[lo:lo + batch_size]
            opt.zero_grad()
            p = net(tx[idx])
            loss = torch.mean((p - ty[idx]) ** 2)
            loss.backward()
            opt.step()
            sched.step()
            (p.argmax(1) == ty[idx].argmax(1)).float().mean().item()
            loss.item()
    epoch(4 * batch_size)
    time.sleep(SETTLE)
    t0 = time.perf_counter()
    epoch(len(x))
    return len(x) / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeat", type=int, default=5, help="epochs timed for each column (best is shown)")
    args = parser.parse_args()
    import clgraph
    x, y = make_data(args.samples)
    check_reference(x, y)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not installed: its column is skipped (pip install torch to add it)")
    dev = clgraph.device()
    print(f"device: {dev.name}; seed MLP, one epoch of {args.samples} x 20 samples, float32")
    header = f"{'batch':>6} {'clgraph fit':>14} {'numpy':>14} {'clgraph/numpy':>14} {'per epoch':>12}"
    header += f" {'torch eager':>14}" if have_torch else ""
    header += f" {'step kernels':>13} {'ms/step call':>13}"
    print(header + "\n" + "-" * len(header))
    for bs in args.batch_sizes:
        np.random.seed(0)
        runs = [ClgraphRun(x, y, bs), NumpyRun(x, y, bs, seed_model(P_DROP).get_weights())]
        rates = [[], []]
        for _ in range(args.repeat):  # interleaved, so that a slow spell hits both columns
            for run, got in zip(runs, rates):
                time.sleep(SETTLE)
                got.append(run.epoch())
        clg, ref = max(rates[0]), max(rates[1])
        low, high = min(c / n for c, n in zip(*rates)), max(c / n for c, n in zip(*rates))
        kernels, per_call = runs[0].step_call()
        row = f"{bs:>6} {clg:>10.0f} s/s {ref:>10.0f} s/s {clg / ref:>13.2f}x {low:>6.2f}-{high:<5.2f}"
        row += f" {time_torch(x, y, bs):>10.0f} s/s" if have_torch else ""
        row += f" {kernels:>13d} {1e3 * per_call:>13.2f}"
        print(row)
    print(f"(s/s = samples per second, the best of {args.repeat} epochs each, timed in turn; 'per epoch': the "
          "lowest and highest ratio of the pairs; 'ms/step call' = one call of the compiled training step, "
          "data already on the device)")


if __name__ == "__main__":
    main()
