"""clgraph.tensor.shared_randomstreams: Theano's `RandomStreams` module path. Theano's
class drew on the host with numpy; clgraph's draws on the device, the same numbers on
every device (clgraph.tensor.random.RandomStreams)."""
from .random import RandomStreams

__all__ = ["RandomStreams"]
