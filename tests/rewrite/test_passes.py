"""The pipeline itself: its order, the option that skips passes, the type guard on
rules, and the user's line on the nodes rewrites build."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from clgraph.config import Config
from clgraph.errors import ClgraphError
from clgraph.rewrite import rewrite
from clgraph.rewrite.passes import PASSES, local_rewrite
from rewrite_helpers import op_names


def test_the_pass_order():
    names = [name for name, _ in PASSES]
    assert names[:10] == ["merge", "merge_extended_loops", "prune_loop_outputs", "sink_loop_sums", "scan_hoist", "constant_fold", "canonicalize", "simplify", "join_slice_gradients",
                         "stabilize"]
    assert len(set(names)) == len(names)


def test_rewrites_can_be_skipped_by_name(rng):
    x = T.fvector("x")
    y = T.log(1 + x)
    (kept,) = rewrite([y])
    assert op_names(kept) == ["log1p"]
    with clgraph.config.change(rewrites_excluding=("stabilize",)):
        (plain,) = rewrite([y])
        f = clgraph.function([x], y)
    assert op_names(plain) == ["add", "log"]
    assert "log1p" not in f.kernels[0].source
    with clgraph.config.change(rewrites_excluding="merge, stabilize"):
        assert clgraph.config.rewrites_excluding == ("merge", "stabilize")
    assert Config({"CLGRAPH_REWRITES_EXCLUDING": "simplify,stabilize"}).rewrites_excluding == ("simplify", "stabilize")


def test_an_unknown_pass_name_is_an_error():
    x = T.fvector("x")
    with clgraph.config.change(rewrites_excluding=("stabilise",)):
        with pytest.raises(ValueError, match="unknown pass.*stabilise.*stabilize"):
            clgraph.function([x], x + 1)


def test_a_rule_that_would_change_a_type_is_refused():
    x = T.fvector("x")
    y = T.exp(x)

    def to_float64(node):
        return [T.cast(node.outputs[0], "float64")] if str(node.op) == "exp" else None

    with clgraph.config.change(check=False):
        (same,) = local_rewrite([y], [to_float64])
    assert same is y
    with clgraph.config.change(check=True):
        with pytest.raises(ClgraphError, match="to_float64"):
            local_rewrite([y], [to_float64])


def test_nodes_built_by_rewrites_carry_the_user_line():
    x = T.fvector("x")
    s = T.log(1 + x)  # the user's line
    y = s * 2
    (after,) = rewrite([y])  # not this line
    log1p = after.owner.inputs[0].owner
    assert str(log1p.op) == "log1p"
    assert log1p.trace.lineno == s.owner.trace.lineno != y.owner.trace.lineno + 1
    v = np.float32([1e-9, 1.0])
    np.testing.assert_allclose(clgraph.function([x], y)(v), np.log1p(v) * 2, rtol=1e-6)
