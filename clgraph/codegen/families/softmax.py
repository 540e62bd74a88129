"""Softmax family: one row-wise node (ops/nnet.py: softmax, log_softmax and their
gradients, cross-entropy of class indices, one-hot rows) -> softmax.cl.mako parameters
and its launch.

Rows run over the last axis; the leading axes (any number, none for a vector) are
unravelled in the kernel, so every input is read through its strides (x.T needs no
copy). One work-item per row: enough parallelism for minibatches, no reductions
across work-items."""
import numpy as np

from ...graph.types import ctype

__all__ = ["SoftmaxKernel"]

# mode -> (reads the float tensor x, reads the class indices y, reads a second float
# tensor z: the softmax output, with respect to which x is the gradient)
_OPERANDS = {
    "softmax": (True, False, False), "log_softmax": (True, False, False),
    "xent": (True, True, False), "xent_logits": (True, True, False), "onehot": (False, True, False),
    "softmax_grad": (True, False, True), "log_softmax_grad": (True, False, True),
}


class SoftmaxKernel:
    template = "softmax.cl.mako"
    family = "softmax"

    def __init__(self, name, node):
        self.name, self.mode = name, node.op.mode
        self.reads_x, self.reads_y, self.reads_z = _OPERANDS[self.mode]
        rows_of, out = node.inputs[0], node.outputs[0]
        y = node.inputs[1] if self.reads_y else None
        z = node.inputs[1] if self.reads_z else None
        # onehot only needs the shape of its first input: that is the output's shape
        self.buffer_inputs = [v for v, used in ((rows_of, self.reads_x), (y, y is not None), (z, z is not None))
                              if used]
        self.n_lead = rows_of.ndim - 1
        acc = out.dtype if z is not None else rows_of.dtype
        self.kwargs = dict(name=name, mode=self.mode, n_lead=self.n_lead, acc_ctype=ctype(acc),
                           x_ctype=ctype(rows_of.dtype) if self.reads_x else None,
                           y_ctype=ctype(y.dtype) if y is not None else None,
                           z_ctype=ctype(z.dtype) if z is not None else None, out_ctype=ctype(out.dtype))
        self.dtypes = {rows_of.dtype, out.dtype} | {v.dtype for v in (y, z) if v is not None}

    def render_kwargs(self):
        return self.kwargs

    def launch(self, in_arrays, out_arrays):
        i64 = np.int64
        arrays = list(in_arrays)
        x = arrays.pop(0) if self.reads_x else None
        y = arrays.pop(0) if self.reads_y else None
        z = arrays.pop(0) if self.reads_z else None
        (out,) = out_arrays
        shape = out.shape if x is None or z is not None else x.shape
        lead, ncol = shape[:-1], shape[-1]
        n_rows = int(np.prod(lead, dtype=np.int64))

        def stride(arr, d):  # 0 along an axis the operand broadcasts over
            return 0 if arr.shape[d] == 1 and shape[d] != 1 else arr.strides[d]
        args = [i64(n_rows)]
        for d in range(self.n_lead):
            args.append(i64(lead[d]))
            args += [i64(stride(a, d)) for a in (x, y, z) if a is not None]
        args.append(i64(ncol))
        if x is not None:
            args += [i64(stride(x, -1)), x.buffer, i64(x.offset)]
        if y is not None:
            args += [y.buffer, i64(y.offset)]
        if z is not None:
            args += [i64(stride(z, -1)), z.buffer, i64(z.offset)]
        args += [out.buffer, i64(out.offset)]
        return n_rows, None, args
