"""Reverse-mode differentiation: each Op's `grad` rule, applied from the cost back to
the requested variables. The result is itself a graph, so it is optimised and fused
like any other expression. Also: jacobian, hessian, and verify_grad (finite differences).
"""
import numpy as np

from .errors import DisconnectedInputError, GradientError, node_message
from .graph import trace as _trace
from .graph.basic import Constant, Variable, ancestors, as_variable, toposort

__all__ = ["grad", "jacobian", "hessian", "verify_grad"]


def _is_float(var):
    return np.dtype(var.dtype).kind == "f"


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """d cost / d wrt. `cost` must be a scalar; `wrt` a Variable or a list of them
    (the result has the same structure)."""
    from .tensor import basic as T
    cost = as_variable(cost)
    if cost.ndim != 0:
        raise GradientError(node_message(cost, f"grad: the cost must be a scalar, but {cost!r} has "
                                               f"ndim={cost.ndim} (dtype {cost.dtype}); take .sum() or "
                                               "use clgraph.gradient.jacobian"))
    if not _is_float(cost):
        raise GradientError(node_message(cost, f"grad: the cost has integer dtype {cost.dtype}; "
                                               "an integer cost has no gradient"))
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError("disconnected_inputs must be 'raise', 'warn' or 'ignore'")
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    for w in wrt_list:
        if not isinstance(w, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {type(w).__name__}")
    constants = set(consider_constant or ())

    grads = _backprop([cost], {cost: T.constant(1, cost.dtype)}, wrt_list, constants)
    result = []
    for w in wrt_list:
        g = grads.get(w)
        if g is None:
            if w not in ancestors([cost]) or w in constants:
                message = (f"grad: the cost does not depend on {w.describe()}"
                           " (pass disconnected_inputs='ignore' or 'warn' to get zeros instead)")
                if disconnected_inputs == "raise":
                    raise DisconnectedInputError(node_message(w, message))
                if disconnected_inputs == "warn":
                    import warnings
                    warnings.warn(message, stacklevel=2)
            g = T.zeros_like(w)
        if g.dtype != w.dtype and _is_float(w):
            g = T.cast(g, w.dtype)
        result.append(g)
    return result[0] if single else result


def _backprop(outputs, known, wrt, constants=frozenset()):
    """{variable: gradient} from the gradients `known` of some variables (the cost's
    own, or a loop step's outputs'), applying each Op's grad rule back towards `wrt`."""
    from .tensor import basic as T
    nodes = toposort(outputs, stop=constants)
    wanted = set(wrt)
    on_path = set()
    for node in nodes:
        if any(i in wanted or i in on_path for i in node.inputs):
            on_path.update(node.outputs)
    grads = dict(known)
    for node in reversed(nodes):
        if not any(o in on_path for o in node.outputs):
            continue
        gouts = [grads.get(o) for o in node.outputs]
        if all(g is None for g in gouts):
            continue
        if not any(_is_float(o) for o in node.outputs):
            continue  # integer/bool results carry no gradient
        gouts = [g if g is not None else T.zeros_like(o) for g, o in zip(gouts, node.outputs)]
        with _trace.inherit(node.trace):  # gradient nodes point at the forward node's line
            gins = node.op.grad(node.inputs, node.outputs, gouts)
        if len(gins) != len(node.inputs):
            raise GradientError(node_message(node, f"{node.op}.grad returned {len(gins)} gradients for "
                                                   f"{len(node.inputs)} inputs"))
        for inp, g in zip(node.inputs, gins):
            if g is None or isinstance(inp, Constant) or not (inp in wanted or inp in on_path):
                continue
            if inp in constants:
                continue
            g = as_variable(g)
            if g.ndim != inp.ndim:
                raise GradientError(node_message(node, f"{node.op}.grad gave a gradient of rank {g.ndim} "
                                                       f"for an input of rank {inp.ndim}"))
            grads[inp] = g if inp not in grads else grads[inp] + g
    return grads


def vjp(outputs, output_grads, wrt):
    """The gradients of sum_i sum(outputs[i] * output_grads[i]) with respect to each of
    `wrt` (None where none flows): a loop step's backward pass (scan's gradient)."""
    known = {}
    for o, g in zip(outputs, output_grads):
        if g is not None and _is_float(o):
            known[o] = g if o not in known else known[o] + g
    grads = _backprop(list(known), known, wrt)
    out = []
    for w in wrt:
        g = grads.get(w)
        if g is not None and g.dtype != w.dtype and _is_float(w):
            from .tensor.basic import cast
            g = cast(g, w.dtype)
        out.append(g)
    return out


def jacobian(expr, wrt, consider_constant=None, disconnected_inputs="raise"):
    """d expr[i] / d wrt for every element i of expr: shape expr.shape + wrt.shape.
    A scan over the elements of expr (as Theano's): step i is the gradient of element
    i, picked with onehot so that the step needs no index known on the host."""
    from .scan_module import scan
    from .tensor import basic as T
    from .tensor.shape import arange, reshape
    expr = as_variable(expr)
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    if expr.ndim == 0:
        out = grad(expr, wrt_list, consider_constant, disconnected_inputs)
        return out[0] if single else out
    if not _is_float(expr):
        raise GradientError(node_message(expr, f"jacobian: {expr.describe()} is not a float expression"))
    onehot = T._elemwise(__import__("clgraph.ops.scalar", fromlist=["x"]).SCALAR_OPS["onehot"])

    def row(i):
        pick = T.sum(expr * onehot(expr, i))
        return grad(pick, wrt_list, consider_constant, disconnected_inputs)
    rows, _ = scan(row, sequences=arange(T.prod(expr.shape), dtype="int64"), name="jacobian")
    rows = rows if isinstance(rows, list) else [rows]
    results = []
    for w, r in zip(wrt_list, rows):
        if expr.ndim > 1:
            shape = [expr.shape[d] for d in range(expr.ndim)] + [w.shape[d] for d in range(w.ndim)]
            r = reshape(r, shape, ndim=expr.ndim + w.ndim)
        results.append(r)
    return results[0] if single else results


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The matrix of second derivatives of a scalar cost (wrt a vector, or each of a list)."""
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    out = []
    for w in wrt_list:
        if w.ndim != 1:
            raise GradientError(node_message(w, f"hessian: wrt must be a vector, {w.describe()} has ndim={w.ndim}"))
        g = grad(cost, w, consider_constant, disconnected_inputs)
        out.append(jacobian(g, w, consider_constant, disconnected_inputs))
    return out[0] if single else out


def _default_tols(dtype):
    # (finite-difference step, absolute tolerance, relative tolerance)
    return {"float64": (1e-6, 1e-4, 1e-4), "float32": (1e-2, 1e-2, 1e-2)}[dtype]


def verify_grad(fn, points, rng=None, eps=None, abs_tol=None, rel_tol=None, n_tests=1):
    """Check clgraph's symbolic gradient of `fn` against central finite differences.

    `fn` maps symbolic inputs (one per array in `points`) to a symbolic output; its
    gradient is checked through the scalar cost sum(fn(*inputs) * P) with a random P.
    Raises AssertionError (a clgraph GradientError) naming the input and the largest error.
    """
    from .compile.function import function
    from .tensor import basic as T
    rng = rng if rng is not None else np.random.default_rng(42)
    points = [np.asarray(p) for p in points]
    for p in points:
        if p.dtype.kind != "f":
            raise TypeError(f"verify_grad: points must be float arrays, got {p.dtype}")
    inputs = [T.tensor(p.dtype.name, (False,) * p.ndim, name=f"input{i}") for i, p in enumerate(points)]
    out = as_variable(fn(*inputs))
    # the least precise of the inputs and the output sets the step and tolerances
    precise = all(d == "float64" for d in [p.dtype.name for p in points] + [out.dtype])
    d_eps, d_abs, d_rel = _default_tols("float64" if precise else "float32")
    eps, abs_tol, rel_tol = eps or d_eps, abs_tol or d_abs, rel_tol or d_rel
    for _ in range(n_tests):
        proj = rng.uniform(0.5, 1.5, size=_shape_of(out, inputs, points)).astype(out.dtype)
        proj_var = T.tensor(out.dtype, out.broadcastable, name="projection")
        cost = T.sum(out * proj_var) if out.ndim else out * proj_var
        cost_fn = function(inputs + [proj_var], cost, on_unused_input="ignore")
        grad_fn = function(inputs + [proj_var], grad(cost, inputs, disconnected_inputs="ignore"),
                           on_unused_input="ignore")
        analytic = grad_fn(*points, proj)
        for i, p in enumerate(points):
            numeric = np.zeros(p.shape, np.float64)
            flat = p.reshape(-1)
            for k in range(flat.size):
                plus, minus = flat.copy(), flat.copy()
                plus[k] += eps
                minus[k] -= eps
                args = list(points)
                args[i] = plus.reshape(p.shape)
                f_plus = float(cost_fn(*args, proj))
                args[i] = minus.reshape(p.shape)
                f_minus = float(cost_fn(*args, proj))
                # the true step, after rounding to the dtype
                step = float(plus[k]) - float(minus[k])
                numeric.reshape(-1)[k] = (f_plus - f_minus) / step
            a = np.asarray(analytic[i], np.float64)
            abs_err = np.abs(a - numeric)
            rel_err = abs_err / np.maximum(np.abs(a) + np.abs(numeric), 1e-8)
            bad = (abs_err > abs_tol) & (rel_err > rel_tol)
            if bad.any():
                k = int(np.argmax(np.where(bad, abs_err, -1)))
                raise GradientError(
                    f"verify_grad: gradient of input {i} (shape {p.shape}, {p.dtype}) disagrees with finite "
                    f"differences at flat index {k}: symbolic {a.reshape(-1)[k]:.6g}, numeric "
                    f"{numeric.reshape(-1)[k]:.6g} (abs err {abs_err.reshape(-1)[k]:.3g} > {abs_tol}, "
                    f"rel err {rel_err.reshape(-1)[k]:.3g} > {rel_tol})")


def _shape_of(out, inputs, points):
    from .compile.function import function
    return np.asarray(function(inputs, out, on_unused_input="ignore")(*points)).shape
