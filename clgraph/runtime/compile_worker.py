"""A helper process of runtime/parallel_compile.py: fills PoCL's kernel cache with the
machine code of kernels its parent process is launching for the first time.

It starts while its parent renders the program (and imports pyopencl meanwhile), then
reads JSON lines on stdin: the program (platform and device names, source, build
options), then {"built": true} once the parent's build is done (this build then finds
the front-end result in PoCL's cache), then the parent's first launch of each kernel.
At the end of its input it runs those launches from the last one backwards, each on one
work-group (PoCL specialises the code for the work-group size, not for the number of
groups), with the launch's scalar arguments and zero-filled scratch buffers of the
launch's sizes: the kernel reads and writes only what it would for those sizes. A launch
the parent has already run finds its code in the cache and costs milliseconds. Prints
`done <kernel>` or `fail <kernel>` after each; gives up after TIMEOUT_S.
Runs as a script, without importing clgraph.
"""
import json
import sys

TIMEOUT_S = 300
# scratch bytes kept between launches
SCRATCH_LIMIT = 512 << 20


def _device(platform_name, device_name):
    import pyopencl as cl
    for platform in cl.get_platforms():
        if platform.name.strip() != platform_name:
            continue
        for dev in platform.get_devices():
            if dev.name.strip() == device_name:
                return dev
    return None


def _launch(ctx, queue, program, spec, scratch):
    import numpy as np
    import pyopencl as cl
    kernel = cl.Kernel(program, spec["kernel"])
    if sum(scratch) > SCRATCH_LIMIT:
        scratch.clear()  # (buffers of earlier launches, by size)
    for k, (kind, *value) in enumerate(spec["args"]):
        if kind == "b":
            size = max(1, value[0])
            buf = scratch.get(size)
            if buf is None:
                buf = scratch[size] = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, size)
                cl.enqueue_fill_buffer(queue, buf, np.uint8(0), 0, size)
            kernel.set_arg(k, buf)
        elif kind == "l":
            kernel.set_arg(k, cl.LocalMemory(value[0]))
        elif kind == "n":
            kernel.set_arg(k, None)
        else:
            kernel.set_arg(k, np.frombuffer(bytes.fromhex(value[0]), np.uint8))
    lsize = spec["lsize"]
    gsize = spec["gsize"] if lsize is None else lsize  # one work-group
    cl.enqueue_nd_range_kernel(queue, kernel, gsize, lsize)
    queue.finish()


def main():
    # a thread drains stdin from the start, so that the parent never waits on the pipe
    # while this process imports pyopencl
    import queue
    import threading
    lines = queue.Queue()

    def read():
        for line in sys.stdin:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    import signal
    if hasattr(signal, "alarm"):
        signal.alarm(TIMEOUT_S)
    import pyopencl as cl
    first = lines.get()
    if first is None:
        return  # not needed after all
    header = json.loads(first)
    dev = _device(header["platform"], header["device"])
    if dev is None:
        return
    ctx = cl.Context([dev])
    queue_ = cl.CommandQueue(ctx)
    program, launches, scratch = None, [], {}
    for line in iter(lines.get, None):
        message = json.loads(line)
        if program is None:
            program = cl.Program(ctx, header["source"]).build(options=header["options"])
        if "kernel" in message:
            launches.append(message)
    for spec in reversed(launches):
        try:
            _launch(ctx, queue_, program, spec, scratch)
            print("done", spec["kernel"], flush=True)
        except Exception:  # the parent generates this one itself
            print("fail", spec["kernel"], flush=True)


if __name__ == "__main__":
    main()
