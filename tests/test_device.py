"""Device listing and selection, config, python -m clgraph.info."""
import os
import subprocess
import sys

import pytest

import clgraph
from clgraph.config import Config
from clgraph.runtime import device as device_mod


def test_devices_lists_the_device_in_use():
    listing = clgraph.devices()
    assert listing, "no OpenCL device: the test suite must not run without one"
    dev = clgraph.device()
    assert any(d["name"] == dev.name for d in listing)
    for d in listing:
        assert set(d) >= {"index", "name", "platform", "type", "fp64", "fp16", "global_mem_bytes"}


def test_device_strings():
    cpu_or_gpu = {d["type"] for d in clgraph.devices()}
    for spec in ["cpu", "gpu"]:
        if spec.upper() in cpu_or_gpu:
            p, d, dev = device_mod._choose(spec)
            assert dev.name.strip() == clgraph.devices()[[x["index"] for x in clgraph.devices()].index(f"{p}:{d}")]["name"]
    p, d, _ = device_mod._choose("0:0")
    assert (p, d) == (0, 0)
    for bad, pattern in [("bogus", "unknown device 'bogus'"), ("9:9", "does not exist"),
                         ("opencl5:0", "does not exist")]:
        with pytest.raises(clgraph.DeviceError, match=pattern):
            device_mod._choose(bad)
    if "GPU" not in cpu_or_gpu:
        with pytest.raises(clgraph.DeviceError, match="no GPU device found"):
            device_mod._choose("gpu")


def test_default_prefers_gpu_else_cpu():
    _, _, dev = device_mod._choose("")
    types = {d["type"] for d in clgraph.devices()}
    want = "GPU" if "GPU" in types else "CPU"
    import pyopencl as cl
    kind = cl.device_type.GPU if want == "GPU" else cl.device_type.CPU
    assert dev.type & kind


def test_no_platform_gives_install_hint(monkeypatch):
    import pyopencl as cl

    def no_platforms():
        raise cl.LogicError("clGetPlatformIDs failed: PLATFORM_NOT_FOUND_KHR")
    monkeypatch.setattr(cl, "get_platforms", no_platforms)
    with pytest.raises(clgraph.DeviceError, match="pocl-binary-distribution"):
        device_mod._choose("")


def test_fp64_requirement_names_device():
    dev = clgraph.device()
    if dev.fp64:
        dev.require_fp64("x")  # no error
        saved = dev.fp64
        dev.fp64 = False
        try:
            with pytest.raises(clgraph.DeviceError, match=dev.name):
                dev.require_fp64("an op")
        finally:
            dev.fp64 = saved


def test_config_reads_environment_and_change():
    cfg = Config({"CLGRAPH_DEVICE": "0:1", "CLGRAPH_FLOATX": "float64", "CLGRAPH_CACHE_DIR": "/tmp/x",
                  "CLGRAPH_TEMPLATE_PATH": os.pathsep.join(["/a", "/b"])})
    assert (cfg.device, cfg.floatX, cfg.cache_dir, cfg.template_path) == ("0:1", "float64", "/tmp/x", ["/a", "/b"])
    assert Config({}).floatX == "float32"
    with cfg.change(floatX="float32"):
        assert cfg.floatX == "float32"
    assert cfg.floatX == "float64"
    with pytest.raises(AttributeError, match="no option"):
        cfg.flaotX = "float32"
    with pytest.raises(ValueError):
        cfg.floatX = "float16"


def test_floatx_decides_default_variable_dtype():
    import clgraph.tensor as T
    with clgraph.config.change(floatX="float64"):
        assert T.matrix().dtype == "float64"
    assert T.matrix().dtype == "float32"


def test_info_command():
    out = subprocess.run([sys.executable, "-m", "clgraph.info"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "in use:" in out.stdout and clgraph.device().name in out.stdout
    bad = subprocess.run([sys.executable, "-m", "clgraph.info"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "CLGRAPH_DEVICE": "bogus"})
    assert bad.returncode == 1 and "unknown device" in bad.stdout
