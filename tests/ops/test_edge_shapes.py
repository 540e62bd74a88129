"""Edge shapes across the op library: size-0 axes where numpy allows them, length-1
broadcast axes, and non-contiguous inputs (transposes, steps, negative steps), each
against numpy."""
import numpy as np
import pytest

import clgraph
import clgraph.tensor as T
from opcheck import check_forward


def _softmax(x):
    if x.size == 0:
        return x.copy()  # (scipy.special.softmax agrees; np.max refuses an empty row)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


EMPTY = [
    ("elemwise", lambda x: T.tanh(x) * 2 + 1, lambda x: np.tanh(x) * np.float32(2) + np.float32(1)),
    ("sum rows", lambda x: x.sum(axis=1), lambda x: x.sum(axis=1)),
    ("sum cols", lambda x: x.sum(axis=0), lambda x: x.sum(axis=0)),
    ("prod all", lambda x: x.prod(), lambda x: x.prod()),
    ("transpose", lambda x: x.T * 1, lambda x: x.T * np.float32(1)),
    ("reshape", lambda x: x.reshape((-1,)) + 1, lambda x: x.reshape(-1) + np.float32(1)),
    ("concatenate", lambda x: T.concatenate([x, x], axis=0), lambda x: np.concatenate([x, x], axis=0)),
    ("slice", lambda x: x[1:, ::2] * 1, lambda x: x[1:, ::2] * np.float32(1)),
    ("softmax", lambda x: T.nnet.softmax(x), _softmax),
]


@pytest.mark.parametrize("shape", [(0, 4), (3, 0)])
@pytest.mark.parametrize("name,t_fn,np_fn", EMPTY, ids=[e[0] for e in EMPTY])
def test_size_zero_axes(name, t_fn, np_fn, shape):
    check_forward(t_fn, np_fn, np.zeros(shape, "float32"))


def test_broadcastable_row_and_column_types(rng):
    row = T.TensorType("float32", (True, False))("row")
    col = T.TensorType("float32", (False, True))("col")
    r = rng.normal(size=(1, 5)).astype("float32")
    c = rng.normal(size=(4, 1)).astype("float32")
    f = clgraph.function([row, col], [row * col, (row + col).sum(axis=0), T.nnet.softmax(row + col),
                                      T.dot(col, row)])
    got = f(r, c)
    want = [r * c, (r + c).sum(axis=0), _softmax(r + c), c @ r]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


NONCONTIG = [
    ("elemwise", lambda x: T.exp(x[::-1, 1::2]) - x[::-1, 1::2] ** 2,
     lambda x: np.exp(x[::-1, 1::2]) - x[::-1, 1::2] ** 2),
    ("sum", lambda x: x.T[:, ::3].sum(axis=1), lambda x: x.T[:, ::3].sum(axis=1)),
    ("max", lambda x: x[::-2].max(axis=0), lambda x: x[::-2].max(axis=0)),
    ("argmax", lambda x: x.T[::-1].argmax(axis=1), lambda x: x.T[::-1].argmax(axis=1)),
    ("softmax", lambda x: T.nnet.softmax(x.T[1:]), lambda x: _softmax(x.T[1:])),
    ("dot", lambda x: T.dot(x[::2].T, x[1::2]), lambda x: x[::2].T @ x[1::2]),
    ("take", lambda x: x.T[np.array([2, 0, 2, 5])], lambda x: x.T[[2, 0, 2, 5]]),
    ("reshape", lambda x: x.T.reshape((-1,)) * 1, lambda x: x.T.reshape(-1) * np.float32(1)),
    ("concatenate", lambda x: T.concatenate([x.T, x[:6, ::-1].T], axis=1),
     lambda x: np.concatenate([x.T, x[:6, ::-1].T], axis=1)),
]


@pytest.mark.parametrize("name,t_fn,np_fn", NONCONTIG, ids=[e[0] for e in NONCONTIG])
def test_non_contiguous_inputs(name, t_fn, np_fn, rng):
    check_forward(t_fn, np_fn, rng.normal(size=(8, 6)).astype("float32"), rtol=1e-5, atol=1e-5)
