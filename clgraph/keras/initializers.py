"""Keras 2's name for `initializations` (the same functions)."""
from .initializations import *  # noqa: F401,F403
from .initializations import __all__  # noqa: F401
