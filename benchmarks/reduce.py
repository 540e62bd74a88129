"""Reductions: sum of 2^24 float32, row sums and column sums of a 4096 x 4096 float32
matrix; clgraph (data on the device, result read back) vs numpy, same run.

Usage: python benchmarks/reduce.py [--log2n 24] [--side 4096]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_time  # noqa: E402

import clgraph  # noqa: E402
import clgraph.tensor as T  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log2n", type=int, default=24)
    parser.add_argument("--side", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vec = rng.uniform(-1, 1, 2 ** args.log2n).astype(np.float32)
    mat = rng.uniform(-1, 1, (args.side, args.side)).astype(np.float32)
    v_sh, m_sh = clgraph.shared(vec), clgraph.shared(mat)
    cases = [
        ("sum of 2^%d" % args.log2n, T.sum(v_sh), lambda: vec.sum(), vec.nbytes),
        ("row sums %dx%d" % mat.shape, T.sum(m_sh, axis=1), lambda: mat.sum(axis=1), mat.nbytes),
        ("column sums %dx%d" % mat.shape, T.sum(m_sh, axis=0), lambda: mat.sum(axis=0), mat.nbytes),
    ]
    dev = clgraph.device()
    print(f"device: {dev.name} ({dev.platform_name}, driver {dev.driver_version})")
    print(f"{'case':24} {'clgraph ms':>11} {'numpy ms':>9} {'GB/s':>6} {'clgraph/numpy time':>19}")
    for label, expr, np_fn, nbytes in cases:
        f = clgraph.function([], expr)
        got = f()
        want = np_fn()
        exact = np.asarray(want, np.float64)
        np.testing.assert_allclose(got, exact, rtol=1e-3, atol=1e-2)
        t_cl = median_time(f, args.repeat)
        t_np = median_time(np_fn, args.repeat)
        print(f"{label:24} {t_cl * 1e3:11.2f} {t_np * 1e3:9.2f} {nbytes / t_cl / 1e9:6.2f} {t_cl / t_np:19.2f}"
              f"   ({len(f.kernels)} kernel{'s' if len(f.kernels) > 1 else ''})")
    print("target: clgraph/numpy time <= 1.2")


if __name__ == "__main__":
    main()
