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
    lookup = _lookups.get(dirs)
    if lookup is None:
        lookup = _lookups[dirs] = TemplateLookup(directories=list(dirs), strict_undefined=True,
                                                 input_encoding="utf-8")
    return lookup


def template_file(name):
    """The path the lookup resolves `name` to (shown in fn.kernels)."""
    return get_lookup().get_template(name).filename
