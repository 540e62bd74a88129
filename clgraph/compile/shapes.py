"""Shapes and host values of a plan's variables. `host_nodes` finds the nodes computed
on the host (x.shape and arithmetic on it, index arithmetic from integer inputs);
`infer_shapes` walks the graph once; `ShapeCache` keeps what does not change between
calls: the nodes that depend on host-known input values (the minibatch index and the
slices it feeds) are evaluated per call, the rest is cached by the shapes it sees."""
import numpy as np

from ..graph.basic import Constant
from ..graph.shapes import HOST_VALUE_LIMIT, host_nodes, infer_shapes  # noqa: F401 (re-exported)

__all__ = ["HOST_VALUE_LIMIT", "host_nodes", "infer_shapes", "ShapeCache"]


class ShapeCache:
    """infer_shapes for one plan, cached per call signature (see the module doc)."""

    def __init__(self, nodes, hosted, host_inputs):
        self.nodes, self.hosted, self.host_inputs = nodes, hosted, list(host_inputs)
        self._cache = {}
        self._value_split = self._split_value_nodes()
        #: the signature of the last call (equal keys: equal shapes everywhere, and equal
        #: host values except those in `dynamic`), for compile/replay.py
        self.key, self.dynamic = None, frozenset()
        first = self._value_split[0] if self._value_split is not None else None
        #: True when the value-dependent nodes are only host arithmetic and views: then
        #: the shapes follow from the free variables' shapes and those views' shapes, and
        #: a call replayed from a recording needs only host_values() (compile/function.py)
        self.values_alone = first is not None and all(
            (n in hosted and not getattr(n.op, "host_only", False)) or (n not in hosted and n.op.view)
            for n in first)
        self._hosted_first = [n for n in first or () if n in hosted]

    def _split_value_nodes(self):
        """The nodes whose results depend on the values of host-known inputs (index
        arithmetic, and the slices it feeds: data[i * bs:(i + 1) * bs]), and the rest,
        whose shapes follow from the shapes alone. None when the first group needs a
        shape from the second (then nothing is cached by shape)."""
        value_vars, first = set(self.host_inputs), []
        for node in self.nodes:
            if any(i in value_vars for i in node.inputs):
                first.append(node)
                if node in self.hosted:
                    value_vars.update(node.outputs)
        inside = set(first)
        for node in first:
            for i in node.inputs:
                if i.owner is not None and i.owner not in inside:
                    return None
        self._value_vars = frozenset(value_vars)
        return first, [n for n in self.nodes if n not in inside]

    def __call__(self, known, known_values=None):
        """(shapes, host values) of every variable, given {variable: shape} for the free
        ones and the values of host-known inputs. The value-dependent nodes are
        evaluated on each call (a few index computations); the rest is cached by the
        shapes they see, so the calls of an epoch (same batch size, a new index each
        time) do no other shape arithmetic."""
        known_values = known_values or {}
        if self._value_split is None or not known_values:
            key = tuple(known.values()) + tuple(v.item() for v in known_values.values())
            self.key, self.dynamic = key, frozenset()
            cached = self._cache.get(key)
            if cached is None:
                cached = infer_shapes(self.nodes, known, self.hosted, known_values)
                self._remember(key, cached)
            return cached
        first, rest = self._value_split
        shapes, values = infer_shapes(first, known, self.hosted, known_values)
        key = tuple(shapes.values())
        self.key, self.dynamic = key, self._value_vars
        cached = self._cache.get(key)
        if cached is None:
            cached = infer_shapes(rest, shapes, self.hosted, {})
            self._remember(key, cached)
        # the entry's shapes include these (equal: they are its key); the values of the
        # value-dependent nodes are this call's
        values.update(cached[1])
        return cached[0], values

    def host_values(self, known_values):
        """The values of the value-dependent host nodes (the index arithmetic) for these
        values of the host-known inputs, computing no shape (see values_alone)."""
        values = dict(known_values)
        for node in self._hosted_first:
            outs = node.op.perform(node, [values.get(i, i.data if isinstance(i, Constant) else None)
                                          for i in node.inputs])
            for var, value in zip(node.outputs, outs):
                values[var] = np.asarray(value, dtype=var.dtype)
        return values

    def _remember(self, key, entry):
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = entry

