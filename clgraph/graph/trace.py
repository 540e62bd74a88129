"""Where the user created a node: the innermost stack frame outside the clgraph package."""
import contextlib
import linecache
import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class Trace:
    """file:line (and the source text) of the user code that built a node."""

    __slots__ = ("filename", "lineno", "function")

    def __init__(self, filename, lineno, function):
        self.filename, self.lineno, self.function = filename, lineno, function

    @property
    def line(self):
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self):
        text = self.line
        where = f"created at {self.filename}:{self.lineno}"
        return f"{where}: {text}" if text else where

    def __repr__(self):
        return f"Trace({self.filename}:{self.lineno})"


_inherited = []


@contextlib.contextmanager
def inherit(trace):
    """Nodes built inside this block (by a rewrite or a gradient rule) take `trace`,
    the user line of the node they replace, instead of clgraph's own frames."""
    _inherited.append(trace)
    try:
        yield
    finally:
        _inherited.pop()


def capture():
    """Return the Trace of the first caller frame that is not clgraph's own code."""
    if _inherited:
        return _inherited[-1]
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE_DIR):
            return Trace(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None
