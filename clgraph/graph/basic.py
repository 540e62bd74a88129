"""The graph IR: Variables are values, Apply nodes are operations on them.

A graph is plain data. Nodes are never changed after they are built: every rewrite and
`clone` makes new ones. Each Apply records the file:line of the user code that built it,
so an error found at compile or run time can point at the user's line.
"""
import itertools

import numpy as np

from . import trace as _trace
from .types import TensorType, check_dtype

__all__ = ["Variable", "Constant", "Apply", "as_variable", "ancestors", "toposort", "clone_replace"]

_ids = itertools.count()


# the scalar ops whose results have no truth value before they are computed
_COMPARISONS = frozenset(["lt", "le", "gt", "ge", "eq", "neq"])


class Variable:
    """A symbolic tensor: a graph input (owner is None) or the `index`-th output of an
    Apply node. Arithmetic operators build new nodes; `==` is identity (use `T.eq`)."""

    __array_priority__ = 1000  # numpy array OP Variable defers to our reflected operators

    def __init__(self, type, owner=None, index=None, name=None):
        if not isinstance(type, TensorType):
            raise TypeError(f"expected a TensorType, got {type!r}")
        self.type, self.owner, self.index, self.name = type, owner, index, name
        self.id = next(_ids)
        # Free inputs record their creation line too (for "missing input" errors).
        self.trace = _trace.capture() if owner is None else None

    # -- static facts ------------------------------------------------------------
    dtype = property(lambda self: self.type.dtype)
    ndim = property(lambda self: self.type.ndim)
    broadcastable = property(lambda self: self.type.broadcastable)

    def __repr__(self):
        if self.name:
            return self.name
        if self.owner is not None:
            return f"{self.owner.op}.{self.index}" if len(self.owner.outputs) > 1 else f"{self.owner.op}.out"
        return f"<{self.type}>"

    def describe(self):
        """'name' (float32, shape pattern) for error messages."""
        return f"{self!r} ({self.dtype}, ndim={self.ndim})"

    def __bool__(self):
        """True, as in Theano (`if not W:` tests whether a weight was given), except
        for a comparison's result, whose truth is only known once computed: `a < b < c`
        and `if x > 0:` must not silently take one branch."""
        scalar_op = getattr(self.owner.op, "scalar_op", None) if self.owner is not None else None
        if getattr(scalar_op, "name", None) in _COMPARISONS:
            raise TypeError(f"the truth value of the comparison {self!r} is unknown until it is computed; "
                            "use T.switch, T.and_ / T.or_ (not `if`, `and`, `or`, or chained comparisons)")
        return True

    def __iter__(self):
        raise TypeError(f"symbolic variable {self!r} cannot be iterated; index it (x[0]) instead")

    __hash__ = object.__hash__

    # -- evaluation ----------------------------------------------------------------
    def eval(self, inputs_to_values=None):
        """Compile (once per set of inputs) and evaluate this variable."""
        from ..compile.function import function
        inputs_to_values = dict(inputs_to_values or {})
        keys = tuple(inputs_to_values)
        cache = self.__dict__.setdefault("_eval_cache", {})
        if keys not in cache:
            cache[keys] = function(list(keys), self, on_unused_input="ignore")
        return cache[keys](*[inputs_to_values[k] for k in keys])

    def clone(self):
        """A fresh free variable of the same type and name."""
        return Variable(self.type, name=self.name)


def _tensor():
    from ..tensor import basic  # tensor functions build on the graph, not the reverse
    return basic


def _binary(name, reflected=False):
    def method(self, other):
        fn = getattr(_tensor(), name)
        return fn(other, self) if reflected else fn(self, other)
    method.__name__ = name
    return method


for _op, _fn in [("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "true_div"),
                 ("floordiv", "floor_div"), ("mod", "mod"), ("pow", "pow"),
                 ("and", "and_"), ("or", "or_"), ("xor", "xor")]:
    setattr(Variable, f"__{_op}__", _binary(_fn))
    setattr(Variable, f"__r{_op}__", _binary(_fn, reflected=True))
for _op, _fn in [("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge")]:
    setattr(Variable, f"__{_op}__", _binary(_fn))

Variable.__neg__ = lambda self: _tensor().neg(self)
Variable.__abs__ = lambda self: _tensor().abs_(self)
Variable.__invert__ = lambda self: _tensor().invert(self)
Variable.__pos__ = lambda self: self
Variable.T = property(lambda self: _tensor().transpose(self))
Variable.shape = property(lambda self: _tensor().shape(self))
Variable.__getitem__ = lambda self, key: __import__("clgraph.tensor.subtensor", fromlist=["getitem"]).getitem(
    self, key)
Variable.reshape = lambda self, *shape, **kw: __import__("clgraph.tensor.shape", fromlist=["x"]).reshape(
    self, shape[0] if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)) else shape, **kw)
Variable.flatten = lambda self, ndim=1: __import__("clgraph.tensor.shape", fromlist=["x"]).flatten(self, ndim)
Variable.transpose = lambda self, *axes: _tensor().transpose(self, axes or None)
Variable.dimshuffle = lambda self, *pattern: _tensor().dimshuffle(self, *pattern)
Variable.astype = lambda self, dtype: _tensor().cast(self, dtype)
Variable.clip = lambda self, a_min, a_max: _tensor().clip(self, a_min, a_max)
Variable.sum = lambda self, axis=None, keepdims=False, dtype=None: _tensor().sum(self, axis, keepdims, dtype)
Variable.max = lambda self, axis=None, keepdims=False: _tensor().max(self, axis, keepdims)
Variable.min = lambda self, axis=None, keepdims=False: _tensor().min(self, axis, keepdims)
Variable.dot = lambda self, other: __import__("clgraph.tensor.blas", fromlist=["dot"]).dot(self, other)
Variable.mean = lambda self, axis=None, keepdims=False, dtype=None: _tensor().mean(self, axis, keepdims, dtype)
Variable.prod = lambda self, axis=None, keepdims=False, dtype=None: _tensor().prod(self, axis, keepdims, dtype)
Variable.argmax = lambda self, axis=None, keepdims=False: _tensor().argmax(self, axis, keepdims)
Variable.argmin = lambda self, axis=None, keepdims=False: _tensor().argmin(self, axis, keepdims)
Variable.var = lambda self, axis=None, ddof=0, keepdims=False: _tensor().var(self, axis, ddof, keepdims)
Variable.std = lambda self, axis=None, ddof=0, keepdims=False: _tensor().std(self, axis, ddof, keepdims)
Variable.size = property(lambda self: _tensor().prod(self.shape))


class Constant(Variable):
    """A value known when the graph is built. `weak` marks a Python scalar that, as in
    numpy 2 (NEP 50), does not decide the dtype of an expression it takes part in."""

    def __init__(self, type, data, name=None, weak=False):
        super().__init__(type, name=name)
        self.data = np.asarray(data, dtype=type.dtype)
        self.weak = weak

    def __repr__(self):
        if self.name:
            return self.name
        return repr(self.data.item()) if self.data.ndim == 0 else f"Constant{self.data.shape}"

    def signature(self):
        return (self.type, self.data.tobytes(), self.data.shape)


def constant(value, dtype=None, name=None):
    """Wrap a number or array as a Constant (floats default to floatX for Python floats)."""
    weak = isinstance(value, (bool, int, float)) and dtype is None
    if dtype is None:
        # A weak number is stored exactly (float64/int64); the expression it joins
        # decides its dtype (NEP 50).
        dtype = np.asarray(value).dtype
    arr = np.asarray(value)
    dtype = check_dtype(dtype)
    data = arr.astype(dtype)
    return Constant(TensorType(dtype, tuple(n == 1 for n in data.shape)), data, name=name, weak=weak)


def as_variable(x, name=None):
    """A Variable for x: Variables pass through, numbers and arrays become Constants."""
    if isinstance(x, Variable):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(i, Variable) for i in x):
        raise TypeError("a list of symbolic variables is not a tensor; use T.stack")
    return constant(x, name=name)


class Apply:
    """One application of an Op to input Variables, producing output Variables."""

    __slots__ = ("op", "inputs", "outputs", "trace")

    def __init__(self, op, inputs, output_types, trace=None):
        self.op = op
        self.inputs = list(inputs)
        self.trace = trace if trace is not None else _trace.capture()
        self.outputs = [Variable(t, owner=self, index=i) for i, t in enumerate(output_types)]

    def __repr__(self):
        return f"{self.op}({', '.join(map(repr, self.inputs))})"

    @property
    def out(self):
        return self.outputs[0]


def toposort(outputs, stop=()):
    """Apply nodes needed for `outputs`, each after the nodes it depends on.
    Variables in `stop` are treated as inputs (their owners are not visited)."""
    stop = set(stop)
    order, seen = [], set()
    for root in outputs:
        stack = [(root, False)]
        while stack:
            var, expanded = stack.pop()
            node = var.owner
            if node is None or var in stop:
                continue
            if expanded:
                if id(node) not in seen:
                    seen.add(id(node))
                    order.append(node)
                continue
            if id(node) in seen:
                continue
            stack.append((var, True))
            for inp in reversed(node.inputs):
                if inp.owner is not None and id(inp.owner) not in seen:
                    stack.append((inp, False))
    return order


def readers(nodes):
    """{variable: the nodes of `nodes` that take it as an input}: which nodes a rewrite
    would leave reading a value it replaces."""
    out = {}
    for node in nodes:
        for i in node.inputs:
            out.setdefault(i, []).append(node)
    return out


def ancestors(outputs, stop=()):
    """Every Variable the outputs depend on (including themselves)."""
    result, stack, stop = set(), list(outputs), set(stop)
    while stack:
        v = stack.pop()
        if v in result:
            continue
        result.add(v)
        if v.owner is not None and v not in stop:
            stack.extend(v.owner.inputs)
    return result


def clone_replace(outputs, replace):
    """Copies of `outputs` with Variables replaced as in the dict `replace`; the copied
    nodes keep the trace of the originals so errors still point at the user's line."""
    memo = dict(replace)
    for node in toposort(outputs, stop=memo):
        new_inputs = [memo.get(i, i) for i in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        if all(a.type == b.type for a, b in zip(new_inputs, node.inputs)):
            # same input types, same output types: redoing the type rule could lose a
            # static pattern that was given, not derived (a reshape's broadcastable axes)
            new = Apply(node.op, new_inputs, [o.type for o in node.outputs], trace=node.trace)
        else:
            with _trace.inherit(node.trace):
                new = node.op.make_node(*new_inputs)
        for old_out, new_out in zip(node.outputs, new.outputs):
            memo[old_out] = new_out
    return [memo.get(o, o) for o in outputs]
