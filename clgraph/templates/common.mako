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
