"""SharedVariable: a value that lives in a device buffer between calls and is also a
graph input. Functions read it in place and swap in updated buffers after a call."""
import weakref

import numpy as np

from .errors import DTypeError, ShapeError
from .graph import trace as _trace
from .graph.basic import Variable
from .graph.types import TensorType, check_dtype
from .runtime import device as _device

__all__ = ["SharedVariable", "shared"]


def _pool(dev):
    pool = getattr(dev, "pool", None)
    if pool is None:
        from .runtime.arrays import BufferPool
        pool = dev.pool = BufferPool(dev.context)
    return pool


def _release_cell(pool, cell):
    if cell[0] is not None:
        pool.release(cell[0].buffer)


class SharedVariable(Variable):
    """A graph input whose value is kept on the OpenCL device."""

    def __init__(self, value, name=None, broadcastable=None):
        value = np.asarray(value)
        if broadcastable is None:
            broadcastable = (False,) * value.ndim  # as Theano: length-1 axes do not broadcast
        super().__init__(TensorType(check_dtype(value.dtype), broadcastable), name=name)
        self.trace = _trace.capture()
        self.device = _device.current()
        self._pool = _pool(self.device)
        self._cell = [None]  # the current DeviceArray, shared with the finalizer
        weakref.finalize(self, _release_cell, self._pool, self._cell)
        self.set_value(value)

    @property
    def container(self):
        """The DeviceArray holding the value now."""
        return self._cell[0]

    @container.setter
    def container(self, array):
        pool = self._pool
        pool.hold(array.buffer)
        old, self._cell[0] = self._cell[0], array
        if old is not None:
            pool.release(old.buffer)

    def _check(self, value, what):
        value = np.asarray(value)
        if value.ndim != self.ndim:
            raise ShapeError(f"{what} of shared variable {self!r}: expected ndim {self.ndim}, got an array of "
                             f"shape {value.shape}")
        if value.dtype != self.dtype:
            if not np.can_cast(value.dtype, self.dtype, "same_kind") or not np.array_equal(
                    value.astype(self.dtype), value):
                raise DTypeError(f"{what} of shared variable {self!r}: a {value.dtype} array cannot be stored in "
                                 f"{self.dtype} without loss; cast it first")
            value = value.astype(self.dtype)
        for axis, (b, n) in enumerate(zip(self.broadcastable, value.shape)):
            if b and n != 1:
                raise ShapeError(f"{what} of shared variable {self!r}: axis {axis} is broadcastable "
                                 f"and must have length 1, got shape {value.shape}")
        return value

    def set_value(self, value, borrow=False):
        """Copy `value` to a new device buffer."""
        value = self._check(value, "set_value")
        dev = self.device
        new = _pool(dev).upload(dev.queue, value)
        dev.queue.finish()
        self.container = new

    def get_value(self, borrow=False, return_internal_type=False):
        """The value as a new numpy array."""
        from .runtime.arrays import materialize
        host = self.container.enqueue_read(self.device.queue)
        self.device.queue.finish()
        return materialize(host)

    @property
    def value(self):
        return self.get_value()

    def __repr__(self):
        return self.name or f"<shared {self.dtype}{list(self.container.shape) if self.container else ''}>"

    # -- pickling (Theano's: the value travels, the buffer does not) -----------------------
    def __getstate__(self):
        """The variable with its value as a numpy array; device, pool and buffer stay
        behind (a graph that holds the variable several times pickles it once)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("device", "_pool", "_cell")}
        state["_value"] = self.get_value()
        return state

    def __setstate__(self, state):
        """Onto the current device (config.device), with a buffer of its own."""
        state = dict(state)
        value = state.pop("_value")
        self.__dict__.update(state)
        self.device = _device.current()
        self._pool = _pool(self.device)
        self._cell = [None]
        weakref.finalize(self, _release_cell, self._pool, self._cell)
        self.set_value(value)


def shared(value, name=None, borrow=False, broadcastable=None, strict=False, allow_downcast=None):
    """A SharedVariable holding a copy of `value` on the current device.
    Python floats become float64 and ints int64, as numpy (and Theano) make them."""
    if isinstance(value, SharedVariable):
        raise TypeError("shared() got a SharedVariable; use .get_value() to copy it")
    return SharedVariable(value, name=name, broadcastable=broadcastable)
