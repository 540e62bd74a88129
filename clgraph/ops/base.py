"""The Op interface. An Op says what its output types are (make_node), computes them
with numpy (perform: the test oracle, never a silent fallback), states its gradient
(grad, as graph expressions) and its output shapes (infer_shape), and names the
template family that renders its kernel (`family`; None for ops that need no kernel)."""

__all__ = ["Op"]


class Op:
    #: name of the codegen family / template stem; None when no kernel is launched
    family = None
    #: True when output 0 is a view of input 0 (no kernel, no copy)
    view = False
    #: True when perform() may compute the output on the host while inferring shapes,
    #: if every input is known there (x.shape[0] * 2 feeding an alloc)
    host_evaluable = False
    #: True for ops whose output is a function of input shapes only (Shape); they
    #: define host_value(node, input_shapes) -> list of arrays
    host_only = False
    #: attributes that define equality (two equal ops on equal inputs compute the same)
    __props__ = ()

    def _props(self):
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        return type(self).__name__

    __repr__ = __str__

    def __call__(self, *inputs):
        node = self.make_node(*inputs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def make_node(self, *inputs):
        raise NotImplementedError

    def perform(self, node, inputs):
        """numpy reference: list of input arrays -> list of output arrays."""
        raise NotImplementedError(f"{self} has no numpy reference")

    def grad(self, inputs, outputs, output_grads):
        """Symbolic gradients of the inputs (None where there is none)."""
        from ..errors import GradientError
        raise GradientError(f"{self} has no gradient")

    def infer_shape(self, node, input_shapes, input_values):
        """Concrete output shapes from concrete input shapes; raises ShapeError.
        input_values holds the host value of inputs known on the host (constants,
        values computed from shapes), else None: ops such as alloc need them."""
        raise NotImplementedError
