"""Per-kernel profiling of a compiled function (`function(..., profile=True)`).

A profiled function runs on the device's profiling queue (the default queue stays
without PROFILING_ENABLE, so unprofiled functions pay nothing). Each launch leaves an
OpenCL event; events are read only after the call's own final `queue.finish()`, and
only folded into totals at report time (or when many are pending), so profiling adds
no synchronisation per kernel. The first call is shown apart: PoCL compiles a
kernel's work-group function on its first launch."""
import time

__all__ = ["Profiler", "launch_bytes", "launch_flops"]

# pending events are folded into totals beyond this many (each call has finished by then)
FOLD_EVENTS = 4096


def launch_bytes(ins, outs):
    """Bytes a launch reads and writes: the sizes of its operand and result arrays."""
    return sum(a.size * a.dtype.itemsize for a in list(ins) + list(outs))


def launch_flops(kernel, ins, outs):
    """2*M*N*K (times batch and summed batch axes) for a GEMM launch, else None."""
    if getattr(kernel, "family", None) != "gemm":
        return None
    (a, b), c = ins[:2], outs[0]  # further arrays: operands and results of a fused epilogue
    nk, ns = kernel.nkeep, kernel.nsum
    summed = 1
    for x, y in zip(a.shape[nk:nk + ns], b.shape[nk:nk + ns]):
        summed *= 0 if 0 in (x, y) else max(x, y)
    return 2 * c.size * a.shape[-1] * summed


class _KernelStats:
    __slots__ = ("name", "calls", "seconds", "bytes", "flops")

    def __init__(self, name):
        self.name, self.calls, self.seconds, self.bytes, self.flops = name, 0, 0.0, 0, None


class Profiler:
    """The bookkeeping of one profiled Function: kernel events per call, wall time per
    call, and the table `report()` prints."""

    def __init__(self, function_name, kernel_names, compile_seconds=None):
        self.function_name = function_name
        self.compile_seconds = compile_seconds
        self.stats = {name: _KernelStats(name) for name in kernel_names}
        self.calls = 0
        self.first_call = None          # (wall seconds, kernel seconds) of call 1
        self.wall = 0.0                 # wall seconds of the calls after the first
        self.kernel_time = 0.0          # their kernel seconds
        self._pending = []              # [(wall, [(name, events, bytes, flops)])]
        self._current = None
        self._t0 = None

    # -- during a call (hooks from Function.__call__ and Plan.enqueue) -------------------
    def begin(self, device):
        """Start timing a call; returns the queue it must run on. Work the default
        queue holds (set_value, constant uploads) is finished first: the two queues
        are not ordered with each other."""
        device.queue.finish()
        self._current = []
        self._t0 = time.perf_counter()
        return device.profiling_queue

    def record(self, step, events, ins, outs):
        self._current.append((step.name, events, launch_bytes(ins, outs), launch_flops(step.kernel, ins, outs)))

    def end(self):
        """The call succeeded and its queue has finished."""
        wall = time.perf_counter() - self._t0
        self._pending.append((wall, self._current))
        self._current = None
        if sum(len(launches) for _, launches in self._pending) > FOLD_EVENTS:
            self._fold()

    def abort(self):
        """The call raised: its launches are not counted."""
        self._current = None

    # -- totals ------------------------------------------------------------------------
    def _fold(self):
        for wall, launches in self._pending:
            kernel_seconds = 0.0
            for name, events, nbytes, flops in launches:
                stats = self.stats.setdefault(name, _KernelStats(name))
                seconds = sum(e.profile.end - e.profile.start for e in events) * 1e-9
                stats.calls += 1
                stats.seconds += seconds
                stats.bytes += nbytes
                if flops is not None:
                    stats.flops = (stats.flops or 0) + flops
                kernel_seconds += seconds
            self.calls += 1
            if self.first_call is None:
                self.first_call = (wall, kernel_seconds)
            else:
                self.wall += wall
                self.kernel_time += kernel_seconds
        self._pending = []

    def rows(self):
        """One dict per kernel: name, calls, total_s, mean_s, share (percent of all
        kernel time), bytes_per_call, gb_per_s, gflop_per_s (GEMM only, else None)."""
        self._fold()
        total = sum(s.seconds for s in self.stats.values())
        out = []
        for s in self.stats.values():
            out.append(dict(
                name=s.name, calls=s.calls, total_s=s.seconds,
                mean_s=s.seconds / s.calls if s.calls else 0.0,
                share=100.0 * s.seconds / total if total > 0 else 0.0,
                bytes_per_call=s.bytes / s.calls if s.calls else 0.0,
                gb_per_s=s.bytes / s.seconds * 1e-9 if s.seconds > 0 else None,
                gflop_per_s=s.flops / s.seconds * 1e-9 if s.flops is not None and s.seconds > 0 else None))
        return out

    def host_overhead(self):
        """Mean seconds per call spent outside kernels (wall time minus kernel time),
        over the calls after the first; None before the second call."""
        self._fold()
        later = self.calls - 1
        return (self.wall - self.kernel_time) / later if later > 0 else None

    def report(self, file=None):
        rows = self.rows()
        lines = [f"Profile of function {self.function_name!r}: {self.calls} call(s)"
                 if self.function_name else f"Profile of the compiled function: {self.calls} call(s)"]
        if self.compile_seconds is not None:
            lines.append(f"  compile (plan, render, build): {_ms(self.compile_seconds)}")
        if self.first_call is not None:
            wall, kern = self.first_call
            lines.append(f"  first call (includes the driver's lazy kernel setup): wall {_ms(wall)}, "
                         f"kernels {_ms(kern)}")
        overhead = self.host_overhead()
        if overhead is not None:
            lines.append(f"  later calls: wall {_ms(self.wall / (self.calls - 1))} per call, "
                         f"host overhead (wall - kernels) {_ms(overhead)} per call")
        head = ("kernel", "calls", "total", "mean", "share", "bytes/call", "GB/s", "GFLOP/s")
        table = [head]
        for r in rows:
            table.append((r["name"], str(r["calls"]), _ms(r["total_s"]), _ms(r["mean_s"]), f"{r['share']:.1f}%",
                          _bytes(r["bytes_per_call"]), _num(r["gb_per_s"]), _num(r["gflop_per_s"])))
        widths = [max(len(row[k]) for row in table) for k in range(len(head))]
        lines.append("  " + "  ".join(h.ljust(w) if k == 0 else h.rjust(w)
                                      for k, (h, w) in enumerate(zip(head, widths))))
        for row in table[1:]:
            lines.append("  " + "  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                                          for k, (c, w) in enumerate(zip(row, widths))))
        total = sum(r["total_s"] for r in rows)
        lines.append(f"  all kernels: {_ms(total)} over {self.calls} call(s) (OpenCL profiling events, "
                     "the first call included)")
        text = "\n".join(lines) + "\n"
        if file is not None:
            file.write(text)
        return text


def _ms(seconds):
    return f"{seconds * 1e3:.3f} ms"


def _bytes(n):
    n = float(n)
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _num(value):
    return "-" if value is None else f"{value:.3g}"
