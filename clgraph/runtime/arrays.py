"""DeviceArray: a typed, strided window on an OpenCL buffer (offset and strides in
elements), and a small per-device pool of buffers so repeated calls do not allocate."""
import math

import numpy as np

from ..graph.layout import contiguous_strides

__all__ = ["DeviceArray", "BufferPool", "Holding", "contiguous_strides"]




def _low_level_read():
    """pyopencl's own buffer-to-host read, which enqueue_copy calls after sorting out its
    keyword arguments (some 15 us a call, as much as a small kernel); None if this
    pyopencl has none by that name."""
    try:
        from pyopencl._cl import _enqueue_read_buffer
    except ImportError:
        return None
    return _enqueue_read_buffer


_read_buffer = _low_level_read()


class DeviceArray:
    __slots__ = ("buffer", "offset", "shape", "strides", "dtype")

    def __init__(self, buffer, shape, dtype, offset=0, strides=None):
        self.buffer, self.shape, self.dtype, self.offset = buffer, tuple(shape), np.dtype(dtype), offset
        self.strides = contiguous_strides(self.shape) if strides is None else tuple(strides)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def is_contiguous(self):
        return all(st == c or n == 1 for n, st, c in zip(self.shape, self.strides,
                                                         contiguous_strides(self.shape)))

    def view(self, shape, strides, offset=None):
        return DeviceArray(self.buffer, shape, self.dtype, self.offset if offset is None else offset, strides)

    def start_read(self, queue):
        """(host array, event) for a contiguous array: the copy is valid once the event
        has completed, and the event must be kept until then (pyopencl waits for the
        copy when it is dropped)."""
        host = np.empty(self.shape, self.dtype)
        offset = self.offset * self.dtype.itemsize
        if _read_buffer is not None:
            return host, _read_buffer(queue, self.buffer, host, offset, None, False)
        import pyopencl as cl
        return host, cl.enqueue_copy(queue, host, self.buffer, src_offset=offset, is_blocking=False)

    def enqueue_read(self, queue):
        """Start copying to a new numpy array; the array is valid after queue.finish()."""
        import pyopencl as cl
        item = self.dtype.itemsize
        if self.size == 0:
            return np.empty(self.shape, self.dtype)
        if self.is_contiguous:
            return self.start_read(queue)[0]  # (dropping the event waits for the copy)
        # read the extent the view covers, then let numpy apply the strides
        lo = self.offset + sum(s * (n - 1) for n, s in zip(self.shape, self.strides) if s < 0)
        hi = self.offset + sum(s * (n - 1) for n, s in zip(self.shape, self.strides) if s > 0)
        flat = np.empty(hi - lo + 1, self.dtype)
        cl.enqueue_copy(queue, flat, self.buffer, src_offset=lo * item, is_blocking=False)
        return _StridedResult(flat, self.offset - lo, self.shape, self.strides)


class _StridedResult:
    """A host copy that becomes a numpy array once the read has finished."""

    def __init__(self, flat, start, shape, strides):
        self.flat, self.start, self.shape, self.strides = flat, start, shape, strides

    def materialize(self):
        item = self.flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(self.flat[self.start:], self.shape,
                                               [s * item for s in self.strides])
        return np.array(view)


def materialize(host):
    return host.materialize() if isinstance(host, _StridedResult) else host


class Holding:
    """The buffers one call holds until it ends, by identity: a list's remove() would
    compare buffers through pyopencl's Python-level __eq__, ~0.3 us a comparison."""

    __slots__ = ("_items",)

    def __init__(self):
        self._items = {}  # id(buffer) -> [buffer, times held]

    def append(self, buffer):
        entry = self._items.get(id(buffer))
        if entry is None:
            self._items[id(buffer)] = [buffer, 1]
        else:
            entry[1] += 1

    def remove(self, buffer):
        entry = self._items[id(buffer)]
        entry[1] -= 1
        if not entry[1]:
            del self._items[id(buffer)]

    def __iter__(self):
        for buffer, times in list(self._items.values()):
            for _ in range(times):
                yield buffer


class BufferPool:
    """Free buffers by byte size. Buffers are taken for one call and given back after
    the queue has finished, so reuse never races with a running kernel."""

    def __init__(self, context):
        self.context = context
        self.free = {}
        self.held = {}  # int_ptr -> [buffer, number of shared variables holding it]

    def take(self, nbytes):
        import pyopencl as cl
        nbytes = max(int(nbytes), 4)  # OpenCL has no empty buffers
        stack = self.free.get(nbytes)
        if stack:
            return stack.pop()
        return cl.Buffer(self.context, cl.mem_flags.READ_WRITE, nbytes)

    def give(self, buffer):
        self.free.setdefault(buffer.size, []).append(buffer)

    def hold(self, buffer):
        """A shared variable now keeps `buffer` (several may, after `updates=[(a, b)]`)."""
        entry = self.held.setdefault(buffer.int_ptr, [buffer, 0])
        entry[1] += 1

    def held_count(self, buffer):
        """How many shared variables hold `buffer`."""
        entry = self.held.get(buffer.int_ptr)
        return entry[1] if entry else 0

    def release(self, buffer):
        """A shared variable let go of `buffer`; the last one gives it back for reuse."""
        entry = self.held.get(buffer.int_ptr)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del self.held[buffer.int_ptr]
            self.give(buffer)

    def alloc(self, shape, dtype):
        dtype = np.dtype(dtype)
        return DeviceArray(self.take(math.prod(shape) * dtype.itemsize), shape, dtype)

    def upload(self, queue, array, keep=None):
        """A new contiguous DeviceArray holding `array`. pyopencl waits for the copy
        (and so for the queue before it) when its event is dropped, holding the GIL;
        `keep`, a list, takes the event instead (the copy is then done once the queue
        has passed it)."""
        import pyopencl as cl
        array = np.asarray(array)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)  # (this would turn 0-d into 1-d: only when needed)
        dev = self.alloc(array.shape, array.dtype)
        if array.size:
            event = cl.enqueue_copy(queue, dev.buffer, array, is_blocking=False)
            if keep is not None:
                keep.append(event)
        return dev
