<%page args="name, in_ctype, out_ctype, acc_ctype, kind, n_keep, n_red, neutral, is_float"/>\
<%namespace name="c" file="common.mako"/>\
## One work-item per output element; it walks the reduced axes with their strides.
## kept axes: sizes kdim*, strides ks*; reduced axes: sizes rdim*, strides rs*.
## kind: 'sum' (Kahan-compensated for floats, so long float32 sums stay accurate),
##       'max', 'min' (NaN propagates, as numpy).
__kernel void ${name}(const long n,
% for d in range(n_keep):
    const long kdim${d}, const long ks${d},
% endfor
% for d in range(n_red):
    const long rdim${d}, const long rs${d},
% endfor
    __global const ${in_ctype} *restrict in0, const long in0_off,
    __global ${out_ctype} *restrict out0, const long out0_off)
{
    const long gid = get_global_id(0);
    if (gid >= n) return;
${c.unravel("gid", n_keep, dim="kdim", idx="k")}\
    const long base = in0_off${"".join(" + k%d * ks%d" % (d, d) for d in range(n_keep))};
    ${acc_ctype} acc = ${neutral};
% if kind == "sum" and is_float:
    ${acc_ctype} comp = 0;
% endif
% for d in range(n_red):
    ${"    " * d}for (long r${d} = 0; r${d} < rdim${d}; ++r${d})
% endfor
    ${"    " * n_red}{
    ${"    " * n_red}    const ${acc_ctype} v = (${acc_ctype})in0[base${"".join(" + r%d * rs%d" % (d, d) for d in range(n_red))}];
% if kind == "sum" and is_float:
    ${"    " * n_red}    const ${acc_ctype} y = v - comp;
    ${"    " * n_red}    const ${acc_ctype} t = acc + y;
    ${"    " * n_red}    comp = isfinite(t) ? (t - acc) - y : 0;
    ${"    " * n_red}    acc = t;
% elif kind == "sum":
    ${"    " * n_red}    acc += v;
% elif is_float:
    ${"    " * n_red}    acc = (isnan(v) || v ${">" if kind == "max" else "<"} acc) ? v : acc;
% else:
    ${"    " * n_red}    acc = ${kind}(acc, v);
% endif
    ${"    " * n_red}}
    out0[out0_off + gid] = (${out_ctype})acc;
}
