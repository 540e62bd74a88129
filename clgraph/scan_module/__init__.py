"""clgraph.scan_module: Theano's scan (scan, until), the Scan op and its gradient."""
from .scan import scan, until  # noqa: F401
