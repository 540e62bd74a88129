"""Shared timing helper for the benchmark scripts: median of repetitions after warm-up."""
import statistics
import time


def median_time(fn, repeat=7, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
