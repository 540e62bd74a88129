<%page args="name, variant, width, unroll, ndim, keep, red, inputs, consts, stmts, result, kind, acc_ctype, out_ctype, neutral, is_float"/>\
<%namespace name="c" file="common.mako"/>\
## A reduction over the axes `red` of an ndim-dimensional iteration space; the value
## reduced is `result`, computed per element by a fused elementwise prologue (`stmts`)
## from the operands `inputs` (each read through its own strides s<k>_<axis>; 0 where it
## broadcasts). One work-item per output, or per `width` outputs. Variants:
##   general  scalar loads through strides
##   inner    the last axis is reduced and unit-stride: float8 loads along it, vector
##            partial results, then a scalar tail
##   outer    the last axis is kept and unit-stride: each work-item computes
##            unroll * width neighbouring outputs with vector loads (column sums)
## `unroll` independent vector accumulators hide the latency of the (compensated) adds.
## kind: sum (Kahan-compensated for floats), mean, prod, max, min (NaN propagates, as
## numpy), argmax, argmin (flat index within the reduced axes, first occurrence).
<%!
def vt(t, w):
    return t + (str(w) if w > 1 else "")
%>\
<%
    last = ndim - 1
    kahan = is_float and kind in ("sum", "mean")
    arg = kind in ("argmax", "argmin")
    cmp = ">" if kind in ("max", "argmax") else "<"
    def off(a, axes):
        return "".join(" + i%d * %s_s%d" % (d, a.name, d) for d in axes)
    # the element's C-order flat index in the iteration space (for ops such as onehot)
    flat = "i0" if ndim else "0"
    for d in range(1, ndim):
        flat = "(%s) * dim%d + i%d" % (flat, d, d)
%>\
<%def name="element(w, idx, pad, load)">\
<% sp = " " * pad %>\
% for a in inputs:
${sp}const ${vt(a.ctype, w)} ${a.var} = ${load(a)};
% endfor
% for k in consts:
${sp}const ${vt(k.ctype, w)} ${k.var} = ${"(%s)(%s)" % (vt(k.ctype, w), k.literal) if w > 1 else k.literal};
% endfor
% for s in stmts:
${sp}${s.code(w, idx)}
% endfor
</%def>\
<%def name="combine(w, acc, comp, v, pad)">\
<% sp = " " * pad %>\
% if kahan:
${sp}{
${sp}    const ${vt(acc_ctype, w)} y = (${vt(acc_ctype, w)})${v} - ${comp};
${sp}    const ${vt(acc_ctype, w)} t = ${acc} + y;
% if w > 1:
${sp}    ${comp} = select((${vt(acc_ctype, w)})0, (t - ${acc}) - y, isfinite(t));
% else:
${sp}    ${comp} = isfinite(t) ? (t - ${acc}) - y : 0;
% endif
${sp}    ${acc} = t;
${sp}}
% elif kind in ("sum", "mean"):
${sp}${acc} += (${vt(acc_ctype, w)})${v};
% elif kind == "prod":
${sp}${acc} *= (${vt(acc_ctype, w)})${v};
% elif is_float and w > 1:
${sp}${acc} = select(${acc}, ${v}, isnan(${v}) | (${v} ${cmp} ${acc}));
% elif is_float:
${sp}${acc} = (isnan(${v}) || ${v} ${cmp} ${acc}) ? ${v} : ${acc};
% else:
${sp}${acc} = ${"max" if kind == "max" else "min"}(${acc}, (${acc_ctype})${v});
% endif
</%def>\
<%def name="loops(axes, pad)">\
% for k, d in enumerate(axes):
${" " * (pad + 4 * k)}for (long i${d} = 0; i${d} < dim${d}; ++i${d})
% endfor
</%def>\
__kernel void ${name}(const long n,
    ${", ".join("const long dim%d" % d for d in range(ndim))}${"," if ndim else ""}
% for a in inputs:
    __global const ${a.ctype} *restrict ${a.name}, const long ${a.name}_off${"," if ndim else ""}
    ${", ".join("const long %s_s%d" % (a.name, d) for d in range(ndim))},
% endfor
    __global ${out_ctype} *restrict out, const long out_off)
{
    const long gid = get_global_id(0);
    if (gid >= n) return;
% if variant == "outer":
    /* work-item gid: ${unroll * width} neighbouring outputs along the last (kept) axis */
    const long blocks = (dim${last} + ${unroll * width - 1}) / ${unroll * width};
    const long col0 = (gid % blocks) * ${unroll * width};
    long rem = gid / blocks;
% for d in reversed(keep[:-1]):
    const long i${d} = rem % dim${d}; rem /= dim${d};
% endfor
% for a in inputs:
    const long ${a.name}_b = ${a.name}_off${off(a, keep[:-1])}${" + col0" if a.access == "vec" else ""};
% endfor
    const long ob = out_off + (gid / blocks) * dim${last} + col0;
    if (col0 + ${unroll * width} <= dim${last}) {
% for u in range(unroll):
        ${vt(acc_ctype, width)} acc${u} = (${vt(acc_ctype, width)})(${neutral});
% if kahan:
        ${vt(acc_ctype, width)} comp${u} = (${vt(acc_ctype, width)})0;
% endif
% endfor
${loops(red, 8)}\
        ${"    " * len(red)}{
% for u in range(unroll):
            ${"    " * len(red)}{
<% load = lambda a: ("vload%d(%d, %s + %s_b%s)" % (width, u, a.name, a.name, off(a, red))) if a.access == "vec" else "(%s)(%s[%s_b%s])" % (vt(a.ctype, width), a.name, a.name, off(a, red)) %>\
${element(width, "0", 16 + 4 * len(red), load)}\
${combine(width, "acc%d" % u, "comp%d" % u, result, 16 + 4 * len(red))}\
            ${"    " * len(red)}}
% endfor
        ${"    " * len(red)}}
% for u in range(unroll):
% if kind == "mean":
        acc${u} /= (${acc_ctype})(1${"".join(" * dim%d" % d for d in red)});
% endif
        vstore${width}(convert_${vt(out_ctype, width)}(acc${u}), ${u}, out + ob);
% endfor
    } else {
        for (long c = 0; col0 + c < dim${last}; ++c) {
            ${acc_ctype} acc = ${neutral};
% if kahan:
            ${acc_ctype} comp = 0;
% endif
${loops(red, 12)}\
            ${"    " * len(red)}{
<% load = lambda a: "%s[%s_b%s%s]" % (a.name, a.name, off(a, red), " + c" if a.access == "vec" else "") %>\
${element(1, "0", 16 + 4 * len(red), load)}\
${combine(1, "acc", "comp", result, 16 + 4 * len(red))}\
            ${"    " * len(red)}}
% if kind == "mean":
            acc /= (${acc_ctype})(1${"".join(" * dim%d" % d for d in red)});
% endif
            out[ob + c] = (${out_ctype})acc;
        }
    }
% else:
${c.unravel("gid", len(keep), dim="kdim_unused", idx="k_unused") if False else ""}\
% if keep:
    long rem = gid;
% for d in reversed(keep):
    const long i${d} = rem % dim${d}; rem /= dim${d};
% endfor
% endif
% for a in inputs:
    const long ${a.name}_b = ${a.name}_off${off(a, keep)};
% endfor
    ${acc_ctype} acc = ${neutral};
% if kahan:
    ${acc_ctype} comp = 0;
% endif
% if arg:
    long best = 0, pos = 0;
% endif
% if variant == "inner":
    /* the last (reduced) axis in vectors of ${width} (${unroll} at a time), then its tail */
% for u in range(unroll):
    ${vt(acc_ctype, width)} vacc${u} = (${vt(acc_ctype, width)})(${neutral});
% if kahan:
    ${vt(acc_ctype, width)} vcomp${u} = (${vt(acc_ctype, width)})0;
% endif
% endfor
${loops(red[:-1], 4)}\
    ${"    " * len(red[:-1])}{
<% pad = 8 + 4 * len(red[:-1]) %>\
% for a in inputs:
    ${" " * (pad - 4)}const long ${a.name}_r = ${a.name}_b${off(a, red[:-1])};
% endfor
    ${" " * (pad - 4)}long i${last} = 0;
% for step in (unroll, 1):
    ${" " * (pad - 4)}for (; i${last} + ${step * width} <= dim${last}; i${last} += ${step * width}) {
% for u in range(step):
    ${" " * pad}{
<% load = lambda a: ("vload%d(%d, %s + %s_r + i%d)" % (width, u, a.name, a.name, last)) if a.access == "vec" else "(%s)(%s[%s_r])" % (vt(a.ctype, width), a.name, a.name) %>\
${element(width, "0", pad + 4, load)}\
${combine(width, "vacc%d" % u, "vcomp%d" % u, result, pad + 4)}\
    ${" " * pad}}
% endfor
    ${" " * (pad - 4)}}
% endfor
    ${" " * (pad - 4)}for (; i${last} < dim${last}; ++i${last}) {
<% load = lambda a: "%s[%s_r%s]" % (a.name, a.name, (" + i%d" % last) if a.access == "vec" else "") %>\
${element(1, "0", pad + 4, load)}\
${combine(1, "acc", "comp", result, pad + 4)}\
    ${" " * (pad - 4)}}
    ${"    " * len(red[:-1])}}
    /* fold the vector lanes (and their compensations) into the scalar result */
    ${acc_ctype} lanes[${(2 if kahan else 1) * unroll * width}];
% for u in range(unroll):
    vstore${width}(vacc${u}, ${u}, lanes);
% if kahan:
    vstore${width}(-vcomp${u}, ${unroll + u}, lanes);
% endif
% endfor
    for (int l = 0; l < ${(2 if kahan else 1) * unroll * width}; ++l) {
        const ${acc_ctype} lane = lanes[l];
${combine(1, "acc", "comp", "lane", 8)}\
    }
% else:
${loops(red, 4)}\
    ${"    " * len(red)}{
<% load = lambda a: "%s[%s_b%s]" % (a.name, a.name, off(a, red)) %>\
${element(1, "(" + flat + ")", 8 + 4 * len(red), load)}\
% if arg:
        ${"    " * len(red)}if (pos == 0 || (isnan((float)${result}) && !isnan((float)acc)) || ${result} ${cmp} acc) { acc = ${result}; best = pos; }
        ${"    " * len(red)}++pos;
% else:
${combine(1, "acc", "comp", result, 8 + 4 * len(red))}\
% endif
    ${"    " * len(red)}}
% endif
% if kind == "mean":
    acc /= (${acc_ctype})(1${"".join(" * dim%d" % d for d in red)});
% endif
% if arg:
    out[out_off + gid] = best;
% else:
    out[out_off + gid] = (${out_ctype})acc;
% endif
% endif
}
