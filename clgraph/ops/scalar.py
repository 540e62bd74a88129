"""Scalar operations: the per-element building blocks of Elemwise.

Each ScalarOp is one row of a table: its C expression per dtype kind (f: float,
i: signed int, u: unsigned, b: bool), its numpy reference (which also decides the output
dtype, so promotion is numpy's), and its gradient as graph expressions. In an
expression `{0}`, `{1}` are the operands (already cast to the compute type) and `{T}` is
the compute C type (a vector type such as float8 in vectorised code).
"""
import numpy as np

__all__ = ["ScalarOp", "SCALAR_OPS"]


def _T():
    from ..tensor import basic
    return basic


class ScalarOp:
    """One elementwise function; instances are immutable and compared by `key`."""

    def __init__(self, name, nin, c, ref, grad=None, vectorizable=True, bool_out=False,
                 cast_inputs=None, key=None):
        self.name, self.nin, self.ref, self._grad = name, nin, ref, grad
        self.c = c if isinstance(c, dict) else {"f": c, "i": c, "u": c, "b": c}
        self.vectorizable, self.bool_out = vectorizable, bool_out
        self._cast_inputs = cast_inputs
        self.key = key or name

    def __eq__(self, other):
        return isinstance(other, ScalarOp) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return self.name

    def __reduce__(self):
        """Pickled by its key (its expression and numpy reference hold lambdas): the
        unpickled graph gets the op of that key (scalar_op_of_key)."""
        return (scalar_op_of_key, (self.key,))

    def output_dtype(self, args):
        """numpy's result dtype for `args` (0-d arrays, or Python scalars when weak)."""
        with np.errstate(all="ignore"):
            out = np.asarray(self.ref(*args)).dtype
        return "float32" if out == np.float16 else out.name

    def compute_dtype(self, in_dtypes, out_dtype):
        return np.result_type(*in_dtypes).name if self.bool_out else out_dtype

    def input_casts(self, in_dtypes, compute):
        """The dtype each operand is converted to before the expression."""
        if self._cast_inputs:
            return self._cast_inputs(in_dtypes, compute)
        return [compute] * self.nin

    def expression(self, kind):
        return self.c.get(kind)

    def grad(self, inputs, output, gz):
        if self._grad is None:
            return [None] * self.nin
        return self._grad(*inputs, output, gz)


def _floats_only(expr):
    return {"f": expr}


def _sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x)))


def _where(c, a, b):
    return np.where(c, a, b)


def _switch_casts(in_dtypes, compute):
    return [in_dtypes[0], compute, compute]


def _cmp(name, sym, ref):
    return ScalarOp(name, 2, f"({{0}} {sym} {{1}})", ref, vectorizable=False, bool_out=True)


def _logical(name, sym, ref):
    return ScalarOp(name, 2, {"i": f"({{0}} {sym} {{1}})", "u": f"({{0}} {sym} {{1}})",
                              "b": f"({{0}} {sym} {{1}})"}, ref, vectorizable=False)


# Gradients. x, y: inputs; z: output; gz: gradient of the cost with respect to z.
def _g_add(x, y, z, gz): return [gz, gz]
def _g_sub(x, y, z, gz): return [gz, -gz]
def _g_mul(x, y, z, gz): return [gz * y, gz * x]
def _g_div(x, y, z, gz): return [gz / y, -gz * x / (y * y)]
def _g_pow(x, y, z, gz):
    T = _T()
    # d/dy x**y = x**y log x; where x == 0 the term is 0 (limit), guarded to avoid nan.
    return [gz * y * x ** (y - 1), gz * z * T.log(T.switch(T.eq(x, 0), 1, x))]
def _g_neg(x, z, gz): return [-gz]
def _g_abs(x, z, gz): return [gz * _T().sign(x)]
def _g_exp(x, z, gz): return [gz * z]
def _g_log(x, z, gz): return [gz / x]
def _g_log1p(x, z, gz): return [gz / (1 + x)]
def _g_expm1(x, z, gz): return [gz * (z + 1)]
def _g_sqrt(x, z, gz): return [gz * 0.5 / z]
def _g_sqr(x, z, gz): return [gz * 2 * x]
def _g_sin(x, z, gz): return [gz * _T().cos(x)]
def _g_cos(x, z, gz): return [-gz * _T().sin(x)]
def _g_tan(x, z, gz): return [gz * (1 + z * z)]
def _g_tanh(x, z, gz): return [gz * (1 - z * z)]
def _g_arctan(x, z, gz): return [gz / (1 + x * x)]
def _g_zero(x, z, gz): return [_T().zeros_like(x)]
def _g_maximum(x, y, z, gz):
    T = _T()
    # the gradient goes to x where x wins (ties go to x), as in Theano
    xw = T.cast(x >= y, gz.dtype)
    return [gz * xw, gz * (1 - xw)]
def _g_minimum(x, y, z, gz):
    T = _T()
    xw = T.cast(x <= y, gz.dtype)
    return [gz * xw, gz * (1 - xw)]
def _g_switch(c, a, b, z, gz):
    T = _T()
    zero = T.zeros_like(gz)
    return [None, T.switch(c, gz, zero), T.switch(c, zero, gz)]
def _g_clip(x, lo, hi, z, gz):
    T = _T()
    inside = T.cast((x >= lo) & (x <= hi), gz.dtype)
    return [gz * inside, gz * T.cast(x < lo, gz.dtype), gz * T.cast(x > hi, gz.dtype)]
def _g_cast(x, z, gz):
    return [_T().cast(gz, x.dtype) if np.dtype(x.dtype).kind == "f" else None]
def _g_sigmoid(x, z, gz): return [gz * z * (1 - z)]
def _g_softplus(x, z, gz):
    from ..tensor import nnet
    return [gz * nnet.sigmoid(x)]
def _g_softsign(x, z, gz):
    d = 1 + abs(x)
    return [gz / (d * d)]
def _g_second(x, y, z, gz): return [None, gz]


_FLOAT_MAX = "((isnan({0}) | isnan({1})) ? ({0} + {1}) : fmax({0}, {1}))"
_FLOAT_MIN = "((isnan({0}) | isnan({1})) ? ({0} + {1}) : fmin({0}, {1}))"

SCALAR_OPS = {op.name: op for op in [
    ScalarOp("add", 2, {"f": "({0} + {1})", "i": "({0} + {1})", "u": "({0} + {1})", "b": "({0} | {1})"},
             np.add, _g_add),
    ScalarOp("sub", 2, {"f": "({0} - {1})", "i": "({0} - {1})", "u": "({0} - {1})"}, np.subtract, _g_sub),
    ScalarOp("mul", 2, {"f": "({0} * {1})", "i": "({0} * {1})", "u": "({0} * {1})", "b": "({0} & {1})"},
             np.multiply, _g_mul),
    ScalarOp("true_div", 2, _floats_only("({0} / {1})"), np.true_divide, _g_div),
    ScalarOp("floor_div", 2, {"f": "floor({0} / {1})", "i": "clg_floordiv_{T}({0}, {1})",
                              "u": "(({1}) == 0 ? ({T})0 : ({0}) / ({1}))"},
             np.floor_divide, vectorizable=False),
    ScalarOp("mod", 2, {"f": "clg_fmod_{T}({0}, {1})", "i": "clg_mod_{T}({0}, {1})",
                        "u": "(({1}) == 0 ? ({T})0 : ({0}) % ({1}))"}, np.remainder, vectorizable=False),
    ScalarOp("pow", 2, {"f": "pow({0}, {1})", "i": "clg_ipow_{T}({0}, {1})", "u": "clg_ipow_{T}({0}, {1})"},
             np.power, _g_pow, vectorizable=False),
    ScalarOp("neg", 1, {"f": "(-{0})", "i": "(-{0})", "u": "(-{0})"}, np.negative, _g_neg),
    ScalarOp("abs", 1, {"f": "fabs({0})", "i": "(({T})abs({0}))", "u": "{0}", "b": "{0}"}, np.abs, _g_abs),
    ScalarOp("exp", 1, _floats_only("exp({0})"), np.exp, _g_exp),
    ScalarOp("log", 1, _floats_only("log({0})"), np.log, _g_log),
    ScalarOp("log1p", 1, _floats_only("log1p({0})"), np.log1p, _g_log1p),
    ScalarOp("expm1", 1, _floats_only("expm1({0})"), np.expm1, _g_expm1),
    ScalarOp("sqrt", 1, _floats_only("sqrt({0})"), np.sqrt, _g_sqrt),
    ScalarOp("sqr", 1, {"f": "({0} * {0})", "i": "({0} * {0})", "u": "({0} * {0})", "b": "{0}"},
             np.square, _g_sqr),
    ScalarOp("sin", 1, _floats_only("sin({0})"), np.sin, _g_sin),
    ScalarOp("cos", 1, _floats_only("cos({0})"), np.cos, _g_cos),
    ScalarOp("tan", 1, _floats_only("tan({0})"), np.tan, _g_tan),
    ScalarOp("tanh", 1, _floats_only("clg_tanh_{T}({0})"), np.tanh, _g_tanh),
    ScalarOp("arctan", 1, _floats_only("atan({0})"), np.arctan, _g_arctan),
    ScalarOp("sign", 1, {"f": "clg_sign_{T}({0})", "i": "(({T})(({0} > 0) - ({0} < 0)))",
                         "u": "(({T})({0} > 0))"}, np.sign, _g_zero, vectorizable=False),
    ScalarOp("floor", 1, {"f": "floor({0})", "i": "{0}", "u": "{0}", "b": "{0}"}, np.floor, _g_zero),
    ScalarOp("ceil", 1, {"f": "ceil({0})", "i": "{0}", "u": "{0}", "b": "{0}"}, np.ceil, _g_zero),
    # numpy rounds half to even, which is OpenCL's rint
    ScalarOp("round", 1, {"f": "rint({0})", "i": "{0}", "u": "{0}"}, np.round, _g_zero),
    ScalarOp("round_half_away_from_zero", 1, {"f": "round({0})", "i": "{0}", "u": "{0}"},
             lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5) if np.asarray(x).dtype.kind == "f" else np.asarray(x),
             _g_zero),
    ScalarOp("maximum", 2, {"f": _FLOAT_MAX, "i": "max({0}, {1})", "u": "max({0}, {1})", "b": "({0} | {1})"},
             np.maximum, _g_maximum),
    ScalarOp("minimum", 2, {"f": _FLOAT_MIN, "i": "min({0}, {1})", "u": "min({0}, {1})", "b": "({0} & {1})"},
             np.minimum, _g_minimum),
    _cmp("lt", "<", np.less), _cmp("le", "<=", np.less_equal),
    _cmp("gt", ">", np.greater), _cmp("ge", ">=", np.greater_equal),
    _cmp("eq", "==", np.equal), _cmp("neq", "!=", np.not_equal),
    _logical("and", "&", np.bitwise_and), _logical("or", "|", np.bitwise_or),
    _logical("xor", "^", np.bitwise_xor),
    ScalarOp("invert", 1, {"i": "(~{0})", "u": "(~{0})", "b": "(({T})!{0})"}, np.invert, vectorizable=False),
    ScalarOp("switch", 3, "({0} ? {1} : {2})", _where, _g_switch, vectorizable=False,
             cast_inputs=_switch_casts),
    # clip keeps NaN (comparisons with NaN are false), like numpy
    ScalarOp("clip", 3, "({0} < {1} ? {1} : ({0} > {2} ? {2} : {0}))",
             lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), _g_clip),
    ScalarOp("sigmoid", 1, _floats_only("(({T})1 / (({T})1 + exp(-{0})))"), _sigmoid_ref, _g_sigmoid),
    ScalarOp("softplus", 1, _floats_only("(log1p(exp(-fabs({0}))) + fmax({0}, ({T})0))"),
             lambda x: np.logaddexp(0, x), _g_softplus),
    ScalarOp("softsign", 1, _floats_only("({0} / (({T})1 + fabs({0})))"),
             lambda x: x / (1 + np.abs(x)), _g_softsign),
    # second(a, b) is b broadcast to the shape of a (Theano's `fill`): zeros_like etc.
    ScalarOp("second", 2, "{1}", lambda a, b: np.broadcast_to(b, np.broadcast(a, b).shape),
             _g_second, cast_inputs=lambda d, c: [d[0], c]),
]}


def cast_op(dtype):
    """The conversion to `dtype` (to bool: nonzero test)."""
    dtype = np.dtype(dtype).name
    expr = "(({0}) != 0)" if dtype == "bool" else "{0}"
    return ScalarOp(f"cast_{dtype}", 1, expr, lambda x: np.asarray(x).astype(dtype), _g_cast,
                    vectorizable=False, cast_inputs=lambda d, c: list(d), key=("cast", dtype))


def elu_op(alpha):
    alpha = float(alpha)
    def grad(x, z, gz):
        T = _T()
        return [gz * T.switch(x > 0, 1, z + alpha)]
    return ScalarOp(f"elu_{alpha:g}", 1, _floats_only(f"({{0}} > 0 ? {{0}} : ({{T}})({alpha!r}) * expm1({{0}}))"),
                    lambda x: np.where(np.asarray(x) > 0, x, alpha * np.expm1(x)), grad,
                    vectorizable=True, key=("elu", alpha))


def relu_op(alpha):
    alpha = float(alpha)
    if alpha == 0:
        expr = {"f": "fmax({0}, ({T})0)", "i": "max({0}, ({T})0)"}
        ref = lambda x: np.maximum(x, np.zeros((), np.asarray(x).dtype))
    else:
        expr = _floats_only(f"({{0}} > 0 ? {{0}} : ({{T}})({alpha!r}) * {{0}})")
        ref = lambda x: np.where(np.asarray(x) > 0, x, (alpha * np.asarray(x)).astype(np.result_type(x, 0.0)))
    def grad(x, z, gz):
        T = _T()
        # (the slope is chosen per element: constants 1 and alpha would make it float64).
        # For alpha >= 0, z > 0 exactly where x > 0: reading the output lets a fused
        # producer (a GEMM epilogue) write only z, not x as well
        return [T.switch((z if alpha >= 0 else x) > 0, gz, gz * alpha if alpha else 0)]
    return ScalarOp(f"relu_{alpha:g}" if alpha else "relu", 1, expr, ref, grad, key=("relu", alpha))

# onehot(x, i): 1 where the element's flat (C-order) index equals i, else 0; the value
# of x is not read, only its shape. `{idx}` is the element's flat index in the kernel.
SCALAR_OPS["onehot"] = ScalarOp("onehot", 2, "(({T})(({idx}) == {1}))",
                                lambda x, i: (np.arange(np.size(x)).reshape(np.shape(x)) == i).astype(
                                    np.asarray(x).dtype),
                                vectorizable=False, cast_inputs=lambda d, c: [d[0], "int64"])
# start + idx * step: arange's elements ({idx} is the element's flat index)
SCALAR_OPS["arange"] = ScalarOp("arange", 2, "({0} + ({T})({idx}) * {1})",
                                lambda a, b: np.asarray(a) + 0 * np.asarray(b), vectorizable=False)
SCALAR_OPS["identity"] = ScalarOp("identity", 1, "{0}", lambda x: np.array(x, copy=True), lambda x, z, gz: [gz])
# the value, with no gradient through it (Keras' K.stop_gradient, Theano's disconnected_grad)
SCALAR_OPS["stop_gradient"] = ScalarOp("stop_gradient", 1, "{0}", lambda x: np.array(x, copy=True),
                                       lambda x, z, gz: [None])


def scalar_op_of_key(key):
    """The ScalarOp with this key: a named one, or a family's (cast, elu, relu, the
    batch-norm normalisation) made again from its parameters."""
    if isinstance(key, str) and key in SCALAR_OPS:
        return SCALAR_OPS[key]
    factories = {"cast": cast_op, "elu": elu_op, "relu": relu_op}
    if isinstance(key, tuple) and key and key[0] == "bn_normalize":
        from .bn import normalize_op
        return normalize_op(*key[1:])
    if isinstance(key, tuple) and key and key[0] in factories:
        return factories[key[0]](*key[1:])
    import pickle
    if isinstance(key, tuple) and key and key[0] == "custom":
        from ..custom_ops import CUSTOM_OPS
        if key[1] in CUSTOM_OPS:
            return CUSTOM_OPS[key[1]]
        raise pickle.PicklingError(f"the graph uses elemwise_op {key[1]!r}: define it (clgraph.elemwise_op) before "
                                   "unpickling")
    raise pickle.PicklingError(f"no elementwise op is known by the key {key!r}: a graph holding it cannot be "
                               "unpickled here")
