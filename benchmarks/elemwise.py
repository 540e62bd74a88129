"""Fused elementwise throughput: y = tanh(a*x + b) * sigmoid(x) + x*x / (1 + abs(x)) over
2^24 float32, clgraph vs numpy vs a hand-written float8 pyopencl kernel, same run.

clgraph is timed as a compiled function whose input and result stay on the device (x is
shared, y is written by an update), which is what a training step does; a call with a
host round trip is shown too. Usage: python benchmarks/elemwise.py [--log2n 24]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_time  # noqa: E402

import clgraph  # noqa: E402
import clgraph.tensor as T  # noqa: E402
from clgraph.tensor import nnet  # noqa: E402

A, B = 0.75, 0.25


def numpy_version(x):
    return np.tanh(A * x + B) * (1 / (1 + np.exp(-x))) + x * x / (1 + np.abs(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log2n", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = 2 ** args.log2n
    rng = np.random.default_rng(0)
    x_host = rng.uniform(-4, 4, n).astype(np.float32)

    # clgraph: data resident on the device, result written by an update
    x_sh = clgraph.shared(x_host, name="x")
    y_sh = clgraph.shared(np.zeros(n, np.float32), name="y")
    expr = T.tanh(A * x_sh + B) * nnet.sigmoid(x_sh) + x_sh * x_sh / (1 + abs(x_sh))
    step = clgraph.function([], [], updates=[(y_sh, expr)])
    dev = clgraph.device()
    queue = dev.queue
    t_clgraph = median_time(lambda: (step(), queue.finish()), args.repeat)
    got = y_sh.get_value()

    # clgraph with a host round trip (upload x, read y)
    xs = T.fvector("x")
    f_host = clgraph.function([xs], T.tanh(A * xs + B) * nnet.sigmoid(xs) + xs * xs / (1 + abs(xs)))
    t_host = median_time(lambda: f_host(x_host), max(3, args.repeat // 2))

    # numpy
    t_numpy = median_time(lambda: numpy_version(x_host), args.repeat)
    want = numpy_version(x_host)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

    # hand-written float8 kernel
    import pyopencl as cl
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "reference", "elemwise_float8.cl")) as fh:
        prg = cl.Program(dev.context, fh.read()).build()
    kern = cl.Kernel(prg, "ref_float8")
    mf = cl.mem_flags
    x_buf = cl.Buffer(dev.context, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=x_host)
    y_buf = cl.Buffer(dev.context, mf.WRITE_ONLY, x_host.nbytes)
    kern.set_args(x_buf, y_buf, np.int64(n), np.float32(A), np.float32(B))

    def run_ref():
        cl.enqueue_nd_range_kernel(queue, kern, ((n + 7) // 8,), None)
        queue.finish()
    t_ref = median_time(run_ref, args.repeat)
    ref_out = np.empty_like(x_host)
    cl.enqueue_copy(queue, ref_out, y_buf)
    np.testing.assert_allclose(ref_out, want, rtol=1e-5, atol=1e-5)

    gb = 2 * x_host.nbytes / 1e9  # one read, one write
    print(f"device: {dev.name} ({dev.platform_name}, driver {dev.driver_version})")
    print(f"n = 2^{args.log2n} float32; kernels in the clgraph function: {len(step.kernels)}")
    print(f"{'':28} {'time ms':>9} {'GB/s':>7}")
    for label, t in [("clgraph (device resident)", t_clgraph), ("hand-written float8 kernel", t_ref),
                     ("numpy", t_numpy), ("clgraph incl. host transfer", t_host)]:
        print(f"{label:28} {t * 1e3:9.2f} {gb / t:7.2f}")
    print(f"ratio clgraph / float8 kernel time: {t_clgraph / t_ref:.3f}  (target <= 1.25)")
    print(f"speed-up of clgraph over numpy:     {t_numpy / t_clgraph:.2f}x  (target >= 5)")


if __name__ == "__main__":
    main()
