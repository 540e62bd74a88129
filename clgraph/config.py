"""clgraph's configuration: the only module that reads CLGRAPH_* environment variables.

Values are read once at import; `config.change(...)` overrides them for a block, which
is how tests pick a template folder or a device without touching the environment.
"""
import contextlib
import os

__all__ = ["config", "Config"]


def _default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "clgraph")


def _int_option(text, default, name):
    if text in (None, ""):
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {text!r}") from None


def _split_path(value):
    return [p for p in (value or "").split(os.pathsep) if p]


class Config:
    """Plain attribute bag with the documented options and their defaults."""

    _options = ("floatX", "device", "cache_dir", "template_path", "check", "nan_guard",
                "rewrites_excluding", "cache_binaries", "replay_calls", "compile_workers")

    def __init__(self, environ=os.environ):
        self.floatX = environ.get("CLGRAPH_FLOATX", "float32")
        # '' means: the first GPU, else the first CPU device.
        self.device = environ.get("CLGRAPH_DEVICE", "")
        self.cache_dir = environ.get("CLGRAPH_CACHE_DIR") or _default_cache_dir()
        # Folders searched before the built-in templates (user overrides).
        self.template_path = _split_path(environ.get("CLGRAPH_TEMPLATE_PATH"))
        # Extra internal consistency checks (on in CI).
        self.check = environ.get("CLGRAPH_CHECK", "") not in ("", "0", "false", "False")
        # Check every kernel's float results for NaN/Inf (slow; as function(mode='NanGuard')).
        self.nan_guard = environ.get("CLGRAPH_NAN_GUARD", "") not in ("", "0", "false", "False")
        # Names of graph rewrite passes to skip (rewrite/passes.py PASSES), e.g. to
        # compare results with and without them; comma-separated in the environment.
        self.rewrites_excluding = environ.get("CLGRAPH_REWRITES_EXCLUDING", "")
        # Store built program binaries in cache_dir: 'auto' (only for drivers that do not
        # cache builds themselves; asking PoCL for a binary compiles every kernel once
        # more, for seconds), 'always' or 'never'.
        self.cache_binaries = environ.get("CLGRAPH_CACHE_BINARIES", "auto")
        # Replay repeated calls of a compiled function from a recording of one call of the
        # same shapes (compile/replay.py); off: every call takes the generic path.
        self.replay_calls = environ.get("CLGRAPH_REPLAY_CALLS", "1") not in ("", "0", "false", "False")
        # Helper processes that generate kernel code beside a function's first call on
        # drivers that compile each kernel at its first launch (runtime/parallel_compile.py);
        # 0: none. Default: one per spare core, at most 3.
        self.compile_workers = _int_option(environ.get("CLGRAPH_COMPILE_WORKERS"),
                                           max(0, min(3, (os.cpu_count() or 1) - 1)), "CLGRAPH_COMPILE_WORKERS")

    def __setattr__(self, key, value):
        if key not in self._options:
            raise AttributeError(f"clgraph.config has no option {key!r}; options: {', '.join(self._options)}")
        if key == "floatX" and value not in ("float32", "float64"):
            raise ValueError(f"clgraph.config.floatX must be 'float32' or 'float64', not {value!r}")
        if key == "template_path" and isinstance(value, str):
            value = _split_path(value)
        if key == "cache_binaries" and value not in ("auto", "always", "never"):
            raise ValueError(f"clgraph.config.cache_binaries must be 'auto', 'always' or 'never', not {value!r}")
        if key == "compile_workers" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"clgraph.config.compile_workers must be an integer >= 0, not {value!r}")
        if key == "rewrites_excluding":
            value = tuple(p.strip() for p in value.split(",") if p.strip()) if isinstance(value, str) \
                else tuple(value or ())
        object.__setattr__(self, key, value)

    @contextlib.contextmanager
    def change(self, **values):
        """Temporarily set options: `with config.change(floatX='float64'): ...`."""
        old = {k: getattr(self, k) for k in values}
        try:
            for k, v in values.items():
                setattr(self, k, v)
            yield self
        finally:
            for k, v in old.items():
                setattr(self, k, v)

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self._options) + ")"


config = Config()
