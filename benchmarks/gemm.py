"""SGEMM throughput: clgraph T.dot vs numpy (OpenBLAS) vs a one-output-per-work-item
OpenCL kernel (benchmarks/reference/gemm_naive.cl), same run, float32, N x N.

clgraph is timed as a compiled function whose operands are shared variables and whose
result is written to a shared variable by an update: no host transfer is timed. The
'transposed' rows compute a.T @ b.T from the same buffers (strided views, no copy).
Usage: python benchmarks/gemm.py [--sizes 256 512 1024 2048] [--repeat 5] [--no-naive]
(numpy's figures depend on OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE if they are set. On a
2-core machine, anything else running skews every column: rerun when in doubt.)
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_time  # noqa: E402

import clgraph  # noqa: E402
import clgraph.tensor as T  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# OpenBLAS's and PoCL's worker threads keep spinning a while after a call; on 2 cores
# the next library timed would share them, so each timing starts after a pause
SETTLE = 1.0


def naive_kernel(dev):
    import pyopencl as cl
    with open(os.path.join(HERE, "reference", "gemm_naive.cl")) as fh:
        return cl.Kernel(cl.Program(dev.context, fh.read()).build(), "ref_gemm_naive")


def time_naive(dev, kern, a, b, repeat):
    import pyopencl as cl
    n = a.shape[0]
    mf = cl.mem_flags
    bufs = [cl.Buffer(dev.context, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=x) for x in (a, b)]
    c_buf = cl.Buffer(dev.context, mf.WRITE_ONLY, a.nbytes)
    kern.set_args(*bufs, c_buf, np.int64(n), np.int64(n), np.int64(n))
    size = (-(-n // 16) * 16,) * 2

    def run():
        cl.enqueue_nd_range_kernel(dev.queue, kern, size, (16, 16))
        dev.queue.finish()
    t = median_time(run, repeat, warmup=1)
    out = np.empty_like(a)
    cl.enqueue_copy(dev.queue, out, c_buf)
    return t, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-naive", action="store_true", help="skip the (slow) naive kernel")
    args = parser.parse_args()
    dev = clgraph.device()
    kern = None if args.no_naive else naive_kernel(dev)
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        a_sh, b_sh = clgraph.shared(a, name="a"), clgraph.shared(b, name="b")
        c_sh = clgraph.shared(np.zeros((n, n), np.float32), name="c")
        flops = 2.0 * n ** 3
        want = {"plain": a @ b, "transposed": a.T @ b.T}
        t_np = median_time(lambda: a @ b, args.repeat)
        t_np_t = median_time(lambda: a.T @ b.T, args.repeat)
        for label, expr, t_numpy in [("plain", T.dot(a_sh, b_sh), t_np),
                                     ("transposed", T.dot(a_sh.T, b_sh.T), t_np_t)]:
            step = clgraph.function([], [], updates=[(c_sh, expr)])
            time.sleep(SETTLE)
            t_cl = median_time(lambda: (step(), dev.queue.finish()), args.repeat)
            err = np.abs(c_sh.get_value() - want[label]).max() / np.abs(want[label]).max()
            assert err < 1e-5, f"clgraph result differs from numpy: relative error {err}"
            t_naive = None
            if kern is not None and label == "plain":
                t_naive, out = time_naive(dev, kern, a, b, max(1, args.repeat // 2))
                assert np.abs(out - want[label]).max() / np.abs(want[label]).max() < 1e-5
            time.sleep(SETTLE)
            rows.append((n, label, flops / t_cl / 1e9, flops / t_numpy / 1e9,
                         flops / t_naive / 1e9 if t_naive else None))
    print(f"device: {dev.name} ({dev.platform_name}, driver {dev.driver_version})")
    print(f"{'N':>5} {'operands':>10} {'clgraph':>9} {'numpy':>9} {'naive':>9} {'cl/numpy':>9} {'cl/naive':>9}"
          "   (GFLOP/s)")
    for n, label, g_cl, g_np, g_naive in rows:
        naive = f"{g_naive:9.1f}" if g_naive else f"{'-':>9}"
        ratio = f"{g_cl / g_naive:9.1f}" if g_naive else f"{'-':>9}"
        print(f"{n:5d} {label:>10} {g_cl:9.1f} {g_np:9.1f} {naive} {g_cl / g_np:9.2f} {ratio}")
    print("targets: clgraph >= 0.5x numpy at N=1024 and 2048, >= 0.3x at N=256")


if __name__ == "__main__":
    main()
