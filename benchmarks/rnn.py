"""Recurrent models: one training step and one prediction of an LSTM and a GRU,
clgraph against numpy and PyTorch (CPU) in the same run.

Model: batch 32, 50 time steps, 64 inputs, 128 units, a Dense(1) head on the last
output, mean squared error, plain SGD (lr 0.01). "train" is one step: forward, BPTT
through all 50 steps, the SGD update of every weight; "predict" is the forward pass
alone. Data arrive as numpy arrays each call (a 400 kB upload), as with Keras'
train_on_batch.
- clgraph scan: the equations written with clgraph.scan (LSTM in Keras 2's gate order
  i, f, c, o; GRU Keras 2.0's, gates z, r, h, the reset gate before the recurrent
  product; sigmoid gates), compiled by clgraph.function with the SGD updates.
- clgraph keras: clgraph.keras.layers.LSTM / GRU (recurrent_activation='sigmoid') +
  Dense(1), train_on_batch / predict_on_batch ('-' when the layers do not exist).
- numpy: the same equations, forward + hand-written BPTT + SGD (BLAS matmuls).
- torch: torch.nn.LSTM / GRU + Linear with torch.optim.SGD ('-' when not importable).
Before timing, the scan version's loss and gradients are checked against numpy's on
the same weights. Times are medians of `--repeat` runs of `--steps` calls, in ms per
call, with a pause between libraries (2 cores); ratios are baseline / clgraph scan
(> 1: clgraph is faster). "kernels/step" counts the kernels each time step of the
forward loop / the reverse (BPTT) loop launches.
Usage: python benchmarks/rnn.py [--repeat 5] [--steps 5]"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import interleaved_median_times  # noqa: E402

import clgraph  # noqa: E402
import clgraph.tensor as T  # noqa: E402

SETTLE = 0.5  # let the previous library's worker threads go idle (2 cores)
B, N, D, U = 32, 50, 64, 128
LR = 0.01
GATES = {"LSTM": 4, "GRU": 3}


def sig(x):
    return 1 / (1 + np.exp(-x))


def init_weights(kind, rng):
    g = GATES[kind]
    return {"W": (rng.normal(size=(D, g * U)) / np.sqrt(D)).astype(np.float32),
            "U": (rng.normal(size=(U, g * U)) / np.sqrt(U)).astype(np.float32),
            "b": (rng.normal(size=g * U) * 0.1).astype(np.float32),
            "Wd": (rng.normal(size=(U, 1)) / np.sqrt(U)).astype(np.float32),
            "bd": np.zeros(1, np.float32)}


# -- numpy reference: forward, BPTT, SGD ---------------------------------------------

def np_lstm(p, x, y, train=True):
    W, Uw, b = p["W"], p["U"], p["b"]
    h, c = np.zeros((B, U), np.float32), np.zeros((B, U), np.float32)
    xw = x.reshape(N * B, D) @ W  # (x time-major: (N, B, D))
    tape = []
    for t in range(N):
        z = xw[t * B:(t + 1) * B] + h @ Uw + b
        i, f, g, o = sig(z[:, :U]), sig(z[:, U:2 * U]), np.tanh(z[:, 2 * U:3 * U]), sig(z[:, 3 * U:])
        c_prev, h_prev = c, h
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        tape.append((h_prev, c_prev, i, f, g, o, tc))
    out = h @ p["Wd"] + p["bd"]
    if not train:
        return out
    loss = np.mean((out - y) ** 2)
    dy = 2 * (out - y) / out.size
    grads = {"Wd": h.T @ dy, "bd": dy.sum(0)}
    dh, dc = dy @ p["Wd"].T, np.zeros_like(c)
    dz_all = np.empty((N, B, 4 * U), np.float32)
    hs = np.empty((N, B, U), np.float32)
    for t in reversed(range(N)):
        h_prev, c_prev, i, f, g, o, tc = tape[t]
        dct = dc + dh * o * (1 - tc * tc)
        dz = dz_all[t]
        dz[:, :U] = dct * g * i * (1 - i)
        dz[:, U:2 * U] = dct * c_prev * f * (1 - f)
        dz[:, 2 * U:3 * U] = dct * i * (1 - g * g)
        dz[:, 3 * U:] = dh * tc * o * (1 - o)
        dc = dct * f
        dh = dz @ Uw.T
        hs[t] = h_prev
    grads["W"] = x.reshape(N * B, D).T @ dz_all.reshape(N * B, -1)
    grads["U"] = hs.reshape(N * B, U).T @ dz_all.reshape(N * B, -1)
    grads["b"] = dz_all.sum((0, 1))
    return loss, grads


def np_gru(p, x, y, train=True):
    W, Uw, b = p["W"], p["U"], p["b"]
    Uzr, Uh = Uw[:, :2 * U], Uw[:, 2 * U:]
    h = np.zeros((B, U), np.float32)
    xw = x.reshape(N * B, D) @ W + b
    tape = []
    for t in range(N):
        p_t = xw[t * B:(t + 1) * B]
        zr = sig(p_t[:, :2 * U] + h @ Uzr)
        z, r = zr[:, :U], zr[:, U:]
        hh = np.tanh(p_t[:, 2 * U:] + (r * h) @ Uh)
        tape.append((h, z, r, hh))
        h = z * h + (1 - z) * hh
    out = h @ p["Wd"] + p["bd"]
    if not train:
        return out
    loss = np.mean((out - y) ** 2)
    dy = 2 * (out - y) / out.size
    grads = {"Wd": h.T @ dy, "bd": dy.sum(0)}
    dh = dy @ p["Wd"].T
    da = np.empty((N, B, 3 * U), np.float32)
    hs, rhs = np.empty((N, B, U), np.float32), np.empty((N, B, U), np.float32)
    for t in reversed(range(N)):
        h_prev, z, r, hh = tape[t]
        da_h = dh * (1 - z) * (1 - hh * hh)
        drh = da_h @ Uh.T
        da[t, :, :U] = dh * (h_prev - hh) * z * (1 - z)
        da[t, :, U:2 * U] = drh * h_prev * r * (1 - r)
        da[t, :, 2 * U:] = da_h
        dh = dh * z + drh * r + da[t, :, :2 * U] @ Uzr.T
        hs[t], rhs[t] = h_prev, r * h_prev
    flat = da.reshape(N * B, -1)
    grads["W"] = x.reshape(N * B, D).T @ flat
    grads["U"] = np.concatenate([hs.reshape(N * B, U).T @ flat[:, :2 * U],
                                 rhs.reshape(N * B, U).T @ flat[:, 2 * U:]], axis=1)
    grads["b"] = flat.sum(0)
    return loss, grads


NUMPY = {"LSTM": np_lstm, "GRU": np_gru}


def np_train(kind, p, x, y):
    loss, grads = NUMPY[kind](p, x, y)
    for k, g in grads.items():
        p[k] -= LR * g
    return loss


# -- clgraph at the symbolic level ------------------------------------------------------

def scan_model(kind, weights):
    """(train function, predict function, gradient function, shared weights)."""
    sh = {k: clgraph.shared(v.copy(), name=k) for k, v in weights.items()}
    W, Uw, b = sh["W"], sh["U"], sh["b"]
    x, y = T.tensor3("x"), T.matrix("y")  # x time-major (N, B, D)
    zeros = T.zeros((x.shape[1], U))
    if kind == "LSTM":
        def step(xt, h, c):
            z = T.dot(xt, W) + b + T.dot(h, Uw)
            i, f = T.nnet.sigmoid(z[:, :U]), T.nnet.sigmoid(z[:, U:2 * U])
            g, o = T.tanh(z[:, 2 * U:3 * U]), T.nnet.sigmoid(z[:, 3 * U:])
            c = f * c + i * g
            return o * T.tanh(c), c
        (hs, _), _ = clgraph.scan(step, sequences=x, outputs_info=[zeros, zeros], name="lstm")
    else:
        Uzr, Uh = Uw[:, :2 * U], Uw[:, 2 * U:]

        def step(xt, h):
            p_t = T.dot(xt, W) + b
            zr = T.nnet.sigmoid(p_t[:, :2 * U] + T.dot(h, Uzr))
            z, r = zr[:, :U], zr[:, U:]
            hh = T.tanh(p_t[:, 2 * U:] + T.dot(r * h, Uh))
            return z * h + (1 - z) * hh
        hs, _ = clgraph.scan(step, sequences=x, outputs_info=zeros, name="gru")
    out = T.dot(hs[-1], sh["Wd"]) + sh["bd"]
    loss = T.mean((out - y) ** 2)
    names = ["W", "U", "b", "Wd", "bd"]
    grads = clgraph.grad(loss, [sh[k] for k in names])
    train = clgraph.function([x, y], loss, updates=[(sh[k], sh[k] - LR * g) for k, g in zip(names, grads)])
    predict = clgraph.function([x], out)
    grad_fn = clgraph.function([x, y], [loss] + grads)
    return train, predict, grad_fn, names


def step_kernels(fn, name):
    """Kernels per time step of the loop named `name` (its step's kernels)."""
    return sum(1 for k in fn.kernels if k.name.startswith(f"Scan{{{name}}}/"))


def check(kind, weights, x, y):
    _, _, grad_fn, names = scan_model(kind, weights)
    got = grad_fn(x, y)
    loss, want = NUMPY[kind]({k: v.copy() for k, v in weights.items()}, x, y)
    np.testing.assert_allclose(got[0], loss, rtol=1e-4)
    for k, g in zip(names, got[1:]):
        np.testing.assert_allclose(g, want[k], rtol=2e-3, atol=2e-3 * np.abs(want[k]).max(), err_msg=k)


# -- clgraph at the Keras level ----------------------------------------------------------

def keras_model(kind, weights):
    try:
        from clgraph.keras import layers
        from clgraph.keras.models import Sequential
        from clgraph.keras.optimizers import SGD
        layer_cls = getattr(layers, kind)
    except (ImportError, AttributeError):
        return None
    model = Sequential()
    model.add(layer_cls(U, input_shape=(N, D), recurrent_activation="sigmoid"))
    model.add(layers.Dense(1))
    model.compile(loss="mse", optimizer=SGD(lr=LR))
    model.set_weights([weights[k] for k in ("W", "U", "b", "Wd", "bd")])
    return model


# -- torch --------------------------------------------------------------------------------

def torch_model(kind):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    rnn = getattr(torch.nn, kind)(D, U)
    head = torch.nn.Linear(U, 1)
    opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=LR)
    return torch, rnn, head, opt


def bench(kind, repeat, steps):
    rng = np.random.default_rng(0)
    weights = init_weights(kind, rng)
    x = rng.normal(size=(N, B, D)).astype(np.float32)
    y = rng.normal(size=(B, 1)).astype(np.float32)
    check(kind, weights, x, y)  # the same numbers, or no figures
    train, predict, _, _ = scan_model(kind, weights)
    train(x, y)
    predict(x)
    name = kind.lower()
    kernels = f"{step_kernels(train, name)}/{step_kernels(train, 'grad_of_' + name)}"
    fns = {"clgraph scan": (lambda: train(x, y), lambda: predict(x), kernels)}
    model = keras_model(kind, weights)
    if model is not None:
        xb = np.ascontiguousarray(x.transpose(1, 0, 2))  # Keras: batch-major
        model.train_on_batch(xb, y)
        model.predict_on_batch(xb)
        fns["clgraph keras"] = (lambda: model.train_on_batch(xb, y), lambda: model.predict_on_batch(xb),
                                _keras_kernels(model))
    p = {k: v.copy() for k, v in weights.items()}
    fns["numpy"] = (lambda: np_train(kind, p, x, y), lambda: NUMPY[kind](p, x, y, train=False), "")
    t = torch_model(kind)
    if t is not None:
        torch, rnn, head, opt = t
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def t_train():
            opt.zero_grad()
            out, _ = rnn(tx)
            torch.nn.functional.mse_loss(head(out[-1]), ty).backward()
            opt.step()

        def t_predict():
            with torch.no_grad():
                head(rnn(tx)[0][-1])
        fns["torch"] = (t_train, t_predict, "")

    def timed(k):  # the contenders in turn, so a drifting machine speed hits each alike
        calls = [lambda f=f: [f[k]() for _ in range(steps)] for f in fns.values()]
        return [t / steps for t in interleaved_median_times(calls, repeat, warmup=1, settle=SETTLE / 5)]
    rows = {label: (tr, pr, f[2]) for (label, f), tr, pr in zip(fns.items(), timed(0), timed(1))}
    rows.setdefault("clgraph keras", None)
    rows.setdefault("torch", None)
    rows = {k: rows[k] for k in ("clgraph scan", "clgraph keras", "numpy", "torch")}
    base_train, base_pred = rows["clgraph scan"][:2]
    print(f"\n{kind}: batch {B}, {N} steps, {D} inputs, {U} units, Dense(1) + MSE, SGD")
    print(f"{'':<15}{'train ms':>10}{'ratio':>7}{'predict ms':>12}{'ratio':>7}{'kernels/step fwd/bwd':>23}")
    for label, row in rows.items():
        if row is None:
            print(f"{label:<15}{'-':>10}{'-':>7}{'-':>12}{'-':>7}{'-':>23}")
            continue
        tr, pr, kern = row
        print(f"{label:<15}{tr * 1e3:10.2f}{tr / base_train:7.2f}{pr * 1e3:12.2f}{pr / base_pred:7.2f}"
              f"{kern:>23}", flush=True)


def _keras_kernels(model):
    def count(fn):
        if fn is None or not hasattr(fn, "kernels"):
            return None
        loops = {k.name.split("/")[0] for k in fn.kernels if "/" in k.name}
        fwd = [n for n in loops if not n.startswith("Scan{grad_of")]
        bwd = [n for n in loops if n.startswith("Scan{grad_of")]
        per = lambda names: sum(1 for k in fn.kernels if k.name.split("/")[0] in names)  # noqa: E731
        return per(fwd), per(bwd)
    got = count(getattr(model, "train_function", None))
    return "" if got is None else f"{got[0]}/{got[1]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--only", choices=sorted(GATES))
    args = parser.parse_args()
    dev = clgraph.device()
    print(f"device: {dev.name} ({dev.platform_name}); ratio = baseline time / clgraph scan time")
    for kind in ([args.only] if args.only else ["LSTM", "GRU"]):
        bench(kind, args.repeat, args.steps)


if __name__ == "__main__":
    main()
