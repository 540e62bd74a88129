import numpy as np
import pytest


@pytest.fixture(autouse=True)
def seeded_numpy():
    """Keras draws initial weights and dropout seeds from numpy's global RNG: fix it."""
    np.random.seed(1234)
    yield
