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
