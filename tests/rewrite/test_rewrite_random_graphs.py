"""Random small elementwise / reduction graphs (fixed seed), written with the patterns
the rewrites look for: each one compiled with every rewrite and with none gives the
values of its ops' numpy references (perform), within float32 tolerances."""
import numpy as np

import clgraph.tensor as T
from clgraph.graph.basic import constant
from clgraph.rewrite import rewrite
from rewrite_helpers import compile_both, evaluate, op_names

N_GRAPHS, PER_FUNCTION = 20, 5

UNARY = [
    lambda a: T.tanh(a), lambda a: T.nnet.sigmoid(a), lambda a: -a, lambda a: -(-a),
    lambda a: a * 1, lambda a: 0 + a, lambda a: a / 1, lambda a: a - 0,
    lambda a: T.log(1 + T.sqr(a)), lambda a: T.exp(T.tanh(a)) - 1, lambda a: T.log(T.exp(T.tanh(a))),
    lambda a: T.log(T.nnet.sigmoid(a)), lambda a: T.log(1 - T.nnet.sigmoid(a)), lambda a: T.nnet.softplus(a),
    lambda a: a * (constant(np.float32(3)) - 2), lambda a: a * T.exp(constant(np.float32([0.5, 1, 2, 0]))),
    lambda a: a.T.T if a.ndim == 2 else a,
]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: T.maximum(a, b)]
REDUCE = [lambda a, k: a.sum(axis=k, keepdims=True), lambda a, k: a.max(axis=k, keepdims=True),
          lambda a, k: a.mean(axis=k, keepdims=True)]


def random_graph(rng, leaves, depth):
    """A random expression; subexpressions are sometimes built twice (for merge)."""
    if depth == 0:
        return leaves[rng.integers(len(leaves))]
    kind = rng.choice(["unary", "binary", "reduce", "twice"], p=[0.45, 0.3, 0.15, 0.1])
    if kind == "unary":
        return UNARY[rng.integers(len(UNARY))](random_graph(rng, leaves, depth - 1))
    if kind == "reduce":
        return REDUCE[rng.integers(len(REDUCE))](random_graph(rng, leaves, depth - 1), int(rng.integers(2)))
    if kind == "twice":
        seed = int(rng.integers(1 << 30))
        a = random_graph(np.random.default_rng(seed), leaves, depth - 1)
        b = random_graph(np.random.default_rng(seed), leaves, depth - 1)  # equal, built separately
        return a + b
    op = BINARY[rng.integers(len(BINARY))]
    return op(random_graph(rng, leaves, depth - 1), random_graph(rng, leaves, depth - 1))


def test_random_graphs_match_numpy_with_and_without_rewrites():
    rng = np.random.default_rng(2024)
    x, z = T.fmatrix("x"), T.fmatrix("z")
    xv, zv = rng.normal(size=(2, 3, 4)).astype("float32")
    graphs = [random_graph(rng, [x, z, x.T.T], int(rng.integers(2, 5))) for _ in range(N_GRAPHS)]
    before = sum(len(op_names(g)) for g in graphs)
    after = rewrite(graphs)
    assert sum(len(op_names(g)) for g in after) < before  # the rewrites found something
    assert {"log1p", "expm1", "softplus"} <= {n for g in after for n in op_names(g)}
    for start in range(0, N_GRAPHS, PER_FUNCTION):
        batch = graphs[start:start + PER_FUNCTION]
        f, f0 = compile_both([x, z], batch, on_unused_input="ignore")
        wanted = evaluate(batch, {x: xv, z: zv})
        for k, (got, plain, want) in enumerate(zip(f(xv, zv), f0(xv, zv), wanted)):
            where = f"graph {start + k}: {op_names(batch[k])}"
            assert got.dtype == want.dtype and got.shape == want.shape, where
            scale = max(1.0, float(np.abs(want).max()))
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * scale, err_msg=where)
            np.testing.assert_allclose(plain, want, rtol=1e-5, atol=1e-5 * scale, err_msg=where)
