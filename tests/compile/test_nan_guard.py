"""The NaN guard: mode='NanGuard' or config.nan_guard stops a call at the first kernel
whose float result holds NaN/Inf, names the op and the user's line, and changes no
shared variable."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.config import Config
from opcheck import line_of


@pytest.fixture(scope="module")
def log_fn():
    x = T.vector("x")
    y = T.log(x) * 2  # the guarded line
    return clgraph.function([x], y, mode="NanGuard")


def test_log_of_negative_names_log_kernel_and_line(log_fn):
    with pytest.raises(clgraph.NanGuardError) as info:
        log_fn(np.array([1.0, -1.0, 2.0], "float32"))
    msg = str(info.value)
    assert msg.startswith("log:")
    assert "NaN" in msg and log_fn.kernels[0].name in msg
    assert f"test_nan_guard.py:{line_of(__file__, 'y = T.log(x) * 2  # the guarded')}" in msg
    assert "no input of the kernel held NaN" in msg
    assert isinstance(info.value, clgraph.ClgraphError)


def test_inf_is_reported_too(log_fn):
    with pytest.raises(clgraph.NanGuardError, match=r"^log: the NaN guard found Inf \(1 of 2 values\)"):
        log_fn(np.array([0.0, 3.0], "float32"))


def test_clean_graph_runs_unchanged(log_fn):
    x = np.array([0.5, 1.0, 4.0], "float32")
    np.testing.assert_allclose(log_fn(x), np.log(x) * 2, rtol=1e-6)


def test_inputs_that_already_hold_nan_are_named():
    v = T.vector("v")
    f = clgraph.function([v], v * 3, mode="NanGuard")
    with pytest.raises(clgraph.NanGuardError) as info:
        f(np.array([1.0, np.nan], "float32"))
    assert "inputs already held NaN/Inf: v" in str(info.value)


def test_raising_call_changes_no_shared_variable():
    a = clgraph.shared(np.zeros(3, "float32"), name="a")
    b = clgraph.shared(np.ones(3, "float32"), name="b")
    x = T.vector("x")
    f = clgraph.function([x], a * 1, updates=[(a, a + 1), (b, b + T.log(x))], mode="NanGuard")
    with pytest.raises(clgraph.NanGuardError, match="log"):
        f(np.array([1.0, -2.0, 1.0], "float32"))
    np.testing.assert_array_equal(a.get_value(), np.zeros(3, "float32"))
    np.testing.assert_array_equal(b.get_value(), np.ones(3, "float32"))
    good = np.array([1.0, 2.0, 4.0], "float32")
    np.testing.assert_array_equal(f(good), np.zeros(3, "float32"))
    np.testing.assert_array_equal(a.get_value(), np.ones(3, "float32"))
    np.testing.assert_allclose(b.get_value(), 1 + np.log(good), rtol=1e-6)


def test_config_flag_turns_the_guard_on_at_call_time():
    x = T.vector("x")
    f = clgraph.function([x], T.log(x))
    bad = np.array([-1.0, 1.0], "float32")
    out = f(bad)  # unguarded: NaN comes back
    assert np.isnan(out[0]) and out[1] == 0
    with clgraph.config.change(nan_guard=True):
        with pytest.raises(clgraph.NanGuardError, match="^log:"):
            f(bad)
    assert np.isnan(f(bad)[0])


def test_environment_variable():
    assert Config(environ={"CLGRAPH_NAN_GUARD": "1"}).nan_guard is True
    assert Config(environ={"CLGRAPH_NAN_GUARD": "0"}).nan_guard is False
    assert Config(environ={}).nan_guard is False


def test_integer_results_are_not_checked():
    i = T.ivector("i")
    f = clgraph.function([i], i * 2, mode="NanGuard")
    np.testing.assert_array_equal(f(np.array([-3, 4], "int32")), np.array([-6, 8], "int32"))


def test_unknown_mode_is_refused():
    x = T.vector("x")
    with pytest.raises(ValueError, match="unknown mode 'WarpSpeed'.*DebugMode"):
        clgraph.function([x], x * 2, mode="WarpSpeed")


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "ProfileMode"])
def test_theano_mode_names_compile_alike(mode):
    x = T.vector("x")
    f = clgraph.function([x], x * 2, mode=mode)
    np.testing.assert_allclose(f(np.arange(3, dtype=x.dtype)), [0, 2, 4])
