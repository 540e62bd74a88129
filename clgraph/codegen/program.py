"""Build rendered OpenCL C into a pyopencl Program, once per (device, source).
A build failure shows the compiler's message next to the offending source lines."""
import re

from ..errors import KernelBuildError

__all__ = ["build_program", "clear_memory_cache"]

_programs = {}

_ERROR_LINE = re.compile(r":(\d+):(\d+):\s*(?:error:\s*)?(.*)")


def build_program(device, source, options=()):
    key = (device.key, source, tuple(options))
    program = _programs.get(key)
    if program is None:
        import pyopencl as cl
        try:
            program = cl.Program(device.context, source).build(options=list(options))
        except cl.RuntimeError as exc:
            raise KernelBuildError(_explain(device, source, str(exc))) from None
        _programs[key] = program
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
