"""The launches of a kernel step, recorded once per operand layout and replayed.

A driver's launch() turns concrete operands into (kernel name, global size, local size,
arguments); doing that on every call costs more than the launch itself. A step keeps
the recorded launches per layout of its operands (shapes, strides, which operands share
a buffer, host values the driver reads, and offsets unless the driver passes each
operand's offset right after its buffer) and a repeated call only puts its own buffers
(and offsets) into the recorded argument lists."""
import numpy as np

__all__ = ["launches", "type_arguments", "LOCAL_SIZE"]


def launches(step, step_index, ins, outs, host_value, pool, taken, flag, notes=None):
    """[(kernel name or None, global size tuple, local size, args)] of one kernel step.
    A driver's launch() returns one launch, with the variant's name as an optional
    fourth value, or (multi_launch drivers) a list of them; those get a scratch
    allocator for buffers that live until the end of the call. `notes`, a list, gets
    per launch (buffer slots, offsets patched): [(arg position, operand index (ins +
    outs, then scratch buffers), whether its offset follows)] and whether those
    offsets are this call's (a recorded call plan, compile/replay.py, needs them).

    The result is cached per layout of the operands (shapes, strides, offsets,
    which of them share a buffer, and the host values a driver reads): a repeated
    call only puts this call's buffers into the recorded argument lists."""
    kern = step.kernel
    values = [host_value(i) for i in step.nodes[-1].inputs] if getattr(kern, "needs_values", False) else None
    arrays = ins + outs
    first = {}
    # a step whose driver passes each operand's offset right after its buffer is
    # replayed for any offsets (a minibatch slice moves on every call)
    offsets = not step.offset_free
    key = (tuple((a.shape, a.strides, a.offset if offsets else None, first.setdefault(id(a.buffer), k))
                 for k, a in enumerate(arrays)),
           None if values is None else tuple(None if v is None else np.asarray(v).tobytes() for v in values))
    recipe = step.launch_cache.get(key)
    if recipe is None:
        recipe = _record_launches(step, ins, outs, values, pool)
        if len(step.launch_cache) >= 16:
            step.launch_cache.clear()
        if offsets and recipe[3]:  # from now on, keyed without offsets
            step.launch_cache.clear()
            step.offset_free = True
            key = (tuple((a.shape, a.strides, None, k2) for a, (_, _, _, k2) in zip(arrays, key[0])), key[1])
        step.launch_cache[key] = recipe
    launches, slots, scratch_shapes, patch_offsets = recipe
    buffers = [a.buffer for a in arrays]
    for shape, dtype in scratch_shapes:
        arr = pool.alloc(shape, dtype)
        taken.append(arr.buffer)
        buffers.append(arr.buffer)
    result = []
    for (name, gsize, lsize, args), arg_slots in zip(launches, slots):
        args = list(args)
        for pos, src, with_offset in arg_slots:
            args[pos] = buffers[src]
            if patch_offsets and with_offset:
                args[pos + 1] = arrays[src].offset  # (typed kernels take Python ints)
        if getattr(kern, "checks_indices", False):
            args += [flag.buffer, np.int32(step_index + 1)]
        result.append((name, gsize, lsize, args))
        if notes is not None:
            notes.append((arg_slots, patch_offsets))
    return result


def _record_launches(step, ins, outs, values, pool):
    """Run the driver once and note, for every buffer argument, which operand (or
    scratch buffer) it is: (launches, buffer slots per launch, scratch shapes)."""
    import pyopencl as cl
    kern = step.kernel
    scratch_arrays, scratch_shapes = [], []
    if getattr(kern, "multi_launch", False):
        def scratch(shape, dtype):
            arr = pool.alloc(shape, dtype)
            scratch_arrays.append(arr)
            scratch_shapes.append((tuple(shape), dtype))
            return arr
        launches = kern.launch(ins, outs, scratch)
    else:
        if values is not None:
            gsize, lsize, args, *variant = kern.launch(ins, outs, values)
        else:
            gsize, lsize, args, *variant = kern.launch(ins, outs)
        launches = [(variant[0] if variant else None, gsize, lsize, args)]
    for arr in scratch_arrays:  # recorded only: each call allocates its own
        pool.give(arr.buffer)
    launches = [(name, *_fixed_local_size(gsize, lsize), args) for name, gsize, lsize, args in launches]
    arrays = ins + outs + scratch_arrays
    n_operands = len(ins) + len(outs)
    slots, offset_follows = [], True
    for _name, _g, _l, args in launches:
        arg_slots = []
        for pos, arg in enumerate(args):
            if not isinstance(arg, cl.MemoryObjectHolder):
                continue
            same = [k for k, a in enumerate(arrays) if a.buffer is arg]
            nxt = args[pos + 1] if pos + 1 < len(args) else None
            exact = [k for k in same if isinstance(nxt, (int, np.integer)) and int(nxt) == arrays[k].offset]
            if len(exact) == 1 and exact[0] < n_operands:
                arg_slots.append((pos, exact[0], True))
                continue
            earlier = [src for _, src, with_offset in arg_slots if with_offset and arrays[src].buffer is arg]
            if same[0] < n_operands and len(set(earlier)) == 1:
                # the same operand again without its offset (a reduce's output doubling
                # as its unused partials buffer)
                arg_slots.append((pos, earlier[0], False))
                continue
            if same[0] < n_operands:
                offset_follows = False  # no offset after it, or not one operand's alone
            arg_slots.append((pos, same[0], False))
        slots.append(arg_slots)
    return launches, slots, scratch_shapes, offset_follows


#: work-group size of 1-D launches whose driver leaves it open: the driver would pick
#: one per global size, and PoCL compiles a kernel anew for each work-group size it
#: meets (0.1-1 s each): the last, shorter batch of an epoch would stall. Kernels
#: ignore work-items past their size, so the global size is rounded up to a multiple.
LOCAL_SIZE = 64


def _fixed_local_size(gsize, lsize):
    """(global size, local size) as tuples, the open 1-D case given LOCAL_SIZE."""
    gsize = gsize if isinstance(gsize, tuple) else (gsize,)
    if lsize is not None or len(gsize) != 1:
        return gsize, lsize
    return (-(-gsize[0] // LOCAL_SIZE) * LOCAL_SIZE,), (LOCAL_SIZE,)


def type_arguments(kernel, args):
    """Tell pyopencl the kernel's argument types, read off its first launch (buffers,
    numpy scalars): set_args then costs well under 1 us per argument instead of ~10."""
    import pyopencl as cl
    dtypes = [None if isinstance(a, cl.MemoryObjectHolder) or a is None else np.asarray(a).dtype for a in args]
    kernel.set_scalar_arg_dtypes(dtypes)
    return dtypes
