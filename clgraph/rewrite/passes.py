"""The rewrite pipeline, in the order it runs. Every pass maps a list of root variables
to equivalent roots; nodes a pass creates inherit the user's line of the node they
replace, so errors still point at user code. A rewrite never changes a variable's type
(dtype and broadcastable pattern): `local_rewrite` refuses a rule's result that would.

`clgraph.config.rewrites_excluding` names passes to skip (tests compile with and
without them to compare values)."""
from ..config import config
from ..errors import ClgraphError
from ..graph import trace as _trace
from ..graph.basic import Apply, toposort
from . import (canonical, constant_fold, conv_epilogue, lift, loop_outputs, merge, prologues, reductions, scan_hoist,
               simplify, slice_gradients, stabilize, views)


def rebuild(old, inputs):
    """`old`'s op applied to new inputs, keeping its user line. When the inputs keep
    their types the outputs keep theirs too, so the node is made directly: make_node
    would redo the type rule (and could lose a static pattern such as a reshape's)."""
    if all(a is b for a, b in zip(inputs, old.inputs)):
        return old
    if all(a.type == b.type for a, b in zip(inputs, old.inputs)):
        return Apply(old.op, inputs, [o.type for o in old.outputs], trace=old.trace)
    with _trace.inherit(old.trace):
        return old.op.make_node(*inputs)


def _accept(rule, node, new):
    """The rule's replacement outputs, or None when their types differ from the
    originals' (a silent type change would change every consumer's result)."""
    if len(new) == len(node.outputs) and all(n.type == o.type for n, o in zip(new, node.outputs)):
        return new
    if config.check:
        raise ClgraphError(f"internal error: rewrite {rule.__name__} replaced {node.op} "
                           f"({[str(o.type) for o in node.outputs]}) by {[str(n.type) for n in new]}")
    return None


def local_rewrite(roots, rules):
    """Rebuild the graph bottom-up, offering each node to the rules (first match wins)."""
    memo = {}
    for old in toposort(roots):
        inputs = [memo.get(i, i) for i in old.inputs]
        with _trace.inherit(old.trace):
            node = rebuild(old, inputs)
            outs = list(node.outputs)
            for rule in rules:
                new = rule(node)
                if new is not None and _accept(rule, node, new) is not None:
                    outs = new
                    break
        memo.update(zip(old.outputs, outs))
    return [memo.get(r, r) for r in roots]


def _rules(*rules):
    return lambda roots: local_rewrite(roots, list(rules))


# (name, function(roots) -> roots), applied in this order:
PASSES = [
    # one node per distinct computation, one Constant per distinct value: first, so every
    # later pass visits each subexpression once and sees x - x as one variable twice
    ("merge", merge.merge),
    # a loop's gradient runs the forward loop again with the step values it reads as
    # extra outputs: the original loop becomes that one. Then loops compute only the
    # outputs something reads (no per-step GEMM for an input gradient nobody asked for)
    ("merge_extended_loops", loop_outputs.merge_extended_loops),
    ("prune_loop_outputs", loop_outputs.prune_loop_outputs),
    # a non-sequence's gradient, summed over the reverse steps, as one GEMM over all steps
    # after the loop where each step's share is a product x_t^T g_t
    ("sink_loop_sums", loop_outputs.sink_loop_sums),
    # a loop step's products that read only sequences and non-sequences (x_t . W + b)
    # become one op over all steps outside the loop, read back as a new sequence: one
    # large GEMM instead of one per step. Early, so the passes below see the new nodes
    ("scan_hoist", _rules(scan_hoist.hoist)),
    # small all-constant subgraphs become Constants (numpy reference), before the
    # algebraic rules, which look for constant operands such as the 1 in x * (3 - 2)
    ("constant_fold", constant_fold.fold),
    # x ** 2 -> x * x and friends: cheaper, vectorisable code
    ("canonicalize", _rules(*canonical.RULES)),
    # x * 1, x + 0, --x, log(exp(x)), int x - x, dimshuffle / reshape chains: less work,
    # and patterns in their simplest form for the stabilising rules that follow
    ("simplify", _rules(*simplify.RULES, *views.RULES)),
    # the gradient of z read in slices (an LSTM's gates z[:, k*u:(k+1)*u]): one join of
    # the slices' gradients instead of a zero-filled copy of z per slice and their sum.
    # After simplify, which removes the zeros' + 0 and * 1 around them
    ("join_slice_gradients", _rules(*slice_gradients.RULES)),
    # log(softmax), log(sigmoid), log(1 + x), exp(x) - 1, softmax cross-entropy and its
    # gradient: the numerically stable forms (fused row kernels where they exist)
    ("stabilize", _rules(*stabilize.RULES)),
    # relu(conv2d(x, w) + b) computed on the conv's (O, N*OH*OW) product rather than on
    # its NCHW view, so that the plan runs it in the GEMM's epilogue
    ("conv_epilogues", _rules(*conv_epilogue.RULES)),
    # sum(mean(e, axis=1) * w) -> sum(e * w[:, None]) / e.shape[1] and friends: one
    # reduction kernel for a weighted loss instead of two
    ("join_reductions", reductions.join_reductions),
    # dimshuffle(f(a, b)) -> f(dimshuffle(a), dimshuffle(b)) where only the dimshuffle
    # reads f: a per-row value then feeds its wider consumer directly, whose kernel can
    # compute it. After the stabilising rules, whose patterns it would otherwise hide
    ("lift_dimshuffles", lift.lift_dimshuffles),
    # the rules above may build the same new node twice (two equal softmax gradients)
    ("merge_again", merge.merge),
    # a reduction reads its own copy of a cheap elementwise chain that something else
    # reads too, so that the chain runs inside the reduction's kernel. Last: merging
    # would undo it
    ("private_reduce_inputs", prologues.private_reduce_inputs),
]


def _own_buffer(old, new):
    """A root that was computed stays computed: a rewrite may turn `x * 1` into `x` (an
    input, a shared variable, a constant or a view), but an update must end in a buffer
    of its own, so such a root is copied (a copy costs what the removed kernel did)."""
    if old.owner is None or old.owner.op.view or new is old:
        return new
    if new.owner is None or new.owner.op.view:
        from ..tensor.basic import identity
        with _trace.inherit(old.owner.trace):
            return identity(new)
    return new


def rewrite(roots):
    skip = set(config.rewrites_excluding or ())
    unknown = skip - {name for name, _ in PASSES}
    if unknown:
        raise ValueError(f"clgraph.config.rewrites_excluding: unknown pass(es) {sorted(unknown)}; "
                         f"passes: {', '.join(name for name, _ in PASSES)}")
    new = list(roots)
    for name, apply in PASSES:
        if name not in skip:
            new = apply(new)
    return [_own_buffer(o, n) for o, n in zip(roots, new)]
