"""Choosing the OpenCL device: `config.device` ('' = first GPU else CPU, 'cpu', 'gpu',
'P:D' = platform P device D), one context and one in-order queue per device."""
import warnings

from ..config import config
from ..errors import DeviceError

__all__ = ["Device", "devices", "current", "INSTALL_HINT"]

INSTALL_HINT = ("clgraph needs an OpenCL driver. With no GPU driver installed, the CPU device from PyPI works "
                "everywhere: pip install 'clgraph[pocl]' (that is: pip install pocl-binary-distribution); "
                "on Debian/Ubuntu, apt-get install pocl-opencl-icd also works.")


def _cl():
    import pyopencl as cl
    return cl


def _platforms():
    cl = _cl()
    try:
        platforms = cl.get_platforms()
    except cl.Error as exc:
        raise DeviceError(f"no OpenCL platform found ({exc}). {INSTALL_HINT}") from None
    if not platforms:
        raise DeviceError(f"no OpenCL platform found. {INSTALL_HINT}")
    return platforms


class Device:
    """One OpenCL device with its context, queue and capabilities."""

    def __init__(self, cl_device, platform_index, device_index):
        cl = _cl()
        self.cl_device = cl_device
        self.platform_index, self.device_index = platform_index, device_index
        self.name = cl_device.name.strip()
        self.platform_name = cl_device.platform.name.strip()
        self.platform_version = cl_device.platform.version.strip()
        self.driver_version = cl_device.driver_version.strip()
        self.is_gpu = bool(cl_device.type & cl.device_type.GPU)
        extensions = cl_device.extensions.split()
        self.fp64 = "cl_khr_fp64" in extensions or cl_device.double_fp_config != 0
        self.fp16 = "cl_khr_fp16" in extensions
        self.global_mem = cl_device.global_mem_size
        self.context = cl.Context([cl_device])
        self.queue = cl.CommandQueue(self.context)
        self._profiling_queue = None

    @property
    def key(self):
        """Everything about the device that can change a compiled binary."""
        return (self.platform_name, self.platform_version, self.name, self.driver_version)

    @property
    def profiling_queue(self):
        if self._profiling_queue is None:
            cl = _cl()
            self._profiling_queue = cl.CommandQueue(
                self.context, properties=cl.command_queue_properties.PROFILING_ENABLE)
        return self._profiling_queue

    def require_fp64(self, what):
        if not self.fp64:
            raise DeviceError(f"{what} needs float64, but the OpenCL device '{self.name}' "
                              f"({self.platform_name}) has no cl_khr_fp64; use float32 "
                              "(clgraph.config.floatX = 'float32') or another device (CLGRAPH_DEVICE)")

    def __repr__(self):
        kind = "GPU" if self.is_gpu else "CPU"
        return f"<Device {self.platform_index}:{self.device_index} {self.name} [{kind}, {self.platform_name}]>"


def devices():
    """Every OpenCL device: a list of dicts (index 'P:D', name, platform, type, fp64,
    fp16, global memory)."""
    cl = _cl()
    out = []
    for p, platform in enumerate(_platforms()):
        try:
            devs = platform.get_devices()
        except cl.Error:
            continue
        for d, dev in enumerate(devs):
            ext = dev.extensions.split()
            out.append({
                "index": f"{p}:{d}", "name": dev.name.strip(), "platform": platform.name.strip(),
                "type": "GPU" if dev.type & cl.device_type.GPU else "CPU" if dev.type & cl.device_type.CPU
                else "other",
                "version": dev.version.strip(), "driver": dev.driver_version.strip(),
                "fp64": "cl_khr_fp64" in ext or dev.double_fp_config != 0, "fp16": "cl_khr_fp16" in ext,
                "global_mem_bytes": dev.global_mem_size, "compute_units": dev.max_compute_units,
            })
    return out


def _choose(spec):
    cl = _cl()
    platforms = _platforms()
    listing = [(p, d, dev) for p, pl in enumerate(platforms) for d, dev in enumerate(_safe_devices(pl))]
    if not listing:
        raise DeviceError(f"OpenCL platforms were found but no devices. {INSTALL_HINT}")
    spec = (spec or "").strip().lower()
    if spec.startswith("opencl"):
        spec = spec[len("opencl"):]
    if spec in ("", "gpu", "cpu"):
        want = {"gpu": [cl.device_type.GPU], "cpu": [cl.device_type.CPU],
                "": [cl.device_type.GPU, cl.device_type.CPU]}[spec]
        for kind in want:
            for p, d, dev in listing:
                if dev.type & kind:
                    return p, d, dev
        if spec == "":
            return listing[0]
        raise DeviceError(f"CLGRAPH_DEVICE={spec!r}: no {spec.upper()} device found; available: "
                          + "; ".join(f"{p}:{d} {dev.name.strip()}" for p, d, dev in listing)
                          + ("" if spec == "gpu" else f". {INSTALL_HINT}"))
    try:
        p, d = (int(x) for x in spec.split(":"))
    except ValueError:
        raise DeviceError(f"unknown device {spec!r}: use 'cpu', 'gpu' or 'P:D' (platform P, device D); "
                          "`python -m clgraph.info` lists them") from None
    for pp, dd, dev in listing:
        if (pp, dd) == (p, d):
            return pp, dd, dev
    raise DeviceError(f"device {spec!r} does not exist; available: "
                      + "; ".join(f"{pp}:{dd} {dev.name.strip()}" for pp, dd, dev in listing))


def _safe_devices(platform):
    try:
        return platform.get_devices()
    except _cl().Error:
        return []


_current = {}


def current():
    """The Device that `config.device` names (created once per spec)."""
    spec = config.device
    dev = _current.get(spec)
    if dev is None:
        p, d, cl_device = _choose(spec)
        for other in _current.values():
            if (other.platform_index, other.device_index) == (p, d):
                dev = other
                break
        else:
            dev = Device(cl_device, p, d)
        if _current and all(o is not dev for o in _current.values()):
            warnings.warn(f"clgraph.config.device changed to {spec!r}: new functions run on {dev.name}; "
                          "shared variables created before stay on their device", stacklevel=2)
        _current[spec] = dev
    return dev
