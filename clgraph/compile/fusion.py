"""Fusion: group connected Elemwise nodes into regions that become one kernel each.

A node joins the group of a producer when both iterate over the same broadcast pattern
(so each value is computed exactly once per element) and joining creates no cycle
between groups (no path leaves the group and comes back through another kernel)."""
from ..graph.facts import CHEAP_OPS, cheap, value_inputs, value_readers  # noqa: F401 (re-exported)
from ..ops.elemwise import Elemwise

__all__ = ["elemwise_groups", "value_inputs", "value_readers", "cheap"]


def elemwise_groups(nodes, apart=frozenset()):
    """Partition the Elemwise nodes of `nodes` (topologically sorted) into groups; those
    in `apart` stay alone. Returns a list of node lists, each in topological order."""
    pos = {node: k for k, node in enumerate(nodes)}
    group_of, groups = {}, {}
    for node in nodes:
        if not isinstance(node.op, Elemwise):
            continue
        pattern = node.outputs[0].broadcastable
        members = {node}
        for inp in node.inputs if node not in apart else ():
            producer = inp.owner
            if producer is None or producer not in group_of or producer in apart:
                continue
            gid = group_of[producer]
            candidate = groups[gid]
            if candidate[0].outputs[0].broadcastable != pattern or producer in members:
                continue
            union = members | set(candidate)
            if not _has_cycle(union, pos, group_of, groups):
                members = union
        gid = id(node)
        for m in members:
            old = group_of.get(m)
            if old is not None and old in groups:
                del groups[old]
            group_of[m] = gid
        groups[gid] = sorted(members, key=pos.__getitem__)
    return _merge_scalar_groups(sorted(groups.values(), key=lambda g: pos[g[-1]]), pos, apart)


def _merge_scalar_groups(groups, pos, apart=frozenset()):
    """Groups of one-element values (an iteration counter and the learning rate computed
    from it) become one kernel when no path runs between them: their shapes are equal
    whatever the inputs, so one launch computes them all."""
    by_id = {id(g): g for g in groups}
    group_of = {n: id(g) for g in groups for n in g}
    merged, current = [], None
    for group in groups:
        if not all(group[0].outputs[0].broadcastable) or any(
                n.outputs[0].broadcastable != group[0].outputs[0].broadcastable or n in apart for n in group):
            merged.append(group)
            continue
        if current is not None and current[0].outputs[0].broadcastable == group[0].outputs[0].broadcastable \
                and not _has_cycle(set(current) | set(group), pos, group_of, by_id):
            current[:] = sorted(set(current) | set(group), key=pos.__getitem__)
            for n in current:  # the merged group stands as one kernel in later checks
                group_of[n] = id(current)
            by_id[id(current)] = current
            continue
        current = list(group)
        merged.append(current)
        by_id[id(current)] = current
        for n in current:
            group_of[n] = id(current)
    return merged


def _has_cycle(union, pos, group_of=None, groups=None):
    """True if a path leaves `union` and re-enters it (merging would need a kernel to
    run both before and after another one). A node already in a group stands for its
    whole group (one kernel), so the path may continue from any member's inputs."""
    lowest = min(pos[m] for m in union)
    stack = [i.owner for m in union for i in value_inputs(m) if i.owner is not None and i.owner not in union]
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen or pos.get(node, -1) < lowest:
            continue
        seen.add(node)
        if node in union:
            return True
        members = groups.get(group_of.get(node), [node]) if groups is not None else [node]
        stack.extend(i.owner for m in members for i in value_inputs(m) if i.owner is not None)
    return False
