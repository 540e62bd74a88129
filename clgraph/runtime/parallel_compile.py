"""Parallel kernel code generation for drivers that compile each kernel at its first
launch (PoCL's CPU device).

PoCL turns a program's kernels into machine code at each kernel's first launch, one
after another within a process: a training step's dozen new kernels take seconds on one
core while the others idle. So the first call of a new function also sends its launches
to helper processes (runtime/compile_worker.py). A helper builds the same program (PoCL
finds the parent's front-end result in its cache) and runs the launches from the last
one backwards, each once, with the call's sizes but on one work-group and on scratch
buffers; PoCL writes their machine code to its kernel cache. Meanwhile the parent's
queue runs its kernels from the first one forwards and finds in the cache what a helper
has already made: the two meet in the middle, with at most a kernel or so generated
twice. Nothing waits for a helper and a helper writes nothing but PoCL's cache, so
whatever happens to it changes no result, only how long the first call takes.

With several helpers, helper i starts further back, at the end of its share of the
kernels (shares of about equal estimated cost), and goes backwards until it reaches
kernels the cache already has (a launch that finds its code costs milliseconds).

`config.compile_workers` helpers (0: none) start as soon as the plan has at least
MIN_KERNELS kernels, so that their start-up overlaps rendering; they get the program,
or are stopped when it has run here before (a marker in `config.cache_dir`) or when its
build was a PoCL cache hit.
"""
import json
import os
import subprocess
import sys

import numpy as np

from .. import cache
from ..config import config

__all__ = ["may_help", "start_helpers", "CompileHelpers", "compiles_at_first_launch"]

# the helper process (tests put a stand-in here): the script on its own, not as part of
# the clgraph package, whose import would take longer than the helper's work
WORKER_COMMAND = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "compile_worker.py")]
# fewer kernels than this are not worth a process (about 0.3 s of CPU to start one)
MIN_KERNELS = 4
# scratch bytes a helper allocates for one kernel's launch; larger launches are not sent
MAX_SCRATCH_BYTES = 256 << 20
# a build faster than this found the program in PoCL's cache (a front end takes 0.5 s
# or more): its kernels most likely are there too, and the helpers are stopped
CACHED_BUILD_S = 0.15
# the estimated code generation cost of a kernel: its source length plus this many
# characters (the fixed part, about 50 ms, as much as 2.5 kB of source)
FIXED_COST_CHARS = 2500


def compiles_at_first_launch(device):
    """PoCL's CPU device generates each kernel's code at its first launch."""
    import pyopencl as cl
    return "Portable Computing Language" in device.platform_name and \
        bool(device.cl_device.type & cl.device_type.CPU)


def may_help(device, n_kernels):
    """Whether helpers could pay for a program of `n_kernels` kernels on `device` (the
    checks that need no source): the plan starts them this early, before rendering, so
    that their start-up (Python, pyopencl) overlaps the rendering."""
    return config.compile_workers > 0 and n_kernels >= MIN_KERNELS and compiles_at_first_launch(device) \
        and not getattr(sys, "frozen", False) and os.environ.get("POCL_KERNEL_CACHE", "1") != "0"
    # (frozen: a bundled application, whose sys.executable is the application itself;
    # POCL_KERNEL_CACHE=0: nothing a helper makes would be found)


def start_helpers(device, source, options, kernel_sources, after_build=False, spawned=None):
    """CompileHelpers for a program about to be built (or just built: `after_build`),
    or None where they would not pay; `spawned`: helper processes started earlier for
    it (stopped when not needed). `kernel_sources`: [(kernel function name, its source)]
    in first-launch order. A program that ran here before (a marker) needs none, unless
    its build took PoCL's front end after all (`after_build`: its cache was emptied)."""
    marker = _marker(device, source, options) if may_help(device, len(kernel_sources)) else None
    if marker is None or (os.path.exists(marker) and not after_build):
        if spawned is not None:
            spawned.stop()
        return None
    helpers = spawned or CompileHelpers(device)
    helpers.program(source, options, _starts(kernel_sources, len(helpers._procs)), marker)
    return helpers


def _marker(device, source, options):
    """The program's first-launch marker (cache.first_launch_marker), its folder made;
    None where it cannot be."""
    path = cache.first_launch_marker(device, source, options)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    except OSError:
        return None
    return path


def _starts(kernel_sources, workers):
    """[the kernels of helper i, in launch order] for i = 1..workers: the kernels are
    cut into workers + 1 shares of about equal estimated cost, the parent's first;
    helper i gets every kernel from the second to the last of share i + 1 and runs them
    backwards (helper `workers` thus starts at the last kernel)."""
    names = [n for n, _ in kernel_sources]
    costs = [len(src) + FIXED_COST_CHARS for _, src in kernel_sources]
    total, before, acc = sum(costs), [], 0
    for cost in costs:
        before.append(acc)
        acc += cost
    ends = [max(k for k in range(len(names)) if before[k] < total * (i + 1) / (workers + 1))
            for i in range(1, workers + 1)]
    return [names[1:end + 1] for end in ends if end >= 1]


class CompileHelpers:
    """The helper processes of one program: started (config.compile_workers of them),
    then given the program, then `built` once the parent's build is done, then the first
    call's launch of each of its kernels; the end of its input starts its backward
    pass."""

    def __init__(self, device):
        self.device, self.marker = device, None
        self.kernels, self.sent = [], set()
        self._procs, self._closed = [], False
        for _ in range(config.compile_workers):
            try:
                self._procs.append(subprocess.Popen(WORKER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                                    stderr=subprocess.DEVNULL, text=True))
            except OSError:
                break

    def program(self, source, options, kernel_lists, marker):
        """The program and each helper's kernels (see _starts)."""
        self.marker = marker
        self.kernels = [set(names) for names in kernel_lists] + [set()] * (len(self._procs) - len(kernel_lists))
        self._send_all({"platform": self.device.platform_name, "device": self.device.name,
                        "source": source, "options": list(options)}, range(len(self._procs)))

    def built(self):
        """The parent's build is done: the helpers' builds find it in PoCL's cache."""
        self._send_all({"built": True}, range(len(self._procs)))

    def launched(self, kernel, gsize, lsize, args, arg_dtypes):
        """The parent enqueued `kernel` with these arguments: the first launch of each
        kernel goes to the helpers that run it."""
        name = kernel.function_name
        if self._closed or name in self.sent:
            return
        self.sent.add(name)
        to = [k for k in range(len(self._procs)) if name in self.kernels[k]]
        if to:
            spec = _spec(name, gsize, lsize, args, arg_dtypes)
            if spec is not None:
                self._send_all(spec, to)

    def close(self, completed):
        """No more launches: the helpers start their backward passes and exit after
        them. `completed`: the call got this far without an error (the marker then
        records that PoCL's cache has the kernels, or soon will)."""
        if self._closed:
            return
        self._closed = True
        for proc in self._procs:
            try:
                proc.stdin.close()
            except OSError:
                pass
        if completed and self.marker is not None:
            try:
                with open(self.marker, "w"):
                    pass
            except OSError:
                pass

    def stop(self):
        """The helpers are not needed (PoCL's cache had the program)."""
        for proc in self._procs:
            proc.kill()
        self.close(completed=False)

    def _send_all(self, message, to):
        line = json.dumps(message) + "\n"
        for k in to:
            try:
                self._procs[k].stdin.write(line)
                self._procs[k].stdin.flush()
            except (OSError, ValueError):
                pass  # a helper that died: the parent generates what it would have


def _spec(name, gsize, lsize, args, arg_dtypes):
    """The launch as JSON for a helper: sizes, and per argument a buffer's byte size,
    local memory, or a scalar's bytes. None when its buffers are too large to copy."""
    import pyopencl as cl
    out, scratch = [], 0
    for k, a in enumerate(args):
        if isinstance(a, cl.MemoryObjectHolder):
            out.append(["b", a.size])
            scratch += a.size
        elif a is None:
            out.append(["n"])
        elif isinstance(a, cl.LocalMemory):
            out.append(["l", a.size])
        else:
            dtype = arg_dtypes[k] if arg_dtypes is not None and k < len(arg_dtypes) and arg_dtypes[k] is not None \
                else np.asarray(a).dtype
            out.append(["s", np.asarray(a, dtype=dtype).tobytes().hex()])
    if scratch > MAX_SCRATCH_BYTES:
        return None
    return {"kernel": name, "gsize": list(gsize), "lsize": None if lsize is None else list(lsize), "args": out}
