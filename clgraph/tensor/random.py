"""RandomStreams: Theano-style random draws generated on the device by Philox-4x32-10.

Each draw gets its own stream state, a shared uint32[6] (counter words 0..3, key words
4..5), whose `default_update` is the state the draw's kernel advanced: every function
that uses the draw moves its stream on by the blocks it consumed, on the device.
The key is the seed and counter word 2 numbers the draw within its RandomStreams, so
the same seed gives the same numbers on every device and in every compiled function."""
import numpy as np

from ..config import config
from ..errors import ClgraphError, DTypeError, ShapeError
from ..graph.basic import Constant, Variable, as_variable
from ..graph.types import check_dtype
from ..ops.elemwise import Elemwise
from ..ops.random import PhiloxDraw
from ..ops.shape import MakeVector, Shape
from ..shared import shared
from .basic import as_shape

__all__ = ["RandomStreams"]


def _pattern(size):
    """The broadcastable pattern of a sample of `size` (an int64 vector variable), as
    Theano makes it (a constant length 1 broadcasts), or None if its length is unknown."""
    if isinstance(size, Constant):
        return tuple(int(s) == 1 for s in size.data.reshape(-1))
    node = size.owner
    if node is None:
        return None
    if isinstance(node.op, Shape):
        return node.inputs[0].broadcastable
    if isinstance(node.op, MakeVector):
        return tuple(isinstance(i, Constant) and i.data.item() == 1 for i in node.inputs)
    if isinstance(node.op, Elemwise) and len(node.inputs) == 1:  # a cast
        return _pattern(node.inputs[0])
    return None


class RandomStreams:
    """`srng = RandomStreams(seed)`; `srng.uniform(size)`, `srng.normal(size)`,
    `srng.binomial(size, n, p)`, `srng.multinomial(pvals=p)` as Theano's
    MRG_RandomStreams (also importable as clgraph.sandbox.rng_mrg.MRG_RandomStreams and
    clgraph.tensor.shared_randomstreams.RandomStreams)."""

    def __init__(self, seed=1234):
        self.state_updates = []  # (state shared variable, its updated value), per draw
        self.seed(seed)

    # -- seeds and states ------------------------------------------------------------
    def seed(self, seed=None):
        """Restart every stream of this object (and its future draws) from `seed`
        (None: from the current seed)."""
        if seed is None:
            seed = self._seed if hasattr(self, "_seed") else 1234
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ClgraphError(f"RandomStreams.seed: the seed must be an integer, got {seed!r}")
        self._seed = int(seed) % 2 ** 64
        for k, (state, _) in enumerate(self.state_updates):
            state.set_value(self._initial_state(k))

    def _initial_state(self, k):
        s = self._seed
        return np.array([0, 0, k & 0xFFFFFFFF, k >> 32, s & 0xFFFFFFFF, s >> 32], dtype=np.uint32)

    def updates(self):
        """(state, new state) pairs of every draw made so far (functions apply them anyway)."""
        return list(self.state_updates)

    # -- draws -------------------------------------------------------------------------
    def _draw(self, what, dist, size, ndim, dtype, params, n=1):
        if size is None:
            raise ShapeError(f"RandomStreams.{what}: give the size of the sample (a tuple, or x.shape)")
        try:
            size = as_shape(size)
        except TypeError as exc:
            raise ShapeError(f"RandomStreams.{what}: size {size!r} is not a shape: {exc}") from None
        pattern = _pattern(size)
        if ndim is not None and pattern is not None and len(pattern) != ndim:
            raise ShapeError(f"RandomStreams.{what}: ndim={ndim} but size has {len(pattern)} entries")
        if pattern is None:
            if ndim is None:
                raise ShapeError(f"RandomStreams.{what}: the length of the symbolic size {size.describe()} is "
                                 "unknown; pass ndim=")
            pattern = (False,) * ndim
        params = [as_variable(p) for p in params]
        if dtype is None:
            symbolic = [p.dtype for p in params if not (isinstance(p, Constant) and p.weak)]
            dtype = np.result_type(config.floatX, *symbolic).name
        dtype = check_dtype(config.floatX if dtype == "floatX" else dtype)
        k = len(self.state_updates)
        state = shared(self._initial_state(k), name=f"philox_state{k}")
        try:
            sample, new_state = PhiloxDraw(dist, dtype, pattern, n)(state, size, *params)
        except DTypeError as exc:
            raise DTypeError(f"RandomStreams.{what}: {exc}") from None
        state.default_update = new_state
        self.state_updates.append((state, new_state))
        return sample

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Uniform on [low, high): 24 random bits per float32, 53 per float64."""
        return self._draw("uniform", "uniform", size, ndim, dtype, [low, high])

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Normal(avg, std) by Box-Muller."""
        return self._draw("normal", "normal", size, ndim, dtype, [avg, std])

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64"):
        """Binomial(n, p): the sum of n Bernoulli(p) draws (p compared with 24-bit uniforms)."""
        if isinstance(n, Variable) or isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ClgraphError(f"RandomStreams.binomial: n must be a non-negative Python integer, got {n!r}")
        if np.ndim(p) or (isinstance(p, Variable) and p.ndim):
            return self._elementwise_binomial(size, int(n), as_variable(p), ndim, dtype)
        if not isinstance(p, Variable) and not 0 <= float(p) <= 1:
            raise ClgraphError(f"RandomStreams.binomial: p must be in [0, 1], got {p!r}")
        return self._draw("binomial", "binomial", size, ndim, dtype, [p], n=int(n))

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Random permutations of 0..n-1 (n a Python int): one, or `size` of them along
        the leading axes, as Theano's. Each is the ranks of n uniforms (ties broken by
        position), a uniformly random permutation, computed on the device."""
        from . import basic as T
        from .shape import arange
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ClgraphError(f"RandomStreams.permutation: n must be a positive Python integer, got {n!r}")
        lead = () if size is None else tuple(size) if isinstance(size, (tuple, list)) else (size,)
        u = self.uniform(lead + (int(n),), dtype="float64")
        k = u.ndim - 1
        order = list(range(k))
        a, b = u.dimshuffle(*order, k, "x"), u.dimshuffle(*order, "x", k)       # u_i, u_j
        idx = arange(int(n))
        earlier = T.lt(idx.dimshuffle("x", 0), idx.dimshuffle(0, "x"))           # j < i
        below = T.or_(T.lt(b, a), T.and_(T.eq(b, a), earlier))
        return T.cast(T.sum(below, axis=-1), check_dtype(dtype))

    def choice(self, size=1, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        """Draws from range(a) (a Python int) or from the elements of a vector `a`, as
        numpy's choice: with replacement, uniformly or with probabilities p (a vector);
        without replacement and without p, the first entries of a permutation."""
        from . import basic as T
        values = None
        if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
            count = int(a)
        else:
            values = as_variable(a)
            if values.ndim != 1:
                raise ShapeError(f"RandomStreams.choice: a must be an int or a vector, got {values.describe()}")
            count = None
        shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        if not replace:
            if p is not None:
                raise ClgraphError("RandomStreams.choice: replace=False with p is not offered; draw with "
                                   "replacement, or without p")
            if count is None or len(shape) != 1:
                raise ClgraphError("RandomStreams.choice: replace=False needs an int a and a size of one entry")
            if shape[0] > count:
                raise ClgraphError(f"RandomStreams.choice: cannot take {shape[0]} of {count} without replacement")
            picked = self.permutation(n=count, dtype="int64")[:shape[0]]
        elif p is None:
            n_options = count if count is not None else values.shape[0]
            u = self.uniform(shape, dtype="float64")
            picked = T.minimum(T.cast(T.floor(u * n_options), "int64"), n_options - 1)
        else:
            p = as_variable(p)
            picked = self._categories(p.dimshuffle("x", 0), self.uniform(shape, dtype=p.dtype))
        out = picked if values is None else values[picked]
        return out if values is not None else T.cast(out, check_dtype(dtype))

    @staticmethod
    def _categories(pvals, u):
        """The category of each uniform in `u` (broadcast against pvals' rows with a last
        axis added): how many of the row's cumulative probabilities lie below it, the
        cumulative sums a product with a triangular matrix of ones (one GEMM), and a row
        summing to slightly under 1 clipped to its last category."""
        from . import basic as T
        from .blas import dot
        from .shape import arange
        k = pvals.shape[-1]
        cols = arange(k)
        upper = T.cast(T.le(cols.dimshuffle(0, "x"), cols.dimshuffle("x", 0)), pvals.dtype)   # [i <= j]
        cdf = dot(pvals, upper)
        below = T.sum(T.lt(cdf, u.dimshuffle(*range(u.ndim), "x")), axis=-1)
        return T.minimum(below, k - 1)

    def _elementwise_binomial(self, size, n, p, ndim, dtype):
        """binomial with a probability per element (an RBM's sample of its hidden units:
        p = sigmoid(...) of the sample's shape): n uniforms compared with p."""
        from . import basic as T
        total = None
        for _ in range(max(n, 1)):
            u = self.uniform(size, ndim=ndim if ndim is not None else p.ndim,
                             dtype=p.dtype if np.dtype(p.dtype).kind == "f" else None)
            hit = T.lt(u, p)
            total = hit if total is None else T.cast(total, "int64") + T.cast(hit, "int64")
        if n == 0:
            total = T.zeros_like(total)
        return T.cast(total, check_dtype(config.floatX if dtype == "floatX" else dtype))

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64"):
        """Counts of n draws per row from the categorical distribution of each row of
        `pvals` (batch, k), as Theano's MRG multinomial: a (batch, k) matrix, one-hot for
        n=1. Each draw is a uniform compared with the row's cumulative probabilities
        (a product with a triangular matrix of ones: one GEMM)."""
        from . import basic as T
        from .shape import arange
        if pvals is None:
            raise ClgraphError("RandomStreams.multinomial: give pvals, a (batch, k) matrix of probabilities")
        pvals = as_variable(pvals)
        if pvals.ndim != 2:
            raise ShapeError(f"RandomStreams.multinomial: pvals must be a matrix (batch, k), got "
                             f"{pvals.describe()}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ClgraphError(f"RandomStreams.multinomial: n must be a positive Python integer, got {n!r}")
        if size is not None:
            raise ClgraphError("RandomStreams.multinomial: the sample's shape is pvals' (batch, k); leave size=None")
        picked = self._categories(pvals, self.uniform((int(n), pvals.shape[0]), dtype=pvals.dtype))  # (n, batch)
        hits = T.eq(picked.dimshuffle(0, 1, "x"), arange(pvals.shape[1]).dimshuffle("x", "x", 0))
        return T.cast(T.sum(hits, axis=0), check_dtype(dtype))
