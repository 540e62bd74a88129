"""T.signal: Theano's pooling modules (pool: pool_2d; downsample: Theano 0.8's
max_pool_2d)."""
from . import downsample, pool  # noqa: F401
