"""Build rendered OpenCL C into a pyopencl Program: from memory (same process), from
the disk cache (clgraph.cache), or by compiling the source. A build failure shows the
compiler's message next to the offending source lines."""
import re

from .. import cache
from ..config import config
from ..errors import KernelBuildError

__all__ = ["build_program", "clear_memory_cache"]

_programs = {}

_ERROR_LINE = re.compile(r":(\d+):(\d+):\s*(?:error:\s*)?(.*)")


def build_program(device, source, options=()):
    key = (device.key, source, tuple(options))
    program = _programs.get(key)
    if program is None:
        if uses_disk_cache(device):
            program = _from_disk(device, source, options) or _compile(device, source, options)
        else:
            program = _compile(device, source, options, store=False)
        _programs[key] = program
    return program


def uses_disk_cache(device):
    """config.cache_binaries: 'auto' keeps binaries only for drivers without a build
    cache of their own (PoCL and NVIDIA's have one, and PoCL compiles every kernel once
    more to produce a binary: seconds for a training step)."""
    mode = config.cache_binaries
    if mode != "auto":
        return mode == "always"
    from pyopencl.characterize import has_src_build_cache
    return not has_src_build_cache(device.cl_device)


def _from_disk(device, source, options):
    import pyopencl as cl
    key, parts = cache.entry_key(device, source, options)
    binary = cache.load(key, parts)
    if binary is None:
        return None
    try:
        return cl.Program(device.context, [device.cl_device], [binary]).build(options=list(options))
    except cl.Error as exc:
        cache.discard(key, f"the driver refused it: {str(exc).splitlines()[0]}")
        return None


def _compile(device, source, options, store=True):
    import pyopencl as cl
    try:
        program = cl.Program(device.context, source).build(options=list(options))
    except cl.RuntimeError as exc:
        raise KernelBuildError(_explain(device, source, str(exc))) from None
    if not store:
        return program
    key, parts = cache.entry_key(device, source, options)
    binaries = program.get_info(cl.program_info.BINARIES)
    if binaries and binaries[0]:
        cache.store(key, parts, bytes(binaries[0]), source)
    return program


def clear_memory_cache():
    _programs.clear()


def _explain(device, source, log):
    lines = source.splitlines()
    shown = []
    for text in log.splitlines():
        m = _ERROR_LINE.search(text)
        if "error" not in text or m is None:
            continue
        n = int(m.group(1))
        if 1 <= n <= len(lines):
            shown.append(f"  line {n}: {lines[n - 1].strip()}\n    error: {m.group(3).strip()}")
    head = f"OpenCL build failed on {device.name} ({device.platform_name})"
    if shown:
        return head + ":\n" + "\n".join(shown[:10])
    tail = "\n".join(log.strip().splitlines()[-20:])
    return f"{head}:\n{tail}"
