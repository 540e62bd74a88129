"""The one helper that checks an op: forward against numpy on random inputs, and the
symbolic gradient against finite differences (float32 and float64)."""
import numpy as np

import clgraph
import clgraph.tensor as T
from clgraph.gradient import verify_grad

TOL = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


def symbolic_like(arr, name):
    return T.tensor(arr.dtype.name, (False,) * arr.ndim, name=name)


def check_forward(t_fn, np_fn, *arrays, rtol=None, atol=None):
    """Compile t_fn on symbolic copies of `arrays`, compare with np_fn(*arrays)."""
    syms = [symbolic_like(a, f"x{i}") for i, a in enumerate(arrays)]
    out = t_fn(*syms)
    f = clgraph.function(syms, out)
    got = f(*arrays)
    with np.errstate(all="ignore"):
        want = np.asarray(np_fn(*arrays))
    assert got.dtype == want.dtype, f"dtype {got.dtype} != numpy's {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape} != numpy's {want.shape}"
    tol = TOL.get(want.dtype.name, dict(rtol=0, atol=0))
    np.testing.assert_allclose(got, want, rtol=rtol if rtol is not None else tol["rtol"],
                               atol=atol if atol is not None else tol["atol"], equal_nan=True)
    return f


def check_grad(t_fn, *arrays, **kw):
    verify_grad(t_fn, arrays, rng=np.random.default_rng(0), **kw)


def line_of(path, text):
    """The 1-based line of file `path` that holds `text` (the line an error must name);
    lines that call line_of itself are skipped."""
    with open(path) as fh:
        for k, line in enumerate(fh, 1):
            if text in line and "line_of(" not in line:
                return k
    raise AssertionError(f"{text!r} is not in {path}")
