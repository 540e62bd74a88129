"""The on-disk program cache: miss then hit, damaged entries rebuilt, clear()."""
import glob
import os
import subprocess
import sys

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph import cache
from clgraph.codegen import program


@pytest.fixture
def fresh_cache(tmp_path):
    # 'always': PoCL caches builds itself, so 'auto' would store nothing here
    with clgraph.config.change(cache_dir=str(tmp_path), cache_binaries="always"):
        program.clear_memory_cache()
        yield tmp_path
        program.clear_memory_cache()


def _compile_and_run(marker):
    x = T.vector("x")
    f = clgraph.function([x], T.exp(x) * marker + 1)  # the marker makes the source unique
    np.testing.assert_allclose(f(np.ones(3, "float32")), np.exp(1) * marker + 1, rtol=1e-6)
    return f


def test_miss_then_hit(fresh_cache):
    before = dict(cache.stats)
    _compile_and_run(3.25)
    assert cache.stats["misses"] == before["misses"] + 1
    entries = glob.glob(os.path.join(str(fresh_cache), "programs", "*", "*"))
    assert len(entries) == 1
    assert sorted(os.listdir(entries[0])) == ["binary", "meta.json", "source.cl"]
    program.clear_memory_cache()
    _compile_and_run(3.25)
    assert cache.stats["hits"] == before["hits"] + 1


def test_damaged_entry_is_rebuilt_with_a_warning(fresh_cache):
    _compile_and_run(4.5)
    (entry,) = glob.glob(os.path.join(str(fresh_cache), "programs", "*", "*"))
    with open(os.path.join(entry, "binary"), "r+b") as fh:
        fh.seek(10)
        fh.write(b"garbage!")
    program.clear_memory_cache()
    with pytest.warns(UserWarning, match="damaged"):
        _compile_and_run(4.5)
    # rebuilt and stored again
    assert glob.glob(os.path.join(str(fresh_cache), "programs", "*", "*", "binary"))
    program.clear_memory_cache()
    with open(os.path.join(entry, "meta.json"), "w") as fh:
        fh.write("{not json")
    with pytest.warns(UserWarning, match="damaged"):
        _compile_and_run(4.5)


def test_key_names_source_device_and_versions():
    dev = clgraph.device()
    k1, parts = cache.entry_key(dev, "kernel void a() {}", ())
    k2, _ = cache.entry_key(dev, "kernel void a() { }", ())
    k3, _ = cache.entry_key(dev, "kernel void a() {}", ("-DX",))
    assert len({k1, k2, k3}) == 3
    assert parts["device"] == list(dev.key) and parts["clgraph"] == clgraph.__version__


def test_clear(fresh_cache):
    _compile_and_run(5.75)
    assert os.path.isdir(os.path.join(str(fresh_cache), "programs"))
    clgraph.cache.clear()
    assert not os.path.exists(os.path.join(str(fresh_cache), "programs"))


def test_new_process_uses_the_cache(fresh_cache):
    code = ("import numpy as np, clgraph, clgraph.tensor as T\n"
            "x = T.vector(); f = clgraph.function([x], T.exp(x) * 6.5 + 1)\n"
            "f(np.ones(2, 'float32'))\n"
            "print(clgraph.cache.stats['hits'], clgraph.cache.stats['misses'])\n")
    env = {**os.environ, "CLGRAPH_CACHE_DIR": str(fresh_cache), "CLGRAPH_CACHE_BINARIES": "always"}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert first.stdout.split() == ["0", "1"], first.stderr
    assert second.stdout.split() == ["1", "0"], second.stderr


def test_auto_skips_drivers_that_cache_builds_themselves(fresh_cache):
    from pyopencl.characterize import has_src_build_cache
    dev = clgraph.device()
    with clgraph.config.change(cache_binaries="auto"):
        assert program.uses_disk_cache(dev) == (not has_src_build_cache(dev.cl_device))
    with clgraph.config.change(cache_binaries="never"):
        program.clear_memory_cache()
        _compile_and_run(7.25)
        assert not glob.glob(os.path.join(str(fresh_cache), "programs", "*", "*"))
    with pytest.raises(ValueError, match="cache_binaries"):
        clgraph.config.cache_binaries = "sometimes"
