"""Helper processes that generate kernel code beside a new function's first call on
PoCL (runtime/parallel_compile.py): they get the call's launches, the results are the
same whatever they do (finish, fail, die, hang), and a program that ran before starts
none."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.runtime import parallel_compile as pc


@pytest.fixture
def pocl(opencl_device):
    if not pc.compiles_at_first_launch(opencl_device):
        pytest.skip("the device builds every kernel at clBuildProgram: no helpers to test")
    return opencl_device


def training_step(salt):
    """A function of a dozen kernels (GEMMs, reductions, elementwise), made new to
    PoCL's cache by `salt` (a constant in its source), with its numpy reference."""
    rng = np.random.default_rng(7)
    xv = rng.normal(size=(40, 12)).astype("float32")
    yv = rng.normal(size=(40, 3)).astype("float32")
    w1v = rng.normal(size=(12, 16)).astype("float32") * 0.3
    w2v = rng.normal(size=(16, 3)).astype("float32") * 0.3
    x, y = T.fmatrix("x"), T.fmatrix("y")
    w1, w2 = clgraph.shared(w1v.copy()), clgraph.shared(w2v.copy())
    h = T.tanh(T.dot(x, w1) * np.float32(salt))
    out = T.nnet.softmax(T.dot(h, w2))
    loss = T.mean(T.sum(T.sqr(out - y), axis=1))
    g1, g2 = clgraph.grad(loss, [w1, w2])
    f = clgraph.function([x, y], loss, updates=[(w1, w1 - 0.1 * g1), (w2, w2 - 0.1 * g2)])

    def reference():
        hh = np.tanh((xv @ w1v) * np.float32(salt))
        z = hh @ w2v
        e = np.exp(z - z.max(1, keepdims=True))
        o = e / e.sum(1, keepdims=True)
        d = 2 * (o - yv) / len(xv)  # d loss / d out
        dz = (d - (d * o).sum(1, keepdims=True)) * o
        gw2 = hh.T @ dz
        gw1 = xv.T @ ((dz @ w2v.T) * (1 - hh ** 2) * np.float32(salt))
        return np.mean(np.sum((o - yv) ** 2, axis=1)), w1v - 0.1 * gw1, w2v - 0.1 * gw2

    return f, (xv, yv), (w1, w2), reference


def new_salt():
    return np.float32(1 + (time.time_ns() % 1_000_003) * 1e-7)


def check(f, data, shared, reference):
    loss = f(*data)
    want_loss, want_w1, want_w2 = reference()
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(shared[0].get_value(), want_w1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(shared[1].get_value(), want_w2, rtol=1e-4, atol=1e-6)


def test_helpers_get_the_first_calls_launches_and_results_are_unchanged(pocl, tmp_path, monkeypatch):
    report = tmp_path / "report.txt"
    tee = ("import runpy, sys; sys.stdout = open(sys.argv[1], 'w'); sys.argv = sys.argv[2:]; "
           "runpy.run_path(sys.argv[0], run_name='__main__')")
    monkeypatch.setattr(pc, "WORKER_COMMAND", [sys.executable, "-c", tee, str(report)] + pc.WORKER_COMMAND[1:])
    salt = new_salt()
    with clgraph.config.change(cache_dir=str(tmp_path), compile_workers=1):
        f, data, shared, reference = training_step(salt)
        helpers = f.plan._helpers
        assert helpers is not None, "a new program of a dozen kernels starts a helper"
        (mine,) = helpers.kernels
        names = [n for n, _ in f.plan._kernel_sources()]
        assert mine == set(names[1:])  # one helper: all but the first, run backwards
        check(f, data, shared, reference)
        # every kernel the call launched went to the helper, but the first
        assert len(helpers.sent) >= 8 and helpers.sent - mine == {names[0]} and helpers._closed
        assert os.path.exists(helpers.marker)
        (proc,) = helpers._procs
        assert proc.wait(timeout=300) == 0
        # the helper ran every launch it got, from the last one back
        launched = [n for n in names if n in helpers.sent and n != names[0]]
        assert report.read_text().split("\n")[:-1] == ["done " + n for n in reversed(launched)]
        # the same program again: it ran here before, no helper (those started while it
        # was rendered are stopped)
        assert pc.start_helpers(pocl, f.plan.program_source, (), f.plan._kernel_sources()) is None
        spawned = []
        monkeypatch.setattr(pc.CompileHelpers, "stop", lambda self: spawned.append(self) or [
            p.kill() for p in self._procs])
        g = training_step(salt)[0]
        assert g.plan._helpers is None and len(spawned) == 1
        clgraph.cache.clear()  # the markers go with the rest of clgraph's cache
        assert not os.path.exists(helpers.marker)


@pytest.mark.parametrize("worker", [
    "pass",  # exits at once
    "import sys\nfor line in sys.stdin: print('fail x', flush=True)",  # fails everything
    "import time; time.sleep(600)",  # hangs, reading nothing
])
def test_a_helper_that_fails_or_hangs_changes_no_result(pocl, tmp_path, monkeypatch, worker):
    monkeypatch.setattr(pc, "WORKER_COMMAND", [sys.executable, "-c", worker])
    with clgraph.config.change(cache_dir=str(tmp_path), compile_workers=1):
        f, data, shared, reference = training_step(new_salt())
        helpers = f.plan._helpers
        assert helpers is not None
        check(f, data, shared, reference)
        for proc in helpers._procs:
            proc.kill()


def test_helpers_start_after_a_slow_build_whatever_the_marker_says(pocl, tmp_path, monkeypatch):
    """The marker says the program ran here, but PoCL's front end ran (its cache was
    emptied since): helpers after the build."""
    salt = new_salt()
    with clgraph.config.change(cache_dir=str(tmp_path), compile_workers=1):
        f, data, shared, reference = training_step(salt)
        check(f, data, shared, reference)
        monkeypatch.setattr(pc, "CACHED_BUILD_S", 0.0)  # every build counts as a front end
        g, data, shared, reference = training_step(salt)
        assert g.plan._helpers is not None
        check(g, data, shared, reference)
        monkeypatch.setattr(pc, "CACHED_BUILD_S", 1e9)  # every build counts as a cache hit
        h, *_ = training_step(salt)
        assert h.plan._helpers is None


def test_helpers_stop_when_the_build_was_cached(pocl, tmp_path, monkeypatch):
    """A build that PoCL finds in its cache (fast) means its kernels are most likely
    there too: the helpers are stopped."""
    salt = new_salt()
    with clgraph.config.change(cache_dir=str(tmp_path / "a"), compile_workers=0):
        f, data, shared, reference = training_step(salt)
        check(f, data, shared, reference)
    monkeypatch.setattr(pc, "CACHED_BUILD_S", 1e9)  # every build counts as cached
    started = []
    monkeypatch.setattr(pc.CompileHelpers, "stop", lambda self: started.append(self) or pc.CompileHelpers.close(
        self, completed=False) or [p.kill() for p in self._procs])
    with clgraph.config.change(cache_dir=str(tmp_path / "b"), compile_workers=1):
        g, data, shared, reference = training_step(salt)
        assert g.plan._helpers is None and len(started) == 1
        check(g, data, shared, reference)


def test_no_helpers_when_turned_off_or_for_a_few_kernels(pocl, tmp_path, monkeypatch):
    with clgraph.config.change(cache_dir=str(tmp_path), compile_workers=0):
        f, *_ = training_step(new_salt())
        assert f.plan._helpers is None
    with clgraph.config.change(cache_dir=str(tmp_path), compile_workers=2):
        x = T.fvector("x")
        assert clgraph.function([x], T.exp(x * new_salt())).plan._helpers is None
        monkeypatch.setenv("POCL_KERNEL_CACHE", "0")  # nothing a helper makes would be found
        f, *_ = training_step(new_salt())
        assert f.plan._helpers is None


def test_helpers_start_at_the_ends_of_equal_shares():
    kernels = [(f"k{i}", "x" * size) for i, size in enumerate([1000, 9000, 9000, 1000, 1000, 9000, 1000, 3000])]
    names = [n for n, _ in kernels]
    (one,) = pc._starts(kernels, 1)
    assert one == names[1:]  # from the last kernel back to the second
    first, second = pc._starts(kernels, 2)
    assert second == names[1:]
    cost = [len(src) + pc.FIXED_COST_CHARS for _, src in kernels]
    end = len(first)  # the middle share ends at kernel `end`: about two thirds of the cost
    assert first == names[1:end + 1] and 0.45 < sum(cost[:end + 1]) / sum(cost) < 0.85
    assert pc._starts(kernels[:1], 1) == []  # the parent keeps its first kernel


def test_the_worker_runs_a_launch_and_reports_it(pocl):
    source = "__kernel void k(__global float *a, const long n) { if (get_global_id(0) < n) a[0] += 1; }"
    lines = [{"platform": pocl.platform_name, "device": pocl.name, "source": source, "options": []},
             {"built": True},
             {"kernel": "k", "gsize": [64], "lsize": [64],
              "args": [["b", 256], ["s", np.int64(3).tobytes().hex()]]},
             {"kernel": "nope", "gsize": [1], "lsize": [1], "args": []}]
    out = subprocess.run(pc.WORKER_COMMAND, text=True, timeout=120,
                         input="".join(json.dumps(m) + "\n" for m in lines), capture_output=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["fail nope", "done k"]  # backwards


def test_compile_workers_option_is_checked():
    with pytest.raises(ValueError, match="compile_workers"):
        clgraph.config.compile_workers = -1
    with pytest.raises(ValueError, match="compile_workers"):
        clgraph.config.compile_workers = 1.5
