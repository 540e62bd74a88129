"""Reading a graph: `debugprint` (an indented text tree, as Theano's) and `to_dot`
(Graphviz DOT text). Given a compiled Function, both show the optimized graph that
runs and which nodes each kernel fuses, so a user can see why a kernel exists.

    debugprint(y)                   # the graph as built
    debugprint(f)                   # outputs, updates, then one line per kernel
    open('f.dot', 'w').write(to_dot(f))   # dot -Tsvg f.dot > f.svg
"""
import os
import sys

from .graph.basic import Constant, Variable
from .shared import SharedVariable

__all__ = ["debugprint", "to_dot", "op_label", "pydotprint"]


def op_label(op):
    """'Op{props}': the op's own text when it shows its parameters ('sum{0}',
    'Join{axis=0}'), else its class with the text or the props in braces
    ('Elemwise{log}', 'MakeVector{dtype=int64}')."""
    cls, text = type(op).__name__, str(op)
    if "{" in text or text.startswith(cls):
        return text
    if text != cls:
        return f"{cls}{{{text}}}"
    props = getattr(op, "__props__", ())
    if props:
        return cls + "{" + ",".join(f"{p}={getattr(op, p)}" for p in props) + "}"
    return cls


def _leaf_label(var):
    if isinstance(var, Constant):
        data = var.data
        return f"Constant{{{data.item()!r}}}" if data.size == 1 else f"Constant{{shape {data.shape}}}"
    if isinstance(var, SharedVariable):
        return "Shared"
    return "Input"


def _pattern(var):
    return var.type.pattern() or "()"


class _Ids:
    """Short ids (A, B, ..., Z, AA, AB, ...) for nodes and free variables, in the order
    they are first printed; every output of one Apply shares its node's id."""

    def __init__(self):
        self.ids = {}

    def __call__(self, var):
        key = var.owner if var.owner is not None else var
        if key not in self.ids:
            n, text = len(self.ids), ""
            while True:
                text = chr(ord("A") + n % 26) + text
                n = n // 26 - 1
                if n < 0:
                    break
            self.ids[key] = text
        return self.ids[key]


def _line(var, ids):
    node = var.owner
    if node is None:
        label = _leaf_label(var)
    else:
        label = op_label(node.op) + (f".{var.index}" if len(node.outputs) > 1 else "")
    return f"{label} [id {ids(var)}] '{var.name or ''}'  {var.dtype} {_pattern(var)}"


def _tree(root, ids, printed, lines):
    """Depth-first, inputs in order, one ' |' per level; a node printed before is
    printed again as one line (its id) without its inputs. Iterative: gradient graphs
    can be deeper than Python's recursion limit."""
    stack = [(root, 0)]
    while stack:
        var, depth = stack.pop()
        lines.append(" |" * depth + _line(var, ids))
        node = var.owner
        if node is None or node in printed:
            continue
        printed.add(node)
        for inp in reversed(node.inputs):
            stack.append((inp, depth + 1))


def _is_function(obj):
    return hasattr(obj, "plan") and hasattr(obj, "_out_vars")


def _roots(obj):
    """[(title or None, variable)] to print for a variable, a list of them, or a Function."""
    if _is_function(obj):
        roots = [(f"output {k}", v) for k, v in enumerate(obj._out_vars)]
        roots += [(f"update of {shared!r}", v) for (shared, _), v in zip(obj.updates, obj._update_vars)]
        return roots
    if isinstance(obj, Variable):
        return [(None, obj)]
    if isinstance(obj, (list, tuple)) and all(isinstance(v, Variable) for v in obj):
        return [(None, v) for v in obj]
    raise TypeError(f"debugprint/to_dot: expected a symbolic variable, a list of them or a compiled function, "
                    f"got {type(obj).__name__}")


def _steps(fn):
    """[(kind, name, nodes)] of a Function's plan in launch order: kind is 'kernel',
    'view' (no kernel: a strided window), 'host' (computed from shapes on the host)
    or 'loop' (a Scan: its step's kernels run once per step)."""
    from .compile.plan import HostStep, KernelStep, LoopStep, ViewStep
    out = []
    for step in fn.plan.steps:
        if isinstance(step, KernelStep):
            out.append(("kernel", step.name, list(step.nodes)))
        elif isinstance(step, HostStep):
            out.append(("host", None, [step.node]))
        elif isinstance(step, LoopStep):
            out.append(("loop", None, [step.node]))
        elif isinstance(step, ViewStep):
            out.append(("view", None, [step.node]))
    return out


def debugprint(var_or_fn, file=None):
    """Print the graph as an indented tree, one line per node:
    `Op{props} [id A] 'name'  dtype shape-pattern` (a pattern shows 1 for broadcastable
    axes, ? otherwise). A Function prints its optimized outputs and updates, then each
    kernel with the nodes it fuses (by id). file=None prints to stdout and returns None;
    file='str' returns the text; a file object is written to and returned (as Theano)."""
    ids, printed, lines = _Ids(), set(), []
    fn = var_or_fn if _is_function(var_or_fn) else None
    for title, var in _roots(var_or_fn):
        if title is not None:
            lines.append(f"{title}:")
        _tree(var, ids, printed, lines)
    if fn is not None:
        lines.append("kernels, in launch order:")
        templates = {k.name: os.path.basename(k.template) for k in fn.kernels}
        other = {"view": [], "host": [], "loop": []}
        for kind, name, nodes in _steps(fn):
            fused = ", ".join(f"{op_label(n.op)} [id {ids(n.outputs[0])}]" for n in nodes)
            if kind == "kernel":
                lines.append(f" {name} ({templates.get(name, '?')}): {fused}")
            else:
                other[kind].append(fused)
        if not fn.kernels:
            lines.append(" (none)")
        titles = {"view": "views (no kernel, a strided window on a buffer)",
                  "host": "computed on the host from shapes", "loop": "host loops"}
        for kind, items in other.items():
            if items:
                lines.append(f"{titles[kind]}: " + ", ".join(items))
    text = "\n".join(lines) + "\n"
    if file == "str":
        return text
    (sys.stdout if file is None else file).write(text)
    return None if file is None else file


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(var_or_fn):
    """The graph as Graphviz DOT text: an ellipse per variable (inputs, shared
    variables and constants in their own colours), a box per Apply node, edges along
    the data flow. For a Function, the nodes of each fused kernel are drawn inside a
    `subgraph cluster_<kernel name>`, views dashed, host-computed nodes grey."""
    roots = _roots(var_or_fn)
    fn = var_or_fn if _is_function(var_or_fn) else None
    var_ids, node_ids, edges = {}, {}, []
    order = []  # variables and nodes in a stable, depth-first order
    stack = [v for _, v in reversed(roots)]
    while stack:
        var = stack.pop()
        if var in var_ids:
            continue
        var_ids[var] = f"v{len(var_ids)}"
        order.append(var)
        node = var.owner
        if node is not None and node not in node_ids:
            node_ids[node] = f"n{len(node_ids)}"
            order.append(node)
            stack.extend(reversed(node.inputs))
    for item in order:
        if isinstance(item, Variable):
            if item.owner is not None:
                edges.append((node_ids[item.owner], var_ids[item]))
        else:
            edges.extend((var_ids[i], node_ids[item]) for i in item.inputs)
    titles = {v: t for t, v in roots if t is not None}

    def var_decl(var):
        parts = [titles.get(var), var.name or (_leaf_label(var) if var.owner is None else None),
                 f"{var.dtype} {_pattern(var)}"]
        label = "\n".join(p for p in parts if p)
        style = ""
        if var.owner is None:
            colour = "lightblue" if isinstance(var, SharedVariable) else "white" if isinstance(var, Constant) \
                else "lightgreen"
            style = f", style=filled, fillcolor={colour}"
        return f"{var_ids[var]} [label={_quote(label)}, shape=ellipse{style}];"

    def node_decl(node, extra=""):
        return f"{node_ids[node]} [label={_quote(op_label(node.op))}, shape=box{extra}];"

    lines = ["digraph clgraph {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    placed = set()
    if fn is not None:
        for kind, name, nodes in _steps(fn):
            if kind == "kernel":
                lines.append(f"  subgraph cluster_{name} {{")
                lines.append(f"    label={_quote(name)}; style=rounded; color=blue;")
                for node in nodes:
                    lines.append("    " + node_decl(node))
                    lines.extend("    " + var_decl(v) for v in node.outputs if v in var_ids)
                    placed.add(node)
                    placed.update(node.outputs)
                lines.append("  }")
            else:
                extra = ", style=dashed" if kind == "view" else ", style=filled, fillcolor=lightgrey"
                for node in nodes:
                    lines.append("  " + node_decl(node, extra))
                    placed.add(node)
    for item in order:
        if item in placed:
            continue
        lines.append("  " + (var_decl(item) if isinstance(item, Variable) else node_decl(item)))
    lines.extend(f"  {a} -> {b};" for a, b in edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def pydotprint(fn, outfile=None, format="png", **_ignored):
    """Theano's pydotprint: draw `fn` (a function, a variable or a list of them) to
    `outfile` (default clgraph.pydotprint.<format> in the current folder) with
    Graphviz's `dot` program when it is installed; without it, write the DOT text to
    `<outfile>.dot`, say how to get `dot`, and return that path. Returns the path
    written. Theano's styling arguments are accepted and ignored."""
    import shutil
    import subprocess
    import warnings
    outfile = outfile or f"clgraph.pydotprint.{format}"
    text = to_dot(fn)
    dot = shutil.which("dot")
    if dot is None:
        path = outfile + ".dot"
        with open(path, "w") as f:
            f.write(text)
        warnings.warn(f"pydotprint: Graphviz's `dot` program was not found, so the graph is written as DOT text to "
                      f"{path}; install Graphviz (apt install graphviz, brew install graphviz, conda install "
                      f"graphviz) to get {outfile}, or render the .dot file with any Graphviz viewer", stacklevel=2)
        return path
    result = subprocess.run([dot, f"-T{format}", "-o", outfile], input=text, text=True, capture_output=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pydotprint: dot -T{format} failed: {result.stderr.strip()}")
    return os.fspath(outfile)
