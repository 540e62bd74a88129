"""What the model loaders allow while they build layers from a config: the user's
`custom_objects` and `safe_mode` (no code named or stored in the file is run; only
Lambda layers can hold such code). A context, so that layers' from_config read it
without every signature carrying it."""
import contextlib
import contextvars

__all__ = ["loading", "loading_options"]

_OPTIONS = contextvars.ContextVar("clgraph_keras_loading", default=({}, True))


@contextlib.contextmanager
def loading(custom_objects=None, safe_mode=True):
    token = _OPTIONS.set((dict(custom_objects or {}), bool(safe_mode)))
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def loading_options():
    """(custom_objects, safe_mode) of the load in progress (safe outside any)."""
    return _OPTIONS.get()
