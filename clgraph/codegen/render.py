"""Render a Mako template with explicit parameters; a failure names template:line."""
from mako import exceptions

from ..errors import TemplateError
from .lookup import get_lookup

__all__ = ["render", "Kernel"]


class Kernel:
    """One rendered kernel as a user sees it in `fn.kernels`: its name, the OpenCL C
    that runs (with the helpers it uses), and the template file it came from."""

    __slots__ = ("name", "source", "template", "family")

    def __init__(self, name, source, template, family):
        self.name, self.source, self.template, self.family = name, source, template, family

    def __repr__(self):
        return f"<Kernel {self.name} from {self.template}>"


def render(template_name, **kwargs):
    try:
        template = get_lookup().get_template(template_name)
        return template.render(**kwargs)
    except TemplateError:
        raise
    except Exception as exc:  # Mako raises many kinds; report the template line
        tb = exceptions.RichTraceback()
        where = ""
        for filename, lineno, _function, line in reversed(tb.traceback):
            if filename and filename.endswith(".mako"):
                where = f" at {filename}:{lineno}: {(line or '').strip()}"
                break
        raise TemplateError(f"rendering {template_name} failed{where}: {type(exc).__name__}: {exc}") from exc
