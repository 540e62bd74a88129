"""An elementwise tail of a convolution computed on its matrix product, so that it runs
in the GEMM's epilogue: relu(conv2d(x, w) + b[None, :, None, None]) is one kernel.

conv2d's result is a view: the (N, O, OH*OW) product reshaped to (N, O, OH, OW), maybe
dimshuffled (NHWC for Keras' 'tf' ordering). An elementwise node reading that view,
whose other operands vary at most along the image and channel axes (a bias, a scalar),
is rebuilt on the product, the operands as (N or 1, O or 1, 1) views, and the view is
put back after it. Repeated bottom-up, a whole chain (bias, then activation) moves onto
the product, where the plan fuses it into the GEMM (Plan._fuse_epilogues)."""
from ..graph.basic import Apply
from ..graph.types import TensorType
from ..ops.blas import Dot
from ..ops.elemwise import Elemwise
from ..ops.shape import DimShuffle, Reshape

__all__ = ["RULES"]


def _conv_view(var):
    """(product, reshape node, axis order) when var is the NCHW view of a conv product
    (or of an elementwise result already moved onto one), or a dimshuffle of it."""
    order = (0, 1, 2, 3)
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle):
        if "x" in node.op.new_order or node.op.dropped:
            return None
        order, node = node.op.new_order, node.inputs[0].owner
    if node is None or not isinstance(node.op, Reshape) or node.op.ndim != 4:
        return None
    product = node.inputs[0]
    if product.ndim != 3 or product.owner is None or not _on_product(product.owner):
        return None
    return product, node, tuple(order)


def _on_product(node, depth=0):
    """A conv product, or an elementwise chain over one (what this rule builds)."""
    if isinstance(node.op, Dot):
        return node.op.label == "conv2d"
    return isinstance(node.op, Elemwise) and depth < 16 and any(
        v.ndim == 3 and v.owner is not None and _on_product(v.owner, depth + 1) for v in node.inputs)


def _per_channel(var, order):
    """The operand as (N or 1, O or 1, 1) when it is constant over the image rows and
    columns of the view (a bias, a scalar), else None."""
    if var.ndim != len(order):
        return None
    axis = {src: k for k, src in enumerate(order)}  # NCHW axis -> the operand's axis
    if not (var.broadcastable[axis[2]] and var.broadcastable[axis[3]]):
        return None
    pattern = [axis[d] if not var.broadcastable[axis[d]] else "x" for d in (0, 1)] + ["x"]
    return DimShuffle(var.broadcastable, pattern)(var)


def conv_tail(node):
    """f(view(P), b, ...) -> view(f(P, b per channel, ...))."""
    if not isinstance(node.op, Elemwise) or len(node.outputs) != 1 or node.outputs[0].ndim != 4:
        return None
    found, inputs = None, []
    for var in node.inputs:
        view = _conv_view(var)
        if view is not None and (found is None or (view[0].type == found[0].type
                                                   and view[1].inputs[1] is found[1].inputs[1]
                                                   and view[2] == found[2])):
            found = found or view
            inputs.append(view[0])
        else:
            inputs.append(var)
    if found is None:
        return None
    product, reshape, order = found
    if node.outputs[0].dtype != product.dtype:
        return None  # (a comparison for a gradient: an epilogue writes the product's dtype)
    for k, var in enumerate(inputs):
        if var.ndim == 4:
            inputs[k] = _per_channel(var, order)
            if inputs[k] is None:
                return None
    out = node.outputs[0]
    flat = Apply(node.op, inputs, [TensorType(out.dtype, product.broadcastable)]).outputs[0]
    shaped = Reshape(4).make_node(flat, reshape.inputs[1], reshape.outputs[0].broadcastable).outputs[0]
    if order == (0, 1, 2, 3):
        return [shaped]
    return [DimShuffle(shaped.broadcastable, order)(shaped)]


RULES = [conv_tail]
