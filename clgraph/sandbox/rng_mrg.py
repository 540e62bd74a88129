"""clgraph.sandbox.rng_mrg: `MRG_RandomStreams`, Theano's device-side random streams.
clgraph has one kind: counter-based Philox streams that give the same numbers on every
device (clgraph.tensor.random.RandomStreams), so this is that class."""
from ..tensor.random import RandomStreams as MRG_RandomStreams

__all__ = ["MRG_RandomStreams"]
