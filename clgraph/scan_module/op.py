"""The Scan op: it only declares a loop. Its inner graph maps one step's inputs (a row
of each sequence, the tapped rows of each carried state, the non-sequences) to the
step's outputs (the new row of each state, a row of each output not fed back) and,
for `until`, a stop condition. Compiling it is compile/loop.py's job; its gradient is
another Scan (scan_module/grad.py).

Outer inputs:  n_steps, sequences (step i reads row i), initial rows of each state
               (L_j rows for taps down to -L_j), non-sequences.
Outer outputs: each state's whole buffer (L_j initial rows, then one per step), each
               non-fed-back output (one row per step); with `until`, the number of
               steps run (an int64 known on the host once the loop has run)."""
import numpy as np

from ..errors import ShapeError, node_message
from ..graph.basic import Apply, toposort
from ..graph.shapes import host_nodes, infer_shapes
from ..graph.types import TensorType
from ..ops.base import Op

__all__ = ["Scan"]


class Scan(Op):
    is_loop = True  # the plan runs it as a LoopStep (compile/loop.py)
    foldable = False

    def __init__(self, seqs, taps, nonseqs, state_outs, nitsot_outs, cond=None, name=None,
                 truncate_gradient=-1):
        self.seqs = list(seqs)                  # inner row variable of each sequence
        self.taps = [list(t) for t in taps]     # per state: [(tap k < 0, inner variable)]
        self.nonseqs = list(nonseqs)            # inner variable of each non-sequence
        self.state_outs = list(state_outs)      # per state: the inner new row
        self.nitsot_outs = list(nitsot_outs)    # outputs not fed back
        self.cond = cond                        # until(cond): stop after the step where it holds
        self.name = name
        self.truncate_gradient = truncate_gradient
        self.lags = [-min(k for k, _ in t) for t in self.taps]
        self._inner_nodes = toposort(self.inner_roots)
        self._inner_hosted = host_nodes(self._inner_nodes)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __str__(self):
        return f"Scan{{{self.name}}}" if self.name else "Scan"

    @property
    def inner_inputs(self):
        return self.seqs + [v for t in self.taps for _, v in t] + self.nonseqs

    @property
    def inner_roots(self):
        return self.state_outs + self.nitsot_outs + ([self.cond] if self.cond is not None else [])

    @property
    def n_states(self):
        return len(self.taps)

    def split(self, inputs):
        """(n_steps, sequences, initial rows, non-sequences) of a node's inputs."""
        s, j = len(self.seqs), len(self.taps)
        return inputs[0], inputs[1:1 + s], inputs[1 + s:1 + s + j], inputs[1 + s + j:]

    def make_node(self, n_steps, *inputs):
        _, seqs, inits, nonseqs = self.split([n_steps, *inputs])
        if len(inputs) != len(self.seqs) + len(self.taps) + len(self.nonseqs):
            raise TypeError(f"{self}: expected {len(self.seqs) + len(self.taps) + len(self.nonseqs)} inputs after "
                            f"n_steps, got {len(inputs)}")
        for outer, inner, what in [(s, v, "sequence") for s, v in zip(seqs, self.seqs)] + \
                [(i, t[0][1], "initial state") for i, t in zip(inits, self.taps)]:
            if outer.ndim != inner.ndim + 1 or outer.dtype != inner.dtype:
                raise TypeError(f"{self}: {what} {outer.describe()} does not give rows of {inner.describe()}")
        for outer, inner in zip(nonseqs, self.nonseqs):
            if outer.ndim != inner.ndim or outer.dtype != inner.dtype:
                raise TypeError(f"{self}: non-sequence {outer.describe()} does not match {inner.describe()}")
        types = [TensorType(t[0][1].dtype, (False,) + tuple(a and b for a, b in zip(t[0][1].broadcastable,
                                                                                       o.broadcastable)))
                 for t, o in zip(self.taps, self.state_outs)]
        types += [TensorType(o.dtype, (False,) + o.broadcastable) for o in self.nitsot_outs]
        if self.cond is not None:
            types.append(TensorType("int64", ()))
        return Apply(self, [n_steps, *inputs], types)

    def inner_known(self, shapes):
        """{inner input: shape} from the outer inputs' shapes (sequences and initial
        rows give their row shape)."""
        _, seqs, inits, nonseqs = self.split(list(shapes))
        known = {}
        for v, s in zip(self.seqs, seqs):
            known[v] = tuple(s[1:])
        for t, s in zip(self.taps, inits):
            for _, v in t:
                known[v] = tuple(s[1:])
        for v, s in zip(self.nonseqs, nonseqs):
            known[v] = tuple(s)
        return known

    def infer_shape(self, node, shapes, values):
        n = values[0]
        if n is None:
            raise ShapeError(node_message(node, f"{self}: n_steps must be known before the loop runs (a Python "
                                                "int, an integer scalar input, or computed from shapes)"))
        n = int(n)
        if n < 0:
            raise ShapeError(node_message(node, f"{self}: n_steps is {n}; it must not be negative"))
        _, seqs, inits, _ = self.split(list(shapes))
        for k, s in enumerate(seqs):
            if s[0] < n:
                raise ShapeError(node_message(node, f"{self}: sequence {k} has {s[0]} rows (shape {tuple(s)}) "
                                                    f"for {n} steps"))
        for j, (s, lag) in enumerate(zip(inits, self.lags)):
            if s[0] != lag:
                raise ShapeError(node_message(node, f"{self}: output {j} has taps down to -{lag} and needs "
                                                    f"{lag} initial rows, got shape {tuple(s)}"))
        inner, _ = infer_shapes(self._inner_nodes, self.inner_known(shapes), self._inner_hosted)
        out = []
        for j, (o, s) in enumerate(zip(self.state_outs, inits)):
            got = inner[o]
            if tuple(got) != tuple(s[1:]):
                raise ShapeError(node_message(o, f"{self}: output {j} of the step function has shape {got} "
                                                 f"({o.describe()}) but its outputs_info has rows of shape "
                                                 f"{tuple(s[1:])} ({self.taps[j][0][1].describe()}): the state must "
                                                 "keep its shape from step to step"))
            out.append((lag_rows(s[0], n),) + tuple(got))
        out += [(n,) + tuple(inner[o]) for o in self.nitsot_outs]
        if self.cond is not None:
            if inner[self.cond] != ():
                raise ShapeError(node_message(self.cond, f"{self}: the until condition must be a scalar, got shape "
                                                         f"{inner[self.cond]}"))
            out.append(())
        return out

    def host_outputs(self, node):
        """With `until`, the number of steps run is known on the host after the loop."""
        return node.outputs[-1:] if self.cond is not None else []

    def provisional_values(self, node, in_values):
        """Before the loop runs: as many steps as n_steps allows (the buffers' size)."""
        if self.cond is None:
            return {}
        return {node.outputs[-1]: np.asarray(0 if in_values[0] is None else in_values[0], np.int64)}

    def perform(self, node, inputs):
        raise NotImplementedError("Scan runs on the device only")

    def grad(self, inputs, outputs, output_grads):
        from .grad import scan_grad
        return scan_grad(self, inputs, outputs, output_grads)


def lag_rows(lag, n):
    return int(lag) + int(n)
