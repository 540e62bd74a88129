"""An elementwise tail of a convolution computed on its matrix product, so that it runs
in the GEMM's epilogue: relu(conv2d(x, w) + b[None, :, None, None]) is one kernel.

conv2d's result is a view: the (O, N*OH*OW) product reshaped to (O, N, OH, OW) and
dimshuffled to NCHW (or NHWC). An elementwise node reading that view, whose other
operands vary at most along the channel axis (a bias, a scalar), is rebuilt on the 2-D
product, the operands as (O, 1) columns, and the view is put back after it. Repeated
bottom-up, a whole chain (bias, then activation) moves onto the product, where the
plan fuses it into the GEMM (Plan._fuse_epilogues)."""
from ..graph.basic import Apply
from ..graph.types import TensorType
from ..ops.blas import Dot
from ..ops.elemwise import Elemwise
from ..ops.shape import DimShuffle, Reshape

__all__ = ["RULES"]


def _conv_view(var):
    """(product, reshape node, dimshuffle order) when var is the NCHW/NHWC view of a
    conv product (or of an elementwise result already moved onto one), else None."""
    node = var.owner
    if node is None or not isinstance(node.op, DimShuffle) or "x" in node.op.new_order or node.op.dropped:
        return None
    reshape = node.inputs[0].owner
    if reshape is None or not isinstance(reshape.op, Reshape) or reshape.op.ndim != 4:
        return None
    product = reshape.inputs[0]
    if product.ndim != 2 or product.owner is None or not _on_product(product.owner):
        return None
    return product, reshape, node.op.new_order


def _on_product(node, depth=0):
    """A conv product, or an elementwise chain over one (what this rule builds)."""
    if isinstance(node.op, Dot):
        return node.op.label == "conv2d"
    return isinstance(node.op, Elemwise) and depth < 16 and any(
        v.ndim == 2 and v.owner is not None and _on_product(v.owner, depth + 1) for v in node.inputs)


def _column(var, order):
    """A (O, 1) column (or (1, 1)) of an operand that varies only along the channel
    axis of the view, else None."""
    channel = order.index(0)
    if var.ndim != len(order) or any(not b for k, b in enumerate(var.broadcastable) if k != channel):
        return None
    keep = [] if var.broadcastable[channel] else [channel]
    pattern = keep + ["x"] * (2 - len(keep))
    return DimShuffle(var.broadcastable, pattern)(var)


def conv_tail(node):
    """f(view(P), b, ...) -> view(f(P, b as a column, ...))."""
    if not isinstance(node.op, Elemwise) or len(node.outputs) != 1 or node.outputs[0].ndim != 4:
        return None
    found, inputs = None, []
    for var in node.inputs:
        view = _conv_view(var)
        if view is not None and (found is None or (view[0].type == found[0].type and view[1].inputs[1] is found[1].inputs[1]
                                                   and view[2] == found[2])):
            found = found or view
            inputs.append(view[0])
            continue
        inputs.append(var)
    if found is None:
        return None
    product, reshape, order = found
    if node.outputs[0].dtype != product.dtype:
        return None  # (a comparison for a gradient: an epilogue writes the product's dtype)
    for k, var in enumerate(inputs):
        if var.ndim == 4:
            inputs[k] = _column(var, order)
            if inputs[k] is None:
                return None
    out = node.outputs[0]
    flat = Apply(node.op, inputs, [TensorType(out.dtype, (False, False))]).outputs[0]
    shaped = Reshape(4).make_node(flat, reshape.inputs[1], (False,) * 4).outputs[0]
    return [DimShuffle(shaped.broadcastable, order)(shaped)]


RULES = [conv_tail]
