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


def interleaved_median_times(fns, repeat=7, warmup=2, settle=0.0):
    """Median time of each of `fns`, their repetitions taken in turn (a, b, c, a, b, c,
    ...): on a shared machine whose speed drifts over seconds, every contender meets
    the same slow and fast moments, so the ratios between them hold even where the
    absolute figures move. `settle` seconds between contenders let the previous
    library's worker threads go idle."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            if settle:
                time.sleep(settle)
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]
