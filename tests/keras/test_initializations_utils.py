"""Initializations (Keras 1 scales, numpy's RNG) and np_utils."""
import numpy as np
import pytest

import clgraph
from clgraph.keras import initializations, initializers
from clgraph.keras.utils.np_utils import probas_to_classes, to_categorical


def value(var):
    assert isinstance(var, clgraph.SharedVariable) and var.dtype == "float32"
    return var.get_value()


@pytest.mark.parametrize("name,shape,bound", [
    ("uniform", (300, 200), 0.05),
    ("lecun_uniform", (300, 200), np.sqrt(3. / 300)),
    ("glorot_uniform", (300, 200), np.sqrt(6. / 500)),
    ("he_uniform", (300, 200), np.sqrt(6. / 300)),
    ("glorot_uniform", (8, 3, 5, 5), np.sqrt(6. / (3 * 25 + 8 * 25))),   # th kernel: fans include the field
])
def test_uniform_family_bounds(name, shape, bound):
    w = value(initializations.get(name)(shape))
    assert w.shape == shape
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.03 * bound


@pytest.mark.parametrize("name,std", [("normal", 0.05), ("glorot_normal", np.sqrt(2. / 500)),
                                      ("he_normal", np.sqrt(2. / 300))])
def test_normal_family_std(name, std):
    w = value(initializations.get(name)((300, 200)))
    assert abs(w.std() - std) < 0.02 * std and abs(w.mean()) < 0.02 * std


def test_seeded_numpy_rng_makes_weights_reproducible():
    np.random.seed(7)
    a = value(initializations.glorot_uniform((4, 3)))
    np.random.seed(7)
    b = value(initializations.glorot_uniform((4, 3)))
    np.random.seed(7)
    want = np.random.uniform(-np.sqrt(6 / 7), np.sqrt(6 / 7), (4, 3)).astype("float32")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, want)


def test_orthogonal_identity_zero_one():
    w = value(initializations.orthogonal((6, 4)))
    np.testing.assert_allclose(w.T @ w, 1.1 ** 2 * np.eye(4), atol=1e-5)
    w = value(initializations.orthogonal((3, 5), scale=1.0))
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(value(initializations.identity((3, 3), scale=2)), 2 * np.eye(3))
    np.testing.assert_array_equal(value(initializations.get("zero")((2, 2))), np.zeros((2, 2)))
    np.testing.assert_array_equal(value(initializers.get("ones")((2,))), np.ones(2))
    with pytest.raises(ValueError, match="square 2D"):
        initializations.identity((2, 3))
    with pytest.raises(ValueError, match="Unknown initialization 'glorot'"):
        initializations.get("glorot")
    assert initializations.get_fans((2, 3, 4, 5), "tf") == (4 * 6, 5 * 6)


def test_to_categorical_and_probas_to_classes():
    y = to_categorical([2, 0, 1, 2])
    np.testing.assert_array_equal(y, np.eye(3)[[2, 0, 1, 2]])
    assert y.dtype == np.float32
    assert to_categorical(np.array([[1], [0]]), 4).shape == (2, 4)
    assert to_categorical([1], num_classes=3).shape == (1, 3)
    with pytest.raises(ValueError, match=r"must be in \[0, 2\)"):
        to_categorical([0, 2], 2)
    with pytest.raises(ValueError, match="integer class indices"):
        to_categorical([0.5])
    np.testing.assert_array_equal(probas_to_classes(np.array([[0.2, 0.8], [0.9, 0.1]])), [1, 0])
    np.testing.assert_array_equal(probas_to_classes(np.array([[0.7], [0.2]])), [1, 0])
