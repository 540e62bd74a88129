"""clgraph.printing: debugprint (text tree, shared subtrees by id, kernels of a
Function) and to_dot (Graphviz text, one cluster per fused kernel)."""
import io
import re
import subprocess
import sys

import numpy as np
import pytest

import clgraph
import clgraph.printing
import clgraph.tensor as T
from clgraph.printing import debugprint, to_dot

_LINE = re.compile(r"^((?: \|)*)(\S+) \[id ([A-Z]+)\] '([^']*)'  (\w+) (\(.*\))$")


def _parse(text):
    """[(depth, label, id, name, dtype, pattern)] of the tree lines of debugprint."""
    out = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            out.append((len(m.group(1)) // 2,) + m.groups()[1:])
    return out


def test_debugprint_small_graph_exact():
    x = T.vector("x")
    a = T.exp(x)
    y = a * a + x
    y.name = "y"
    text = debugprint(y, file="str")
    assert text.splitlines() == [
        "Elemwise{add} [id A] 'y'  float32 (?)",
        " |Elemwise{mul} [id B] ''  float32 (?)",
        " | |Elemwise{exp} [id C] ''  float32 (?)",
        " | | |Input [id D] 'x'  float32 (?)",
        " | |Elemwise{exp} [id C] ''  float32 (?)",  # the shared subtree: by id, not reprinted
        " |Input [id D] 'x'  float32 (?)",
    ]


def test_debugprint_ids_are_shared_across_roots_and_leaves_show_kinds():
    m = T.matrix("m")
    w = clgraph.shared(np.zeros((1, 3), "float32"), name="w", broadcastable=(True, False))
    s = m * w
    rows = _parse(debugprint([s + 2, s], file="str"))
    ids = {}
    for depth, label, id_, name, dtype, pattern in rows:
        assert ids.setdefault(id_, (label, name, dtype, pattern)) == (label, name, dtype, pattern)
    labels = [r[1] for r in rows]
    assert labels.count("Elemwise{mul}") == 2  # printed under both roots, one id
    (mul_id,) = {r[2] for r in rows if r[1] == "Elemwise{mul}"}
    assert rows[-1][:3] == (0, "Elemwise{mul}", mul_id)
    assert ("Shared", "w", "float32", "(1, ?)") in {r[1:2] + r[3:] for r in rows}
    assert ("Constant{2.0}", "float32") in {(r[1], r[4]) for r in rows}


def test_debugprint_writes_to_files_and_stdout(capsys):
    x = T.scalar("x")
    buf = io.StringIO()
    assert debugprint(x * 2, file=buf) is buf
    assert debugprint(x * 2) is None
    assert capsys.readouterr().out == buf.getvalue() == debugprint(x * 2, file="str")
    with pytest.raises(TypeError, match="debugprint"):
        debugprint(3)


def test_debugprint_deep_graph_needs_no_recursion():
    y = x = T.scalar("x")
    for _ in range(3000):
        y = y + 1
    rows = _parse(debugprint(y, file="str"))
    assert len(rows) == 2 * 3000 + 1  # every add, its constant 1, and x
    assert [r[0] for r in rows if r[1] == "Input"] == [3000]


@pytest.fixture(scope="module")
def two_kernels():
    """exp over a vector, then a matrix add: two elementwise kernels (different
    broadcast patterns do not fuse), plus an update."""
    v, m = T.vector("v"), T.matrix("m")
    c = clgraph.shared(np.zeros((2, 3), "float32"), name="c")
    out = m + T.exp(v) * 2
    f = clgraph.function([v, m], out, updates=[(c, c + m)])
    vv, mm = np.arange(3, dtype="float32"), np.ones((2, 3), "float32")
    np.testing.assert_allclose(f(vv, mm), mm + np.exp(vv) * 2, rtol=1e-6)
    return f


def test_debugprint_function_lists_the_nodes_each_kernel_fuses(two_kernels):
    f = two_kernels
    text = debugprint(f, file="str")
    assert "output 0:" in text and "update of c:" in text
    tree = {r[2]: r[1] for r in _parse(text)}
    kernel_lines = text.split("kernels, in launch order:\n")[1].splitlines()
    steps = [s for s in f.plan.steps if hasattr(s, "kernel")]
    assert len(steps) == len(f.kernels) >= 3
    for kernel, step, line in zip(f.kernels, steps, kernel_lines):
        assert line.startswith(f" {kernel.name} ({kernel.template.split('/')[-1]}): ")
        listed = re.findall(r"(\S+) \[id ([A-Z]+)\]", line)
        assert len(listed) == len(step.nodes)
        for label, id_ in listed:
            assert tree[id_] == label  # the same node as in the tree above
    assert any("Elemwise{exp}" in line and "Elemwise{mul}" in line for line in kernel_lines)


def _strip_strings(dot):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot)


def _check_dot(dot):
    body = _strip_strings(dot)
    assert body.startswith("digraph clgraph {") and body.rstrip().endswith("}")
    depth = 0
    for ch in body:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    declared = set(re.findall(r"^\s*(\w+) \[", body, re.M)) - {"node"}
    edges = re.findall(r"^\s*(\w+) -> (\w+);$", body, re.M)
    for a, b in edges:
        assert a in declared and b in declared
    return declared, edges


def test_to_dot_has_a_cluster_per_kernel(two_kernels):
    f = two_kernels
    dot = to_dot(f)
    declared, edges = _check_dot(dot)
    for kernel in f.kernels:
        assert dot.count(f"subgraph cluster_{kernel.name} {{") == 1
    nodes = f.plan.nodes
    variables = {v for n in nodes for v in n.inputs + n.outputs}
    assert len(declared) == len(nodes) + len(variables)
    assert len(edges) == sum(len(n.inputs) + len(n.outputs) for n in nodes)


def test_to_dot_of_a_variable():
    x = T.vector("x")
    a = T.exp(x)
    declared, edges = _check_dot(to_dot(a * a))
    assert len(declared) == 5  # x, exp, exp's result, mul, mul's result
    assert len(edges) == 5  # exp's result feeds mul twice


def test_printing_is_reachable_from_the_package():
    assert clgraph.printing is sys.modules["clgraph.printing"]
    code = "import clgraph; print(callable(clgraph.printing.debugprint), callable(clgraph.printing.to_dot))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]
