"""One driver per template. A driver turns a node (or, for elemwise, a fused group) into
its template's parameters (`render_kwargs`) and, for concrete DeviceArrays, into the
launch: (global size, local size or None, kernel arguments). Sizes and strides are
always arguments, never part of the source.

Single-node families are registered here by the name in their Op's `family`."""
from .alloc import AllocKernel, ARangeKernel
from .conv import ConvKernel
from .join import JoinKernel
from .philox import PhiloxKernel
from .reduce import ReduceKernel
from .softmax import SoftmaxKernel
from .subtensor import IncSubtensorKernel, PutKernel, TakeKernel
from .xent_grad import XentGradKernel

FAMILIES = {
    "reduce": ReduceKernel,
    "join": JoinKernel,
    "alloc": AllocKernel,
    "arange": ARangeKernel,
    "softmax": SoftmaxKernel,
    "conv": ConvKernel,
    "xent_grad": XentGradKernel,
    "incsubtensor": IncSubtensorKernel,
    "take": TakeKernel,
    "put": PutKernel,
    "philox": PhiloxKernel,
    "bn_stats": __import__("clgraph.codegen.families.bn", fromlist=["BatchStatsKernel"]).BatchStatsKernel,
    "pool": __import__("clgraph.codegen.families.pool", fromlist=["PoolKernel"]).PoolKernel,
    "gemm": __import__("clgraph.codegen.families.gemm", fromlist=["GemmKernel"]).GemmKernel,
}
