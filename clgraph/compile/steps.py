"""The steps of a plan, in launch order (see plan.py)."""

__all__ = ["KernelStep", "ViewStep", "HostStep", "LoopStep"]


class KernelStep:
    """A driver with `variants` (kernel names) renders several kernels into the program;
    its launch() returns the name of the one to run as a fourth value. A driver with
    `arg_dtypes` (numpy dtypes of the scalar arguments, None for buffers) gets typed
    kernels, whose set_args is much faster than with untyped numpy scalars."""
    __slots__ = ("kernel", "cl_kernel", "inputs", "outputs", "nodes", "name", "variants", "launch_cache",
                 "offset_free")

    def __init__(self, kernel, inputs, outputs, nodes):
        self.kernel, self.inputs, self.outputs, self.nodes = kernel, inputs, outputs, nodes
        self.name = kernel.name
        self.cl_kernel = None
        self.variants = {}
        self.launch_cache = {}  # operand layout -> recorded launches (compile/launch.py)
        self.offset_free = False  # True once a recording showed each offset follows its buffer


class ViewStep:
    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node


class HostStep(ViewStep):
    __slots__ = ()


class LoopStep(ViewStep):
    """A Scan node: `loop` (compile/loop.py) enqueues its compiled step n times."""
    __slots__ = ("loop",)

    def __init__(self, node, loop):
        super().__init__(node)
        self.loop = loop
