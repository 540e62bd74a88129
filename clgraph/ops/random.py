"""Random draws from Philox-4x32-10, a counter-based generator: block b of a stream is
philox(counter + b, key), so the device computes every block independently and the
numbers do not depend on the device. The op reads the stream state (uint32[6]:
counter words 0..3, key words 4..5) and returns the sample and the advanced state, so
a function's default update moves the stream on without a host round trip.

The numpy functions here are the same algorithm, used as the op's perform() (test
oracle) and checked against the published Random123 known answers."""
import numpy as np

from ..errors import ClgraphError, DTypeError, GradientError, ShapeError, node_message
from ..graph.basic import Apply, Constant, as_variable
from ..graph.types import TensorType, check_dtype
from .base import Op

__all__ = ["PhiloxDraw", "philox4x32_10", "counter_add", "stream_blocks", "DISTRIBUTIONS"]

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
_MASK = np.uint64(0xFFFFFFFF)

# distribution -> its parameter names, in input order
DISTRIBUTIONS = {"bits": (), "uniform": ("low", "high"), "normal": ("avg", "std"), "binomial": ("p",)}


def philox4x32_10(ctr, key):
    """Philox-4x32-10 of counters `ctr` (..., 4) under `key` (2,): uint32 (..., 4)."""
    ctr = np.asarray(ctr, np.uint32)
    c = [ctr[..., i].astype(np.uint64) for i in range(4)]
    k0, k1 = np.uint64(int(key[0])), np.uint64(int(key[1]))
    for r in range(10):
        if r:
            k0, k1 = (k0 + np.uint64(W0)) & _MASK, (k1 + np.uint64(W1)) & _MASK
        p0, p1 = c[0] * np.uint64(M0), c[2] * np.uint64(M1)  # < 2**64: no overflow
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & _MASK, (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & _MASK]
    return np.stack(c, axis=-1).astype(np.uint32)


def counter_add(ctr, blocks):
    """128-bit counter `ctr` (4 words) + each 64-bit block index: uint32 (len, 4)."""
    c = np.asarray(ctr, np.uint64)
    blocks = np.asarray(blocks, np.uint64).reshape(-1)
    lo = c[0] | (c[1] << np.uint64(32))
    hi = c[2] | (c[3] << np.uint64(32))
    with np.errstate(over="ignore"):
        s = lo + blocks
        h = hi + (s < lo).astype(np.uint64)
    out = [s & _MASK, s >> np.uint64(32), h & _MASK, h >> np.uint64(32)]
    return np.stack(out, axis=-1).astype(np.uint32)


def stream_blocks(state, start, count):
    """The Philox words of blocks start .. start+count-1 of the stream `state`: (count, 4)."""
    state = np.asarray(state, np.uint32)
    ctr = counter_add(state[:4], np.arange(start, start + count, dtype=np.uint64))
    return philox4x32_10(ctr, state[4:6])


def _u24(w):
    return (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24)


def _u53(lo, hi):
    bits = ((hi.astype(np.uint64) << np.uint64(32)) | lo.astype(np.uint64)) >> np.uint64(11)
    return bits.astype(np.float64) * 2.0 ** -53


class PhiloxDraw(Op):
    """inputs: state (uint32[6]), size (int64 vector known on the host), then the
    distribution's scalar parameters; outputs: the sample and the advanced state."""

    family = "philox"
    __props__ = ("dist", "dtype", "broadcastable", "n")

    def __init__(self, dist, dtype, broadcastable, n=1):
        if dist not in DISTRIBUTIONS:
            raise ClgraphError(f"philox: unknown distribution {dist!r}; known: {', '.join(DISTRIBUTIONS)}")
        self.dist, self.dtype, self.n = dist, check_dtype(dtype), int(n)
        self.broadcastable = tuple(bool(b) for b in broadcastable)
        kind = np.dtype(self.dtype).kind
        if dist in ("uniform", "normal") and kind != "f":
            raise DTypeError(f"{self}: the output dtype must be float32 or float64, got {self.dtype}")
        if dist == "bits" and self.dtype != "uint32":
            raise DTypeError(f"{self}: raw Philox words are uint32, got dtype {self.dtype}")
        if dist == "binomial":
            top = 1 if kind == "b" else (np.iinfo(self.dtype).max if kind in "iu" else 2 ** 24)
            if not 0 <= self.n <= top:
                raise ClgraphError(f"{self}: n={self.n} trials cannot be counted in {self.dtype} "
                                   f"(0 <= n <= {top})")

    def __str__(self):
        return f"philox_{self.dist}{{{self.dtype}}}" if self.dist != "binomial" else \
            f"philox_binomial{{n={self.n},{self.dtype}}}"

    # -- structure the driver and the reference share ------------------------------
    @property
    def compute_dtype(self):
        """Dtype the parameters are used in (binomial compares 24-bit uniforms in float32)."""
        return {"bits": None, "binomial": "float32"}.get(self.dist, self.dtype)

    @property
    def per_block(self):
        """Elements one Philox block (4 words) yields."""
        return 2 if self.dist in ("uniform", "normal") and self.dtype == "float64" else 4

    @property
    def trials(self):
        return self.n if self.dist == "binomial" else 1

    def blocks_used(self, count):
        return -(-int(count) // self.per_block) * self.trials

    # -- Op interface ---------------------------------------------------------------
    def make_node(self, state, size, *params):
        state, size = as_variable(state), as_variable(size)
        names = DISTRIBUTIONS[self.dist]
        if state.dtype != "uint32" or state.ndim != 1:
            raise DTypeError(f"{self}: the stream state must be a uint32 vector of 6 words, got {state.describe()}")
        if size.ndim != 1 or np.dtype(size.dtype).kind not in "iu":
            raise DTypeError(f"{self}: the size must be an integer vector (T.as_shape), got {size.describe()}")
        if len(params) != len(names):
            raise ClgraphError(f"{self}: expected parameters ({', '.join(names)}), got {len(params)} value(s)")
        params = [as_variable(p) for p in params]
        for pname, p in zip(names, params):
            if p.ndim != 0 or np.dtype(p.dtype).kind not in "biuf":
                raise ShapeError(f"{self}: {pname} must be a numeric scalar, got {p.describe()}")
        out = TensorType(self.dtype, self.broadcastable)
        return Apply(self, [state, size, *params], [out, TensorType("uint32", (False,))])

    def infer_shape(self, node, shapes, values):
        size = values[1]
        if size is None:
            raise ShapeError(node_message(node, f"{self}: the size must be known before the kernels run "
                                                "(constants, x.shape, integer scalar inputs)"))
        size = tuple(int(s) for s in np.asarray(size).reshape(-1))
        if len(size) != len(self.broadcastable) or any(s < 0 for s in size):
            raise ShapeError(node_message(node, f"{self}: size {size} is not a shape of {len(self.broadcastable)} "
                                                "non-negative lengths"))
        for axis, (b, s) in enumerate(zip(self.broadcastable, size)):
            if b and s != 1:
                raise ShapeError(node_message(node, f"{self}: axis {axis} is broadcastable but size is {size}"))
        if tuple(shapes[0]) != (6,):
            raise ShapeError(node_message(node, f"{self}: the stream state must have 6 words, got shape "
                                                f"{tuple(shapes[0])}"))
        return [size, (6,)]

    def perform(self, node, inputs):
        state, size, *params = inputs
        state = np.asarray(state, np.uint32)
        count = int(np.prod(size, dtype=np.int64))
        nb = -(-count // self.per_block)
        sample = self._sample(stream_blocks(state, 0, nb * self.trials), nb, params)
        new_state = np.concatenate([counter_add(state[:4], nb * self.trials)[0], state[4:6]])
        return [sample[:count].reshape(tuple(int(s) for s in size)).astype(self.dtype), new_state]

    def _sample(self, w, nb, params):
        """Flat elements from the Philox words w (blocks in stream order)."""
        real = self.compute_dtype
        params = [np.asarray(p).astype(real) for p in params]
        if self.dist == "bits":
            return w.reshape(-1)
        if self.dist == "binomial":
            (p,) = params
            return (_u24(w.reshape(nb, self.trials, 4)) < p).sum(axis=1, dtype=np.int64).reshape(-1)
        if self.dist == "uniform":
            low, high = params
            u = _u24(w) if real == "float32" else _u53(w[:, 0::2], w[:, 1::2])
            return (low + (high - low) * u).reshape(-1)
        avg, std = params  # normal: Box-Muller in float64 (the exact value), then the affine in `real`
        if real == "float32":
            u1 = ((w[:, 0::2] >> np.uint32(8)).astype(np.float64) + 1) * 2.0 ** -24
            t = 2 * _u24(w[:, 1::2]).astype(np.float64)
        else:
            u1 = _u53(w[:, 0:1], w[:, 1:2]) + 2.0 ** -53
            t = 2 * _u53(w[:, 2:3], w[:, 3:4])
        r = np.sqrt(-2 * np.log(u1))
        z = np.stack([r * np.cos(np.pi * t), r * np.sin(np.pi * t)], axis=-1).astype(real)
        return (avg + std * z).reshape(-1)

    def grad(self, inputs, outputs, output_grads):
        symbolic = [n for n, p in zip(DISTRIBUTIONS[self.dist], inputs[2:]) if not isinstance(p, Constant)]
        if symbolic:
            raise GradientError(f"{self}: a random draw has no gradient with respect to its parameters "
                                f"({', '.join(symbolic)}); write the transform outside the draw "
                                "(low + (high - low) * srng.uniform(...)) or pass consider_constant")
        return [None] * len(inputs)
