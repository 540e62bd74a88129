import numpy as np
import pytest

import clgraph


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session", autouse=True)
def opencl_device():
    """Every test runs on the device CLGRAPH_DEVICE selects; print which one."""
    dev = clgraph.device()
    print(f"\nclgraph tests on {dev.name} ({dev.platform_name}, driver {dev.driver_version})")
    return dev


# -- no silent float64 --------------------------------------------------------------------------------

def _asks_for_float64(roots):
    """Whether the graph computing `roots` holds a float64 the user asked for: an input,
    shared variable or constant array of float64 (not a Python number), a cast to it, or
    the float result of integers and Python numbers (int / int, mean of ints, i * 1.0,
    alloc(2.5, n)), a float32 array times an int32/int64 array (numpy's rule), a draw
    with dtype='float64', loop steps included. A
    float64 that promotion alone made (a float32 graph's weak constant) does not count."""
    from clgraph.graph.basic import Constant, toposort
    from clgraph.scan_module.op import Scan

    def floats(vs):  # (a Python number takes its dtype from the others: int32 * 1.0 is float64)
        return [v for v in vs if np.dtype(v.dtype).kind == "f" and not (isinstance(v, Constant) and v.weak)]
    def weak(v):
        return isinstance(v, Constant) and v.weak

    def ints(vs):  # (numpy: a float32 array times an int32 or int64 array is float64)
        return [v for v in vs if np.dtype(v.dtype).kind in "iu" and np.dtype(v.dtype).itemsize >= 4 and
                not (isinstance(v, Constant) and v.weak)]
    seen, stack = set(), list(roots)
    while stack:
        batch, stack = [r for r in stack if r is not None], []
        for var in batch:
            if var.owner is None and var.dtype == "float64" and not (isinstance(var, Constant) and var.weak):
                return True
        for node in toposort(batch):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for v in node.inputs:
                if v.owner is None and v.dtype == "float64" and not (isinstance(v, Constant) and v.weak):
                    return True
            name = getattr(getattr(node.op, "scalar_op", None), "name", "")
            if any(o.dtype == "float64" for o in node.outputs) and (
                    name == "cast_float64" or getattr(node.op, "dtype", None) == "float64"  # (a draw's dtype=)
                    or ints(node.inputs) or (not floats(node.inputs) and any(not weak(v) for v in node.inputs))):
                # (a result of Python numbers alone does not ask: the 2 - 1 of x ** 2's
                # gradient must not make it float64; a test that wants that says so with
                # @pytest.mark.float64_intended)
                return True
            if isinstance(node.op, Scan):
                stack += node.op.inner_roots
    return False


def _double_kernels(fn):
    """Names of fn's kernels whose code computes in double."""
    out = []
    for k in fn.kernels:
        code = "\n".join(line for line in k.source.splitlines() if "cl_khr_fp64" not in line)
        if "double" in code:
            out.append(k.name)
    return out


@pytest.fixture(autouse=True)
def no_silent_float64(monkeypatch, request):
    """Every function a test compiles whose graph asks for no float64 (see
    _asks_for_float64) must not compute in double anywhere: a Python scalar, a
    gradient's constant or an exponent must not promote a float32 graph (a 29x slowdown,
    issue 17). Checked after the test on the kernels of each such function."""
    if request.node.get_closest_marker("float64_intended"):
        yield
        return
    from clgraph.compile import function as function_module
    made = []
    original = function_module.Function.__init__

    def recording_init(self, inputs, outputs, updates, givens, *args, **kwargs):
        original(self, inputs, outputs, updates, givens, *args, **kwargs)
        made.append(self)
    monkeypatch.setattr(function_module.Function, "__init__", recording_init)
    yield
    for fn in made:
        roots = list(fn.outputs) + [e for _, e in fn.updates] + [s for s, _ in fn.updates] + list(fn.inputs)
        if _asks_for_float64(roots):
            continue
        try:
            doubles = _double_kernels(fn)
        except Exception:  # (a function whose build failed, as a test wanted)
            continue
        assert not doubles, f"{request.node.nodeid}: a graph without float64 computes in double in {doubles}"
