<%page args="name, variant, width, unroll, ndim, keep, red, inputs, consts, stmts, result, kind, acc_ctype, out_ctype, neutral, is_float, split, epi=None"/>\
<%namespace name="c" file="common.mako"/>\
## A reduction over the axes `red` of an ndim-dimensional iteration space; the value
## reduced is `result`, computed per element by a fused elementwise prologue (`stmts`)
## from the operands `inputs` (each read through its own strides s<k>_<axis>; 0 where it
## broadcasts). Stage-1 variants:
##   general  one output per work-item, scalar loads through strides
##   inner    the last axis is reduced and unit-stride: float8 loads along it into
##            `unroll` vector accumulators (enough to hide the add latency)
##   rows     CPU, the last axis is kept and unit-stride: a work-item streams whole rows
##            of a block of columns and adds them into its row of partial results
##            (column sums read memory in order, as numpy does)
##   outer    GPU, the last axis is kept: each work-item owns unroll * width neighbouring
##            columns and walks down the rows (neighbouring work-items read neighbouring
##            memory)
## When few outputs would leave the device idle, the launch splits the first reduced axis
## into `parts` chunks: stage 1 writes one partial result per chunk (plus its Kahan
## compensation), and `<name>_final` combines them in a fixed order, so the result is the
## same on every run. With parts == 1 stage 1 writes the output itself.
## Float sums are compensated (Kahan): per element in the scalar code, and per block of
## vector additions in the vector code, which is as accurate and costs nothing.
## kind: sum, mean, prod, max, min (NaN propagates, as numpy), argmax, argmin (flat index
## within the reduced axes, first occurrence).
## `epi`: a fused elementwise group applied to each reduced value as it is written (a
## bias gradient and the optimizer's update): its operands hold one element per output
## (or are scalars); results go to `out` and res1, res2, ...
## An operand with `inner` ('argmax' or 'argmin', general variant only) is a row of its
## array per element, reduced to its position before the prologue reads it (Keras'
## accuracy, mean(eq(argmax(y, -1), argmax(p, -1))): rows of <name>_len elements
## <name>_step apart).
<%!
def vt(t, w):
    return t + (str(w) if w > 1 else "")
%>\
<%
    last = ndim - 1
    kahan = is_float and kind in ("sum", "mean")
    arg = kind in ("argmax", "argmin")
    cmp = ">" if kind in ("max", "argmax") else "<"
    step = unroll * width
    # vector steps between two compensated folds of the block sums
    block = 8
    def off(a, axes):
        return "".join(" + i%d * %s_s%d" % (d, a.name, d) for d in axes)
    def count(axes):
        return "(" + " * ".join(["1"] + ["dim%d" % d for d in axes]) + ")"
    # the element's C-order flat index in the iteration space (for ops such as onehot)
    flat = "i0" if ndim else "0"
    for d in range(1, ndim):
        flat = "(%s) * dim%d + i%d" % (flat, d, d)
%>\
<%def name="element(w, idx, pad, load)">\
<% sp = " " * pad %>\
% for a in inputs:
% if a.inner:
## an argmax/argmin along a row of the operand, whose first element load(a) reads (the
## general variant only): first occurrence, NaN wins, as the reduce kernel's own
${sp}long ${a.var} = 0;
${sp}{
${sp}    const __global ${a.ctype} *row = &${load(a)};
${sp}    ${a.ctype} top = row[0];
${sp}    ${c.no_autovec()}
${sp}    for (long e = 1; e < ${a.name}_len; ++e) {
${sp}        const ${a.ctype} v = row[e * ${a.name}_step];
${sp}        if ((isnan((float)v) && !isnan((float)top)) || v ${">" if a.inner == "argmax" else "<"} top) { top = v; ${a.var} = e; }
${sp}    }
${sp}}
% else:
${sp}const ${vt(a.ctype, w)} ${a.var} = ${load(a)};
% endif
% endfor
% for k in consts:
${sp}const ${vt(k.ctype, w)} ${k.var} = ${"(%s)(%s)" % (vt(k.ctype, w), k.literal) if w > 1 else k.literal};
% endfor
% for s in stmts:
${sp}${s.code(w, idx)}
% endfor
</%def>\
## acc <- acc (+) v; with `comp`, a Kahan-compensated addition
<%def name="combine(w, acc, comp, v, pad)">\
<% sp = " " * pad %>\
% if kahan and comp:
${sp}{
${sp}    const ${vt(acc_ctype, w)} y = (${vt(acc_ctype, w)})(${v}) - ${comp};
${sp}    const ${vt(acc_ctype, w)} t = ${acc} + y;
% if w > 1:
${sp}    ${comp} = select((${vt(acc_ctype, w)})0, (t - ${acc}) - y, isfinite(t));
% else:
${sp}    ${comp} = isfinite(t) ? (t - ${acc}) - y : 0;
% endif
${sp}    ${acc} = t;
${sp}}
% elif kind in ("sum", "mean"):
${sp}${acc} += (${vt(acc_ctype, w)})(${v});
% elif kind == "prod":
${sp}${acc} *= (${vt(acc_ctype, w)})(${v});
% elif is_float and w > 1:
${sp}${acc} = select(${acc}, ${v}, isnan(${v}) | (${v} ${cmp} ${acc}));
% elif is_float:
${sp}${acc} = (isnan(${v}) || ${v} ${cmp} ${acc}) ? ${v} : ${acc};
% else:
${sp}${acc} = ${"max" if kind == "max" else "min"}(${acc}, (${vt(acc_ctype, w)})(${v}));
% endif
</%def>\
## nested loops over `axes`; the first runs over this work-item's chunk [lo, hi)
<%def name="loops(axes, pad, chunked=True)">\
% for k, d in enumerate(axes):
% if k == 0 and chunked:
${" " * (pad + 4 * k)}${c.no_autovec()}
${" " * (pad + 4 * k)}for (long i${d} = lo; i${d} < hi; ++i${d})
% else:
${" " * (pad + 4 * k)}${c.no_autovec()}
${" " * (pad + 4 * k)}for (long i${d} = 0; i${d} < dim${d}; ++i${d})
% endif
% endfor
</%def>\
<%def name="unravel_keep(var, axes)">\
% if axes:
    long rem = ${var};
% for d in reversed(axes):
    const long i${d} = rem % dim${d}; rem /= dim${d};
% endfor
% endif
</%def>\
## write the result of output `j` (parts == 1) or this chunk's partial result(s)
<%def name="finish(pad)">\
<% sp = " " * pad %>\
${sp}if (parts == 1) {
% if kahan:
${sp}    acc -= comp;
% endif
% if kind == "mean":
${sp}    acc /= (${acc_ctype})${count(red)};
% endif
% if arg:
${sp}    out[out_off + j] = best;
% else:
${store("j", "acc", pad + 4)}\
% endif
${sp}} else {
% if kahan:
${sp}    part[(j * parts + p) * 2] = acc;
${sp}    part[(j * parts + p) * 2 + 1] = -comp;
% else:
${sp}    part[j * parts + p] = acc;
% endif
${sp}}
</%def>\
## rows variant: add `nrows` rows (from row r on) of columns [c0, c1) into dst
<%def name="row_pass(nrows, pad)">\
<% sp = " " * pad %>\
${sp}${c.no_autovec()}
${sp}for (; r + ${nrows} <= rend; r += ${nrows}) {
${sp}    long c = c0;
% for w, cend in ((width, "c + %d <= c1" % width), (1, "c < c1")):
${sp}    for (; ${cend}; c += ${w}) {
${sp}        ${vt(acc_ctype, w)} acc = ${"vload%d(0, dst + c)" % w if w > 1 else "dst[c]"};
% for u in range(nrows):
${sp}        {
${sp}            const long i${red[-1]} = r + ${u};
<% load = (lambda a: ("vload%d(0, %s + %s_r + i%d * %s_s%d + c)" % (w, a.name, a.name, red[-1], a.name, red[-1])) if a.access == "vec" else "(%s)(%s[%s_r + i%d * %s_s%d])" % (vt(a.ctype, w), a.name, a.name, red[-1], a.name, red[-1])) if w > 1 else (lambda a: "%s[%s_r + i%d * %s_s%d%s]" % (a.name, a.name, red[-1], a.name, red[-1], " + c" if a.access == "vec" else "")) %>\
${element(w, "0", pad + 12, load)}\
${combine(w, "acc", None, result, pad + 12)}\
${sp}        }
% endfor
${sp}        ${"vstore%d(acc, 0, dst + c)" % w if w > 1 else "dst[c] = acc"};
${sp}    }
% endfor
${sp}}
</%def>\
## write the reduced value `value` of output `j` (through the epilogue, if any)
<%def name="store(j, value, pad)">\
<% sp = " " * pad %>\
% if epi:
${sp}{
${sp}    const ${acc_ctype} ${epi["acc"]} = ${value};
% for o in epi["inputs"]:
${sp}    const ${o.ctype} ${o.var} = ${o.name}[${o.name}_off${"" if o.access == "scalar" else " + (%s)" % j}];
% endfor
% for k in epi["consts"]:
${sp}    const ${k.ctype} ${k.var} = ${k.literal};
% endfor
% for st in epi["stmts"]:
${sp}    ${st.code(1, "0")}
% endfor
${sp}    out[out_off + (${j})] = (${out_ctype})${epi["result"]};
% for o in epi["more"]:
${sp}    ${o.name}[${o.name}_off + (${j})] = ${o.var};
% endfor
${sp}}
% else:
${sp}out[out_off + (${j})] = (${out_ctype})(${value});
% endif
</%def>\
<%def name="epi_params()">\
% for o in (epi["inputs"] if epi else []):
,
    __global const ${o.ctype} *restrict ${o.name}, const long ${o.name}_off\
% endfor
% for o in (epi["more"] if epi else []):
,
    __global ${o.ctype} *restrict ${o.name}, const long ${o.name}_off\
% endfor
</%def>\
__kernel void ${name}(const long n, const long parts, const long chunk, const long cblock,
    ${", ".join("const long dim%d" % d for d in range(ndim))}${"," if ndim else ""}
% for a in inputs:
    __global const ${a.ctype} *restrict ${a.name}, const long ${a.name}_off${"," if ndim else ""}
    ${", ".join("const long %s_s%d" % (a.name, d) for d in range(ndim))},
% if a.inner:
    const long ${a.name}_len, const long ${a.name}_step,
% endif
% endfor
    __global ${out_ctype} *restrict out, const long out_off, __global ${acc_ctype} *part${epi_params()})
{
    const long gid = get_global_id(0);
    if (gid >= n) return;
% if variant == "rows":
    /* work-item: (kept outer index o, chunk p of the rows, block b of columns) */
    const long nb = (dim${last} + cblock - 1) / cblock;
    const long b = gid % nb, p = (gid / nb) % parts, o = gid / nb / parts;
${unravel_keep("o", keep[:-1])}\
    const long lo = p * chunk, hi = min(dim${red[0]}, lo + chunk);
    const long c0 = b * cblock, c1 = min(dim${last}, c0 + cblock);
    __global ${acc_ctype} *dst = parts == 1 ? out + out_off + o * dim${last} : part + (o * parts + p) * dim${last};
% for a in inputs:
    const long ${a.name}_b = ${a.name}_off${off(a, keep[:-1])};
% endfor
    ${c.no_autovec()}
    for (long c = c0; c < c1; ++c)
        dst[c] = ${neutral};
<% rd = red[-1] %>\
${loops(red[:-1], 4)}\
    ${"    " * len(red[:-1])}{
<% pad = 8 + 4 * len(red[:-1]) %><% sp = " " * pad %>\
% for a in inputs:
${sp}const long ${a.name}_r = ${a.name}_b${off(a, red[:-1])};
% endfor
% if len(red) == 1:
${sp}long r = lo;
${sp}const long rend = hi;
% else:
${sp}long r = 0;
${sp}const long rend = dim${rd};
% endif
${sp}/* ${unroll} rows at a time: one load and store of the partial sums per ${unroll} rows */
${row_pass(unroll, pad)}\
${row_pass(1, pad)}\
    ${"    " * len(red[:-1])}}
% if kind == "mean":
    if (parts == 1)
        ${c.no_autovec()}
        for (long c = c0; c < c1; ++c)
            dst[c] /= (${acc_ctype})${count(red)};
% endif
% if epi:
    if (parts == 1)
        ${c.no_autovec()}
        for (long c = c0; c < c1; ++c) {
            const ${acc_ctype} reduced = dst[c];
${store("o * dim%d + c" % last, "reduced", 12)}\
        }
% endif
% elif variant == "outer":
    /* work-item gid: ${step} neighbouring outputs along the last (kept) axis */
    const long lo = 0, hi = dim${red[0]};
    const long blocks = (dim${last} + ${step - 1}) / ${step};
    const long col0 = (gid % blocks) * ${step};
${unravel_keep("gid / blocks", keep[:-1])}\
% for a in inputs:
    const long ${a.name}_b = ${a.name}_off${off(a, keep[:-1])}${" + col0" if a.access == "vec" else ""};
% endfor
    const long ob = out_off + (gid / blocks) * dim${last} + col0;
    if (col0 + ${step} <= dim${last}) {
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
        acc${u} /= (${acc_ctype})${count(red)};
% endif
% if epi:
        {
            ${acc_ctype} lanes[${width}];
            vstore${width}(acc${u}, 0, lanes);
            ${c.no_autovec()}
            for (int l = 0; l < ${width}; ++l) {
                const ${acc_ctype} reduced = lanes[l];
${store("ob - out_off + %d + l" % (u * width), "reduced", 16)}\
            }
        }
% else:
        vstore${width}(convert_${vt(out_ctype, width)}(acc${u}), ${u}, out + ob);
% endif
% endfor
    } else {
        ${c.no_autovec()}
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
            acc /= (${acc_ctype})${count(red)};
% endif
${store("ob - out_off + c", "acc", 12)}\
        }
    }
% else:
    /* work-item: output j, chunk p of reduced axis ${red[0] if red else ""} */
    const long j = gid / parts, p = gid % parts;
${unravel_keep("j", keep)}\
% if red:
    const long lo = p * chunk, hi = min(dim${red[0]}, lo + chunk);
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
<% outer_red = red[:-1] %>\
    /* the last (reduced) axis in vectors of ${width}, ${unroll} at a time, then its tail */
    int vector_used = 0;
% if kahan:
    ${vt(acc_ctype, width)} vtot = 0, vcomp = 0;
% else:
% for u in range(unroll):
    ${vt(acc_ctype, width)} vacc${u} = (${vt(acc_ctype, width)})(${neutral});
% endfor
% endif
${loops(outer_red, 4)}\
    ${"    " * len(outer_red)}{
<% pad = 8 + 4 * len(outer_red) %><% sp = " " * pad %>\
% for a in inputs:
${sp}const long ${a.name}_r = ${a.name}_b${off(a, outer_red)};
% endfor
% if outer_red:
${sp}long i${last} = 0;
${sp}const long end = dim${last};
% else:
${sp}long i${last} = lo;
${sp}const long end = hi;
% endif
<% load = lambda u: (lambda a: ("vload%d(%d, %s + %s_r + i%d)" % (width, u, a.name, a.name, last)) if a.access == "vec" else "(%s)(%s[%s_r])" % (vt(a.ctype, width), a.name, a.name)) %>\
${sp}vector_used |= i${last} + ${step} <= end;
% if kahan:
${sp}${c.no_autovec()}
${sp}while (i${last} + ${step} <= end) {
${sp}    /* plain vector sums over a block, then one compensated fold */
${sp}    const long stop = min(end, i${last} + ${block * step});
% for u in range(unroll):
${sp}    ${vt(acc_ctype, width)} vacc${u} = 0;
% endfor
${sp}    for (; i${last} + ${step} <= stop; i${last} += ${step}) {
% for u in range(unroll):
${sp}        {
${element(width, "0", pad + 12, load(u))}\
${combine(width, "vacc%d" % u, None, result, pad + 12)}\
${sp}        }
% endfor
${sp}    }
${combine(width, "vtot", "vcomp", " + ".join("vacc%d" % u for u in range(unroll)), pad + 4)}\
${sp}}
% else:
${sp}${c.no_autovec()}
${sp}for (; i${last} + ${step} <= end; i${last} += ${step}) {
% for u in range(unroll):
${sp}    {
${element(width, "0", pad + 8, load(u))}\
${combine(width, "vacc%d" % u, None, result, pad + 8)}\
${sp}    }
% endfor
${sp}}
% endif
${sp}${c.no_autovec()}
${sp}for (; i${last} < end; ++i${last}) {
<% sload = lambda a: "%s[%s_r%s]" % (a.name, a.name, (" + i%d" % last) if a.access == "vec" else "") %>\
${element(1, "0", pad + 4, sload)}\
${combine(1, "acc", "comp", result, pad + 4)}\
${sp}}
    ${"    " * len(outer_red)}}
    /* fold the vector lanes (and their compensations) into the scalar result; rows
       shorter than ${step} never filled them */
    if (vector_used) {
% if kahan:
    ${acc_ctype} lanes[${2 * width}];
    vstore${width}(vtot, 0, lanes);
    vstore${width}(-vcomp, 1, lanes);
    ${c.no_autovec()}
    for (int l = 0; l < ${2 * width}; ++l) {
        const ${acc_ctype} lane = lanes[l];
${combine(1, "acc", "comp", "lane", 8)}\
    }
% else:
    ${acc_ctype} lanes[${unroll * width}];
% for u in range(unroll):
    vstore${width}(vacc${u}, ${u}, lanes);
% endfor
    ${c.no_autovec()}
    for (int l = 0; l < ${unroll * width}; ++l) {
        const ${acc_ctype} lane = lanes[l];
${combine(1, "acc", None, "lane", 8)}\
    }
% endif
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
${finish(4)}\
% endif
}
% if split:

/* combines the partial results of the chunks of each output, in chunk order:
   partial (j, p, k) is at part[(j / C) * parts * C * K + (j % C) * K + (p * C) * K + k] */
__kernel void ${name}_final(const long n, const long C, const long parts, const long K, const long count,
    __global const ${acc_ctype} *restrict part, __global ${out_ctype} *restrict out, const long out_off${epi_params()})
{
    const long j = get_global_id(0);
    if (j >= n) return;
    const long base = ((j / C) * parts * C + j % C) * K;
    ${acc_ctype} acc = ${neutral};
% if kahan:
    ${acc_ctype} comp = 0;
% endif
    ${c.no_autovec()}
    for (long p = 0; p < parts; ++p)
        ${c.no_autovec()}
        for (long k = 0; k < K; ++k) {
            const ${acc_ctype} v = part[base + p * C * K + k];
${combine(1, "acc", "comp", "v", 12)}\
        }
% if kahan:
    acc -= comp;
% endif
% if kind == "mean":
    acc /= (${acc_ctype})count;
% endif
${store("j", "acc", 4)}\
}
% endif
