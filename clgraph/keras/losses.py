"""Keras 2's name for `objectives` (the same functions)."""
from .objectives import *  # noqa: F401,F403
from .objectives import __all__  # noqa: F401
