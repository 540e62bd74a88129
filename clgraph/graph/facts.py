"""Facts about a graph that rewrites and the planner both ask: which inputs a node
reads the values of (not just the shape), which nodes read a variable's values for a
set of roots, and which elementwise ops are cheap enough to compute twice. Plain graph
questions, so rewrites need not import the compiler."""

__all__ = ["CHEAP_OPS", "add_terms", "cheap", "value_inputs", "value_readers"]

# elementwise ops cheap enough to compute again: for every element of a wider loop
# (Plan._absorb_broadcast_producers), or in a reduction's private prologue
# (rewrite/prologues.py)
CHEAP_OPS = {"add", "sub", "mul", "true_div", "neg", "second", "identity", "maximum", "minimum", "abs", "sqr",
             "switch", "eq", "neq", "lt", "gt", "le", "ge"}


def _scalar_name(node):
    sop = getattr(node.op, "scalar_op", None)  # (elementwise ops only)
    return sop.name if sop is not None else None


def cheap(node):
    """An elementwise node of plain arithmetic (no math function)."""
    name = _scalar_name(node)
    return name is not None and (name in CHEAP_OPS or name.startswith("cast"))


def value_inputs(node):
    """The inputs whose values `node` reads. second(a, b) (b broadcast to a's shape, from
    the gradient of a sum or mean) needs only a's shape, which is known without a: no
    kernel has to wait for a."""
    if _scalar_name(node) == "second" and node.inputs[0] is not node.inputs[1]:
        return node.inputs[1:]
    return node.inputs


def value_readers(nodes, roots):
    """{variable: the nodes of `nodes` (topologically sorted) that read its value for
    the `roots`}. Not counted: x.shape, the shape operand of second(), and any node
    whose own values nothing reads (after a rewrite, a gradient's dimshuffle(x) may be
    left giving second() its shape)."""
    live, out = set(roots), {}
    for node in reversed(nodes):
        if node.op.host_only or not any(o in live for o in node.outputs):
            continue
        for i in value_inputs(node):
            out.setdefault(i, []).append(node)
            live.add(i)
    return out


def add_terms(var):
    """The terms of `var` as a sum: the leaves of its tree of adds whose inputs have the
    sum's type (no broadcasting or promotion inside), or [var]."""
    node = var.owner
    if node is not None and _scalar_name(node) == "add" and all(i.type == var.type for i in node.inputs):
        return [t for i in node.inputs for t in add_terms(i)]
    return [var]
