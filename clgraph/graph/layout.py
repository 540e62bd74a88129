"""Memory layout facts shared by views (ops) and device arrays (runtime)."""
import functools

__all__ = ["contiguous_strides"]


@functools.lru_cache(maxsize=4096)
def contiguous_strides(shape):
    """C-order strides in elements of a shape tuple (cached: every call allocates)."""
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n
    return tuple(reversed(strides))
