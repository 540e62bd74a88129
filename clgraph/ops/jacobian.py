"""Jacobian: row k of d expr / d wrt is the gradient of expr.flat[k], computed by one
inner compiled graph launched once per row from the host (as Theano's scan-based
jacobian does). The inner graph picks element k with `onehot`, so it needs no indexing,
and k is read from a device buffer of row numbers: the loop uploads nothing per row."""
import numpy as np

from ..errors import GradientError, node_message
from ..graph.basic import Apply, Constant, Variable, ancestors, as_variable
from ..graph.types import TensorType
from .base import Op

__all__ = ["JacobianOp", "jacobian"]


class JacobianOp(Op):
    host_loop = True

    def __init__(self, index, row_grad, expr, wrt, free):
        self.index, self.row_grad, self.expr, self.wrt = index, row_grad, expr, wrt
        self.free = free  # the inner graph's free variables, matched to node inputs by position
        self._plans = {}

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __str__(self):
        return "Jacobian"

    def make_node(self, *inputs):
        if len(inputs) != len(self.free):
            raise TypeError("Jacobian: wrong number of inputs")
        bcast = self.expr.broadcastable + self.wrt.broadcastable
        return Apply(self, list(inputs), [TensorType(self.row_grad.dtype, bcast)])

    def _inner_shapes(self, node, shapes):
        from ..compile.plan import host_nodes, infer_shapes, toposort
        known = {f: s for f, s in zip(self.free, shapes)}
        known[self.index] = ()
        nodes = toposort([self.row_grad, self.expr, self.wrt], stop=known)
        return infer_shapes(nodes, known, host_nodes(nodes))

    def infer_shape(self, node, shapes, values=None):
        inner, _ = self._inner_shapes(node, shapes)
        return [inner[self.expr] + inner[self.wrt]]

    def perform(self, node, inputs):
        raise NotImplementedError("Jacobian runs on the device only")

    def grad(self, inputs, outputs, output_grads):
        raise GradientError(node_message(node=outputs[0], message="the jacobian itself is not differentiable "
                                                                  "in clgraph yet"))

    def run(self, node, env, shapes, queue, pool, taken, device):
        """Enqueue the inner graph once per row of the result."""
        import pyopencl as cl
        from ..compile.plan import Plan
        from ..runtime.arrays import DeviceArray
        plan = self._plans.get(id(device))
        if plan is None:
            plan = self._plans[id(device)] = Plan([self.row_grad], device)
        inner_shapes, inner_values = self._inner_shapes(node, [shapes[i] if i in shapes else i.data.shape
                                                 for i in node.inputs])
        out_var = node.outputs[0]
        out = pool.alloc(shapes[out_var], out_var.dtype)
        taken.append(out.buffer)
        env[out_var] = out
        rows = int(np.prod(inner_shapes[self.expr], dtype=np.int64))
        row_bytes = int(np.prod(inner_shapes[self.wrt], dtype=np.int64)) * out.dtype.itemsize
        if rows == 0 or row_bytes == 0:
            return
        index = pool.upload(queue, np.arange(rows, dtype=np.int64))
        taken.append(index.buffer)
        outer = {f: env[i] for f, i in zip(self.free, node.inputs)}
        for k in range(rows):
            inner_env = dict(outer)
            inner_env[self.index] = DeviceArray(index.buffer, (), np.int64, offset=k)
            scratch = []
            plan.enqueue(inner_env, inner_shapes, inner_values, queue, pool, scratch)
            g = inner_env[self.row_grad]
            cl.enqueue_copy(queue, out.buffer, g.buffer, byte_count=row_bytes,
                            src_offset=g.offset * g.dtype.itemsize, dst_offset=k * row_bytes)
            # the queue runs in order: the next row's kernels run after this copy,
            # so the scratch buffers can be reused at once
            for b in scratch:
                pool.give(b)


def jacobian(expr, wrt, consider_constant=None, disconnected_inputs="raise"):
    from ..gradient import grad
    from ..tensor import basic as T
    expr = as_variable(expr)
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    if expr.ndim == 0:
        out = grad(expr, wrt_list, consider_constant, disconnected_inputs)
        return out[0] if single else out
    if np.dtype(expr.dtype).kind != "f":
        raise GradientError(node_message(expr, f"jacobian: {expr.describe()} is not a float expression"))
    results = []
    for w in wrt_list:
        index = T.lscalar("row")
        pick = T.sum(expr * T._elemwise(_onehot())(expr, index))
        g = grad(pick, w, consider_constant, disconnected_inputs)
        if g.owner is None or g.owner.op.view:
            g = T.identity(g)  # the row must be a contiguous buffer of its own
        free = [v for v in ancestors([g, expr, w]) if v.owner is None and not isinstance(v, Constant)
                and v is not index]
        op = JacobianOp(index, g, expr, w, free)
        results.append(op(*free) if free else op.make_node().outputs[0])
    return results[0] if single else results


def _onehot():
    from .scalar import SCALAR_OPS
    return SCALAR_OPS["onehot"]
