"""clgraph.elemwise_op: an elementwise op from an OpenCL C expression, for researchers
who want their own nonlinearity fused into clgraph's kernels.

    swish = clgraph.elemwise_op("swish", "x / (1 + exp(-x))",
                                grad=lambda x, gz: gz * (T.nnet.sigmoid(x) * (1 + x * (1 - T.nnet.sigmoid(x)))))
    y = swish(T.dot(h, W) + b)          # one kernel with its neighbours

The expression reads its inputs as x (one input), x, y (two), x, y, z, w, or x0, x1,
... by position, and may call OpenCL built-ins and clgraph's helpers. Inputs broadcast
and promote as for a built-in op (numpy's result dtype of the inputs); `dtypes` limits
the dtypes it accepts. `grad(*inputs, output_grad)` returns the gradient of each
input as symbolic expressions (one expression for one input); without it, clgraph.grad
through the op raises an error naming it. The expression runs on the device only: a
graph of constants through it is not folded on the host."""
import re

import numpy as np

from .errors import DTypeError, GradientError
from .ops.elemwise import Elemwise
from .ops.scalar import ScalarOp

__all__ = ["elemwise_op", "CUSTOM_OPS"]

#: name -> ScalarOp of every custom op made in this process (pickles find them here)
CUSTOM_OPS = {}

_NAMES = ["x", "y", "z", "w"]


def _input_count(expression, nin):
    """The number of inputs: `nin`, or one more than the highest input the expression
    names (x, y, z, w by letter, x0, x1, ... by number)."""
    used = set(re.findall(r"\b[A-Za-z_]\w*\b", expression))
    if nin is None:
        positional = [int(m[1:]) for m in used if re.fullmatch(r"x\d+", m)]
        lettered = [k for k, n in enumerate(_NAMES) if n in used]
        nin = max(positional + lettered, default=0) + 1
    return nin


def _template(expression, nin, name):
    """The expression as a ScalarOp format string: inputs {0}, {1}, ... ; a comment
    naming the op, so that a build error's source line names it."""
    text = expression.replace("{", "{{").replace("}", "}}")
    for k in range(nin):
        names = [f"x{k}"] + ([_NAMES[k]] if k < len(_NAMES) else [])
        for n in names:
            text = re.sub(rf"\b{n}\b", "{%d}" % k, text)
    return f"(({text}) /* elemwise_op {name} */)"


class _CustomScalarOp(ScalarOp):
    """A ScalarOp whose dtype rule is numpy's promotion of its inputs (it has no numpy
    reference to ask) and whose dtypes may be limited."""

    def __init__(self, name, nin, c, grad, dtypes):
        super().__init__(name, nin, c, self._no_reference, grad, vectorizable=False, key=("custom", name))
        self.allowed = None if dtypes is None else {np.dtype(d).name for d in dtypes}

    def _no_reference(self, *args):
        raise NotImplementedError(f"elemwise_op {self.name!r} runs on the device only")

    def output_dtype(self, args):
        dtypes = [a if isinstance(a, (bool, int, float)) else np.asarray(a).dtype for a in args]
        out = np.result_type(*dtypes).name
        if self.allowed is not None and out not in self.allowed:
            raise DTypeError(f"elemwise_op {self.name!r} is defined for {sorted(self.allowed)}, not {out}")
        return out


class _CustomElemwise(Elemwise):
    # (no numpy reference: constants through it are computed on the device, never on the host)
    foldable = False
    host_evaluable = False


def elemwise_op(name, c_expression, grad=None, dtypes=None, nin=None):
    """An op applying `c_expression` elementwise (see the module docstring); calling it
    on tensors (or numbers) gives its symbolic result."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise ValueError(f"elemwise_op: the name must be an identifier, got {name!r}")
    if not isinstance(c_expression, str) or not c_expression.strip():
        raise ValueError(f"elemwise_op {name!r}: give the OpenCL C expression as a string")
    nin = _input_count(c_expression, nin)

    def gradient(*args):  # ScalarOp's grad: (*inputs, output, output_grad)
        inputs, gz = args[:nin], args[-1]
        if grad is None:
            raise GradientError(f"elemwise_op {name!r} has no gradient: pass grad=lambda *inputs_and_output_grad: "
                                "... to elemwise_op to differentiate through it")
        got = grad(*inputs, gz)
        return list(got) if isinstance(got, (list, tuple)) else [got]

    sop = _CustomScalarOp(name, nin, _template(c_expression, nin, name), gradient, dtypes)
    CUSTOM_OPS[name] = sop
    return _CustomElemwise(sop)
