"""Keras 1.2 regularizer penalties and weight constraints against numpy."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.keras import constraints, regularizers

RNG = np.random.default_rng(3)
P = (RNG.standard_normal((4, 3)) * 2).astype("float32")
P[:, 1] = 0.01 * P[:, 1]  # a column whose norm is below every bound below


def np_norms(p, axis):
    return np.sqrt((p.astype("float64") ** 2).sum(axis, keepdims=True))


def np_maxnorm(p, m, axis):
    return p * np.clip(np_norms(p, axis), 0, m) / (1e-7 + np_norms(p, axis))


def test_penalties_and_constraints_against_numpy():
    x = T.matrix("x")
    abs_sum, sq_sum = np.abs(P.astype("float64")).sum(), (P.astype("float64") ** 2).sum()
    regs = {"l1": (regularizers.l1(0.3), 0.3 * abs_sum),
            "l2": (regularizers.l2(0.2), 0.2 * sq_sum),
            "l1l2": (regularizers.l1l2(l1=0.05, l2=0.1), 0.05 * abs_sum + 0.1 * sq_sum),
            "activity": (regularizers.ActivityRegularizer(l2=0.5), 0.5 * sq_sum)}
    cons = {"maxnorm0": (constraints.maxnorm(1.5), np_maxnorm(P, 1.5, 0)),
            "maxnorm1": (constraints.MaxNorm(m=1.0, axis=1), np_maxnorm(P, 1.0, 1)),
            "nonneg": (constraints.nonneg(), np.where(P >= 0, P, 0)),
            "unitnorm": (constraints.unitnorm(axis=1), P / (1e-7 + np_norms(P, 1)))}
    exprs = [r(x) for r, _ in regs.values()] + [c(x) for c, _ in cons.values()]
    for e in exprs:
        assert e.dtype == "float32"
    outs = clgraph.function([x], exprs)(P)
    for got, (name, (_, want)) in zip(outs, list(regs.items()) + list(cons.items())):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
    # the bound is active on some columns only, so both branches of the clip are checked
    col_norms = np_norms(P, 0).ravel()
    assert (col_norms > 1.5).any() and (col_norms < 1.5).any()


def test_regularizer_names_configs_and_errors():
    assert regularizers.get(None) is None
    r = regularizers.get("l1")
    assert r.get_config() == {"name": "L1L2Regularizer", "l1": pytest.approx(0.01), "l2": 0.0}
    assert regularizers.get("l1l2").get_config()["l2"] == pytest.approx(0.01)
    again = regularizers.get(regularizers.l1_l2(0.25, 0.5).get_config())
    assert (again.l1, again.l2) == (0.25, 0.5) and again.l1.dtype == np.float32
    assert regularizers.WeightRegularizer is regularizers.ActivityRegularizer
    assert regularizers.activity_l1l2 is regularizers.l1l2
    custom = lambda w: T.sum(w)  # noqa: E731
    assert regularizers.get(custom) is custom
    zero = regularizers.WeightRegularizer()(T.matrix())
    assert zero.dtype == "float32" and zero.ndim == 0
    with pytest.raises(ValueError, match="known regularizers: .*l1, l1_l2, l1l2, l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        regularizers.l2(-1.)
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        regularizers.get(0.01)


def test_constraint_names_configs_and_errors():
    assert constraints.get(None) is None
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm
    c = constraints.get("maxnorm")
    assert c.get_config() == {"name": "MaxNorm", "m": 2, "axis": 0}
    again = constraints.get({"name": "MaxNorm", "m": 3, "axis": 1})
    assert (again.m, again.axis) == (3, 1)
    assert constraints.MaxNorm(max_value=4).m == 4  # Keras 2 spelling
    assert constraints.get({"class_name": "UnitNorm", "config": {"axis": 1}}).axis == 1
    assert isinstance(constraints.get("nonneg"), constraints.NonNeg)
    with pytest.raises(ValueError, match="known constraints: .*maxnorm.*unitnorm"):
        constraints.get("minnorm")
    with pytest.raises(ValueError, match="m must be >= 0"):
        constraints.maxnorm(-1)
