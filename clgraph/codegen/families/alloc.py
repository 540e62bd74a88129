"""alloc and arange render through elemwise.cl.mako: each is a one-statement elementwise
loop over its output, so they get the same vector code and the same tail handling."""
from ...graph.basic import Apply
from ...graph.types import TensorType
from ...ops.elemwise import Elemwise
from ...ops.scalar import SCALAR_OPS
from .elemwise import ElemwiseKernel

__all__ = ["AllocKernel", "ARangeKernel"]


def _loop(name, scalar_op, inputs, out):
    node = Apply(Elemwise(scalar_op), inputs, [TensorType(out.dtype, out.broadcastable)])
    # strided reads for the value: its broadcast axes have stride 0
    return ElemwiseKernel(name, [node], inputs, [node.outputs[0]], lambda v: False)


def AllocKernel(name, node):
    return _loop(name, SCALAR_OPS["identity"], node.inputs[:1], node.outputs[0])


def ARangeKernel(name, node):
    start, _stop, step = node.inputs
    kern = _loop(name, SCALAR_OPS["arange"], [start, step], node.outputs[0])
    kern.family = "arange"
    return kern
