## Shared Mako defs for every kernel template: the program preamble (fp64 pragma and the
## helper functions a program actually uses), vector load/store, and index arithmetic.
<%!
INT_TYPES = ["char", "short", "int", "long"]
UINT_TYPES = ["uchar", "ushort", "uint", "ulong"]
%>

## Before a scalar loop that runs once per tile or row (edge lanes, epilogues, stores)
## or over a short row (the softmax gradient): PoCL otherwise runs LLVM's loop vectorizer
## on each, with runtime alias checks between the kernel's many pointers: a third of a
## GEMM kernel's or a reduction's compile time, half of the softmax gradient's, for no
## faster code (the softmax gradient: 9% slower rows of 1000). Loops that run per
## element of large data (copies, micro-kernels, the remainder columns of a GEMM's B
## panel) keep it; PoCL's work-item loops are not affected.
<%def name="no_autovec()">#pragma clang loop vectorize(disable) interleave(disable)</%def>

<%def name="preamble(fp64, helpers)">\
% if fp64:
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
% endif
% for T in INT_TYPES:
% if "clg_floordiv_" + T in helpers:
/* numpy floor division: rounds toward -inf; division by zero gives 0 */
inline ${T} clg_floordiv_${T}(${T} a, ${T} b) {
    if (b == 0) return 0;
    ${T} q = a / b;
    return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
% endif
% if "clg_mod_" + T in helpers:
/* numpy remainder: the sign follows the divisor; modulo zero gives 0 */
inline ${T} clg_mod_${T}(${T} a, ${T} b) {
    if (b == 0) return 0;
    ${T} r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
% endif
% endfor
% for T in INT_TYPES + UINT_TYPES:
% if "clg_ipow_" + T in helpers:
/* integer power by squaring (negative exponents give 0, as C integer division would) */
inline ${T} clg_ipow_${T}(${T} a, ${T} b) {
    ${T} r = 1;
    if (b < 0) return (a == 1) ? 1 : ((a == (${T})-1) ? ((b & 1) ? a : 1) : 0);
    while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }
    return r;
}
% endif
% endfor
% for T in ["float", "double"]:
% if "clg_fmod_" + T in helpers:
/* numpy remainder for floats: fmod, moved to the divisor's sign */
inline ${T} clg_fmod_${T}(${T} a, ${T} b) {
    ${T} r = fmod(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
% endif
% if "clg_sign_" + T in helpers:
/* numpy sign: NaN stays NaN (OpenCL's sign() gives 0) */
inline ${T} clg_sign_${T}(${T} x) { return isnan(x) ? x : sign(x); }
% endif
% endfor
% for VT in [T + w for T in ("float", "double") for w in ("", "2", "3", "4", "8", "16")]:
% if "clg_tanh_" + VT in helpers and VT.startswith("float"):
/* tanh as a rational function, odd degree 13 over even degree 6 (the coefficients of
   Eigen's float tanh), on inputs clamped to +-7.905: PoCL's tanh() makes a GEMM
   epilogue up to 20% slower. Relative error below 4e-7 (a few ulp near +-1), the
   identity below 4e-4, and +-1 from where float32 rounds tanh to it */
inline ${VT} clg_tanh_${VT}(${VT} x) {
    const ${VT} c = clamp(x, (${VT})-7.90531110763549805f, (${VT})7.90531110763549805f), x2 = c * c;
    ${VT} p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = (p * x2 + 4.89352455891786e-03f) * c;
    ${VT} q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    const ${VT} r = !(fabs(x) >= 0.0004f) ? x : p / q;  /* (NaN stays NaN) */
    return fabs(x) >= 0x1.205968p+3f ? copysign((${VT})1.0f, x) : r;  /* 9.010914: float32 tanh rounds to +-1 */
}
% elif "clg_tanh_" + VT in helpers:
#define clg_tanh_${VT} tanh
% endif
% endfor
</%def>

## Load one element (width 1) or `width` consecutive elements of a contiguous operand.
<%def name="vload(arg, width, idx)">\
% if width == 1:
${arg.name}[${arg.name}_off + ${idx}]\
% else:
vload${width}(${idx}, ${arg.name} + ${arg.name}_off)\
% endif
</%def>

<%def name="vstore(arg, value, width, idx)">\
% if width == 1:
${arg.name}[${arg.name}_off + ${idx}] = ${value};\
% else:
vstore${width}(${value}, ${idx}, ${arg.name} + ${arg.name}_off);\
% endif
</%def>

## Unravel a C-order flat index `flat` over dims dim0..dim{ndim-1} into i0..i{ndim-1}.
<%def name="unravel(flat, ndim, dim='dim', idx='i')">\
% if ndim > 1:
    long rem = ${flat};
% for d in reversed(range(1, ndim)):
    const long ${idx}${d} = rem % ${dim}${d}; rem /= ${dim}${d};
% endfor
    const long ${idx}0 = rem;
% elif ndim == 1:
    const long ${idx}0 = ${flat};
% endif
</%def>

## Element offset of a strided operand at index i0..: off + i0*s0 + ...
<%def name="strided_offset(arg, ndim, idx='i')">\
${arg.name}_off${"".join(" + %s%d * %s_s%d" % (idx, d, arg.name, d) for d in range(ndim))}\
</%def>
