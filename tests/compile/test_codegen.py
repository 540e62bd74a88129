"""Fusion into one kernel, the rendered source, template overrides, build errors."""
import os
import re

import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.codegen.lookup import BUILTIN_DIR
from clgraph.tensor import nnet


def test_connected_elementwise_region_is_one_vectorised_kernel(rng):
    x = T.vector("x")
    y = T.tanh(0.75 * x + 0.25) * nnet.sigmoid(x) + x * x / (1 + abs(x))
    f = clgraph.function([x], y)
    assert len(f.kernels) == 1
    src = f.kernels[0].source
    assert "float8" in src and "vload8" in src and "vstore8" in src
    assert "fma(" not in src and "mad(" not in src  # slow on PoCL: plain arithmetic only
    assert f.kernels[0].template.endswith("elemwise.cl.mako")
    v = rng.uniform(-4, 4, 1003).astype("float32")
    want = np.tanh(0.75 * v + 0.25) / (1 + np.exp(-v)) + v * v / (1 + np.abs(v))
    np.testing.assert_allclose(f(v), want, rtol=1e-5, atol=1e-6)


def test_gradient_graph_fuses(rng):
    x = T.vector("x")
    cost = T.sum(T.tanh(x) * nnet.sigmoid(x))
    g = clgraph.grad(cost, x)
    f = clgraph.function([x], g)
    # one elementwise kernel for the whole derivative (the sum's gradient is a broadcast)
    assert len(f.kernels) == 1, [k.name for k in f.kernels]
    v = rng.normal(size=50)
    s, t = 1 / (1 + np.exp(-v)), np.tanh(v)
    # the two terms (up to ~0.25) cancel where the derivative crosses zero: float32
    # rounding is relative to them, hence the absolute tolerance
    np.testing.assert_allclose(f(v.astype("float32")), (1 - t * t) * s + t * s * (1 - s), rtol=1e-5, atol=1e-6)


def test_several_outputs_of_one_region_share_a_kernel(rng):
    x = T.matrix("x")
    e = T.exp(x)
    f = clgraph.function([x], [e, e * 2 + 1])
    assert len(f.kernels) == 1
    v = rng.normal(size=(3, 5)).astype("float32")
    a, b = f(v)
    np.testing.assert_allclose(a, np.exp(v), rtol=1e-6)
    np.testing.assert_allclose(b, np.exp(v) * 2 + 1, rtol=1e-6)


def test_kernel_specialised_on_structure_not_size():
    x = T.matrix("x")
    b = T.vector("b")
    f = clgraph.function([x, b], x + b)
    src = f.kernels[0].source
    # sizes and strides are arguments, never constants in the source
    assert "dim0" in src and "in1_s1" in src or "in0_s1" in src
    for shape in [(2, 3), (7, 1), (1, 9)]:
        xv = np.ones(shape, "float32")
        bv = np.arange(shape[1], dtype="float32")
        np.testing.assert_array_equal(f(xv, bv), xv + bv)


def test_transposed_operand_is_read_with_strides(rng):
    x = T.matrix("x")
    f = clgraph.function([x], x.T * 2 + x.T)
    v = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(f(v), v.T * 3, rtol=1e-6)
    assert len(f.kernels) == 1
    np.testing.assert_array_equal(clgraph.function([x], x.T)(v), v.T)


def test_user_template_overrides_builtin(tmp_path, rng):
    with open(os.path.join(BUILTIN_DIR, "elemwise.cl.mako")) as fh:
        text = fh.read()
    marker = "/* my own elementwise template */"
    (tmp_path / "elemwise.cl.mako").write_text(text.replace("__kernel void", marker + "\n__kernel void", 1))
    x = T.vector("x")
    with clgraph.config.change(template_path=[str(tmp_path)]):
        f = clgraph.function([x], T.exp(x) + 1)
    assert marker in f.kernels[0].source
    assert f.kernels[0].template == str(tmp_path / "elemwise.cl.mako")
    v = rng.normal(size=10).astype("float32")
    np.testing.assert_allclose(f(v), np.exp(v) + 1, rtol=1e-6)
    g = clgraph.function([x], T.exp(x) + 1)  # back to the built-in
    assert marker not in g.kernels[0].source


def test_build_failure_shows_offending_source_line(tmp_path):
    with open(os.path.join(BUILTIN_DIR, "elemwise.cl.mako")) as fh:
        text = fh.read()
    bad = text.replace("const long gid = get_global_id(0);",
                       "const long gid = get_global_id(0);\n    undeclared_thing = 3;", 1)
    (tmp_path / "elemwise.cl.mako").write_text(bad)
    x = T.vector("x")
    with clgraph.config.change(template_path=[str(tmp_path)]):
        with pytest.raises(clgraph.KernelBuildError, match=r"(?s)line \d+: undeclared_thing = 3;.*undeclared"):
            clgraph.function([x], T.exp(x) + 1)


def test_template_error_names_template_line(tmp_path):
    (tmp_path / "elemwise.cl.mako").write_text("<%page args='name'/>\n${no_such_parameter}\n")
    x = T.vector("x")
    with clgraph.config.change(template_path=[str(tmp_path)]):
        with pytest.raises(clgraph.TemplateError, match=r"elemwise.cl.mako"):
            clgraph.function([x], T.exp(x) + 1)


def test_program_holds_every_kernel_once(rng):
    x = T.matrix("x")
    f = clgraph.function([x], [T.exp(x).sum(axis=1), x.max(axis=0)])
    names = [k.name for k in f.kernels]
    assert len(names) == len(set(names)) == 2  # exp runs inside the first reduction
    for k in f.kernels:
        assert re.search(r"__kernel void " + k.name + r"\(", f.plan.program_source)
    v = rng.normal(size=(4, 6)).astype("float32")
    s, m = f(v)
    np.testing.assert_allclose(s, np.exp(v).sum(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(m, v.max(axis=0))


def test_fp64_kernels_enable_the_extension():
    x = T.dvector()
    src = clgraph.function([x], x * 2).kernels[0].source
    assert "cl_khr_fp64" in src and "double" in src
    y = T.fvector()
    assert "cl_khr_fp64" not in clgraph.function([y], y * 0 + 1).kernels[0].source


def test_compiled_templates_are_kept_on_disk_and_rebuilt_when_edited(tmp_path, rng, monkeypatch):
    """Mako's Python modules for the templates live in the disk cache (a new process
    skips compiling them); editing an override template rebuilds its module."""
    from clgraph.codegen import lookup
    with open(os.path.join(BUILTIN_DIR, "elemwise.cl.mako")) as fh:
        text = fh.read()
    user = tmp_path / "templates"
    user.mkdir()
    (user / "elemwise.cl.mako").write_text(text.replace("__kernel void", "/* first */\n__kernel void", 1))
    x = T.vector("x")
    with clgraph.config.change(template_path=[str(user)], cache_dir=str(tmp_path / "cache")):
        f = clgraph.function([x], T.exp(x) + 1)
        assert "/* first */" in f.kernels[0].source
        modules = list((tmp_path / "cache" / "mako").rglob("*.py"))
        assert any(m.name.startswith("elemwise.cl.mako") for m in modules)
        monkeypatch.setattr(lookup, "_lookups", {})  # as in a new process
        path = user / "elemwise.cl.mako"
        path.write_text(text.replace("__kernel void", "/* second */\n__kernel void", 1))
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        g = clgraph.function([x], T.exp(x) + 2)
        assert "/* second */" in g.kernels[0].source
    v = rng.normal(size=5).astype("float32")
    np.testing.assert_allclose(g(v), np.exp(v) + 2, rtol=1e-6)


def test_a_template_edited_in_the_second_its_module_was_written_is_rebuilt(tmp_path, monkeypatch):
    """Mako compares whole seconds: an edit right after a compile (a checkout, a
    `git stash pop`, an editor saving twice) must still reach the kernels."""
    from clgraph.codegen import lookup
    with open(os.path.join(BUILTIN_DIR, "elemwise.cl.mako")) as fh:
        text = fh.read()
    user = tmp_path / "templates"
    user.mkdir()
    path = user / "elemwise.cl.mako"
    path.write_text(text.replace("__kernel void", "/* first */\n__kernel void", 1))
    x = T.vector("x")
    with clgraph.config.change(template_path=[str(user)], cache_dir=str(tmp_path / "cache")):
        assert "/* first */" in clgraph.function([x], T.exp(x) + 1).kernels[0].source
        module = next(m for m in (tmp_path / "cache" / "mako").rglob("elemwise.cl.mako.py"))
        monkeypatch.setattr(lookup, "_lookups", {})  # as in a new process
        path.write_text(text.replace("__kernel void", "/* second */\n__kernel void", 1))
        written = module.stat().st_mtime_ns
        os.utime(path, ns=(written, written))  # the same instant as the module
        assert "/* second */" in clgraph.function([x], T.exp(x) + 2).kernels[0].source
