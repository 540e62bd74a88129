"""The one place that knows where templates live: the user's folders on
`config.template_path` first (so a file of the same name overrides a built-in), then
clgraph/templates/."""
import os

from mako.lookup import TemplateLookup

from ..config import config

__all__ = ["get_lookup", "BUILTIN_DIR", "template_file"]

BUILTIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

_lookups = {}


def get_lookup():
    dirs = tuple(os.path.abspath(p) for p in config.template_path) + (BUILTIN_DIR,)
    key = (dirs, config.cache_dir)
    lookup = _lookups.get(key)
    if lookup is None:
        lookup = _lookups[key] = TemplateLookup(directories=list(dirs), strict_undefined=True,
                                                input_encoding="utf-8", module_directory=_module_dir(dirs))
    return lookup


def _module_dir(dirs):
    """Where Mako keeps the Python modules it compiles the templates to (0.14 s a
    process otherwise): in the disk cache, one folder per list of template folders (a
    module is found by the template's name, and an override has the built-in's name).
    Mako rebuilds a module whose template file is newer. None: no disk cache."""
    import hashlib
    from .. import __version__
    tag = hashlib.sha256(repr((dirs, __version__)).encode()).hexdigest()[:16]
    path = os.path.join(config.cache_dir, "mako", tag)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    if not os.access(path, os.W_OK):
        return None
    _drop_stale_modules(path, dirs)
    return path


def _drop_stale_modules(path, dirs):
    """Mako rebuilds a module only when its template is newer in whole seconds, so an
    edit in the second the module was written would be missed: drop every module not
    strictly newer (in nanoseconds) than the template file it would be found for."""
    for entry in os.scandir(path):
        if not entry.name.endswith(".mako.py"):
            continue
        name = entry.name[:-3]
        source = next((os.path.join(d, name) for d in dirs if os.path.isfile(os.path.join(d, name))), None)
        try:
            if source is None or os.stat(source).st_mtime_ns >= entry.stat().st_mtime_ns:
                os.remove(entry.path)
        except OSError:
            pass


def template_file(name):
    """The path the lookup resolves `name` to (shown in fn.kernels)."""
    return get_lookup().get_template(name).filename
