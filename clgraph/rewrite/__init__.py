"""Graph rewrites applied by `function` before planning; the order is in passes.py."""
from .passes import PASSES, rewrite  # noqa: F401
