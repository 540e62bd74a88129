"""Convolution throughput and a small CNN's training step, clgraph against numpy and
PyTorch (CPU) in the same run.

(a) conv2d forward and forward+backward (both gradients) at batch 64 for
    1x28x28 -> 32 filters 3x3 and 32x14x14 -> 64 filters 3x3 ('half' padding):
    clgraph (operands and results in shared variables: no host transfer is timed),
    a numpy im2col + matmul reference (sliding windows, BLAS; the backward pass as
    the same two products and a col2im of np.add.at per tap), torch.nn.functional.conv2d.
(b) one training step (forward, backward, SGD update) of conv3x3x32-relu-pool2-
    conv3x3x64-relu-pool2-dense10 with softmax cross-entropy at batch 64, clgraph's
    Keras API (train_on_batch on data already converted) against the same model in
    PyTorch, in ms per step, and the kernels one clgraph step launches.
Ratios are baseline time / clgraph time (> 1: clgraph is faster); in (a) the
contenders' repetitions alternate, so a shared machine's drifting speed hits each alike.
Usage: python benchmarks/conv.py [--repeat 7] [--steps 20] [--skip-cnn]"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import interleaved_median_times, median_time  # noqa: E402

import clgraph  # noqa: E402
import clgraph.tensor as T  # noqa: E402

SETTLE = 0.5  # let the previous library's worker threads go idle (2 cores)
LAYERS = [("1x28x28 -> 32", (64, 1, 28, 28), (32, 1, 3, 3)), ("32x14x14 -> 64", (64, 32, 14, 14), (64, 32, 3, 3))]


def np_conv_forward(x, w):
    """'half' padded cross-correlation as im2col (sliding windows) + one matmul."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))  # n c h w kh kw
    cols = np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(c * kh * kw, -1)
    y = w.reshape(o, -1) @ cols
    return y.reshape(o, n, h, wd).transpose(1, 0, 2, 3), cols


def np_conv_backward(x, w, gy, cols):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    g = np.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(o, -1)
    gw = (g @ cols.T).reshape(w.shape)
    gcols = (w.reshape(o, -1).T @ g).reshape(c, kh, kw, n, h, wd)
    gxp = np.zeros((n, c, h + kh - 1, wd + kw - 1), x.dtype)
    for a in range(kh):
        for b in range(kw):
            gxp[:, :, a:a + h, b:b + wd] += gcols[:, a, b].transpose(1, 0, 2, 3)
    return gxp[:, :, kh // 2:kh // 2 + h, kw // 2:kw // 2 + wd], gw


def clgraph_fns(x, w, gy):
    xs, ws, gys = (clgraph.shared(v) for v in (x, w, gy))
    y = T.nnet.conv2d(xs, ws, border_mode="half", filter_flip=False)
    ys = clgraph.shared(np.zeros((x.shape[0], w.shape[0]) + x.shape[2:], np.float32))
    fwd = clgraph.function([], [], updates=[(ys, y)])
    gx, gw = clgraph.grad((y * gys).sum(), [xs, ws])
    gxs, gws = clgraph.shared(np.zeros_like(x)), clgraph.shared(np.zeros_like(w))
    both = clgraph.function([], [], updates=[(ys, y), (gxs, gx), (gws, gw)])
    return fwd, both, (ys, gxs, gws)


def torch_fns(x, w, gy):
    try:
        import torch
    except ImportError:
        return None
    tx, tw, tg = (torch.from_numpy(v) for v in (x, w, gy))
    tx.requires_grad_(True)
    tw.requires_grad_(True)

    def fwd():
        with torch.no_grad():
            torch.nn.functional.conv2d(tx, tw, padding=1)

    def both():
        tx.grad = tw.grad = None
        torch.nn.functional.conv2d(tx, tw, padding=1).backward(tg)
    return fwd, both


def bench_layers(repeat):
    rng = np.random.default_rng(0)
    print("(a) conv2d, batch 64, 3x3 filters, 'half' padding: ms per call (ratio = baseline / clgraph)")
    print(f"{'layer':<16}{'pass':<10}{'clgraph':>9}{'numpy':>9}{'ratio':>7}{'torch':>9}{'ratio':>7}")
    for label, xs, wsh in LAYERS:
        x = rng.normal(size=xs).astype(np.float32)
        w = (rng.normal(size=wsh) * 0.1).astype(np.float32)
        gy = rng.normal(size=(xs[0], wsh[0]) + xs[2:]).astype(np.float32)
        fwd, both, (ys, gxs, gws) = clgraph_fns(x, w, gy)
        both()
        want_y, cols = np_conv_forward(x, w)
        want_gx, want_gw = np_conv_backward(x, w, gy, cols)
        for got, want in ((ys, want_y), (gxs, want_gx), (gws, want_gw)):  # the same numbers, or no figures
            np.testing.assert_allclose(got.get_value(), want, rtol=2e-3, atol=2e-3 * np.abs(want).max())
        dev = clgraph.device()

        def sync(fn):
            def run():
                fn()
                dev.queue.finish()
            return run
        torch_pair = torch_fns(x, w, gy)
        for name, cl_fn, np_fn, t_fn in (
                ("forward", fwd, lambda: np_conv_forward(x, w), torch_pair and torch_pair[0]),
                ("fwd+bwd", both, lambda: np_conv_backward(x, w, gy, np_conv_forward(x, w)[1]),
                 torch_pair and torch_pair[1])):
            contenders = [sync(cl_fn), np_fn] + ([t_fn] if t_fn is not None else [])
            tc, tn, *tt = interleaved_median_times(contenders, repeat, warmup=2, settle=SETTLE / 5)
            line = f"{label:<16}{name:<10}{tc * 1e3:9.2f}{tn * 1e3:9.2f}{tn / tc:7.2f}"
            if tt:
                line += f"{tt[0] * 1e3:9.2f}{tt[0] / tc:7.2f}"
            else:
                line += f"{'-':>9}{'-':>7}"
            print(line, flush=True)


def keras_cnn():
    from clgraph.keras.layers import Activation, Convolution2D, Dense, Flatten, MaxPooling2D
    from clgraph.keras.models import Sequential
    from clgraph.keras.optimizers import SGD
    model = Sequential()
    model.add(Convolution2D(32, 3, 3, border_mode="same", input_shape=(1, 28, 28), dim_ordering="th"))
    model.add(Activation("relu"))
    model.add(MaxPooling2D((2, 2), dim_ordering="th"))
    model.add(Convolution2D(64, 3, 3, border_mode="same", dim_ordering="th"))
    model.add(Activation("relu"))
    model.add(MaxPooling2D((2, 2), dim_ordering="th"))
    model.add(Flatten())
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.01))
    return model


def torch_cnn():
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(64 * 7 * 7, 10))
    return net, torch.optim.SGD(net.parameters(), lr=0.01)


def bench_cnn(steps):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, size=64)
    y = np.eye(10, dtype=np.float32)[labels]
    model = keras_cnn()
    model.train_on_batch(x, y)  # compile and first call
    step_fn = model.train_function if hasattr(model, "train_function") else None
    kernels = len(step_fn.kernels) if step_fn is not None and hasattr(step_fn, "kernels") else None

    def cl_steps():
        for _ in range(steps):
            model.train_on_batch(x, y)
    time.sleep(SETTLE)
    tc = median_time(cl_steps, 3, warmup=1) / steps
    print(f"\n(b) CNN training step at batch 64 (conv32-relu-pool-conv64-relu-pool-dense10, SGD): ms per step")
    line = f"clgraph {tc * 1e3:8.2f} ms  ({kernels} kernels per step)"
    try:
        import torch
    except ImportError:
        print(line + "   torch: not importable")
        return
    net, opt = torch_cnn()
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)
    loss_fn = torch.nn.CrossEntropyLoss()

    def t_steps():
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(net(tx), ty).backward()
            opt.step()
    time.sleep(SETTLE)
    tt = median_time(t_steps, 3, warmup=1) / steps
    print(line + f"   torch {tt * 1e3:8.2f} ms   clgraph / torch = {tc / tt:.2f}x (target <= 2)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--skip-cnn", action="store_true")
    args = parser.parse_args()
    dev = clgraph.device()
    print(f"device: {dev.name} ({dev.platform_name})")
    bench_layers(args.repeat)
    if not args.skip_cnn:
        bench_cnn(args.steps)


if __name__ == "__main__":
    main()
