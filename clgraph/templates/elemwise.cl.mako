<%page args="name, mode, width, ndim, inputs, consts, stmts, outputs"/>\
<%namespace name="c" file="common.mako"/>\
## One fused elementwise kernel.
##   mode 'flat': every operand is contiguous with the loop's shape (or a scalar), so the
##                kernel walks a flat index; with width > 1 each work-item handles
##                `width` elements with vector types (PoCL vectorises only those) and the
##                last work-item finishes the tail element by element.
##   mode 'nd':   some operand is broadcast or strided: unravel the index over `ndim` dims.
##   mode 'rows': as 'nd', but every operand is contiguous along the last axis or constant
##                along it (a bias row, a per-row scale): a work-item computes `width`
##                neighbouring elements of one row with vector loads, and the tail of
##                the row element by element.
## inputs: .name .ctype .access ('flat' | 'scalar' | 'strided') .var .last ('unit' |
## 'splat': how a strided operand varies along the last axis, for 'rows')
## consts: .var .ctype .literal     stmts: .code(width, flat index)     outputs: .name .ctype .var
<%!
def vt(ctype, width):
    """The C type of `width` elements: float, float8, ..."""
    return ctype + (str(width) if width > 1 else "")
%>\
<%def name="compute(width, idx, pad)">\
<% sp = " " * pad %>\
% for a in inputs:
${sp}const ${vt(a.ctype, width)} ${a.var} = \
% if a.access == "scalar":
${"(%s)(%s[%s_off])" % (vt(a.ctype, width), a.name, a.name) if width > 1 else "%s[%s_off]" % (a.name, a.name)};
% elif a.access == "flat":
${c.vload(a, width, idx)};
% else:
${a.name}[${c.strided_offset(a, ndim)}];
% endif
% endfor
% for k in consts:
${sp}const ${vt(k.ctype, width)} ${k.var} = ${"(%s)(%s)" % (vt(k.ctype, width), k.literal) if width > 1 else k.literal};
% endfor
% for s in stmts:
${sp}${s.code(width, idx)}
% endfor
% for o in outputs:
${sp}${c.vstore(o, o.var, width, idx)}
% endfor
</%def>\
## rows mode, full vectors: element (i0.., col) of the loop, flat index e = row * dim_last + col
<%def name="compute_rows(width, pad)">\
<% sp = " " * pad %>\
% for a in inputs:
<% row = "".join(" + i%d * %s_s%d" % (d, a.name, d) for d in range(ndim - 1)) %>\
% if a.access == "scalar":
${sp}const ${vt(a.ctype, width)} ${a.var} = (${vt(a.ctype, width)})(${a.name}[${a.name}_off]);
% elif a.access == "flat":
${sp}const ${vt(a.ctype, width)} ${a.var} = vload${width}(0, ${a.name} + ${a.name}_off + e);
% elif a.last == "splat":
${sp}const ${vt(a.ctype, width)} ${a.var} = (${vt(a.ctype, width)})(${a.name}[${a.name}_off${row}]);
% else:
${sp}const ${vt(a.ctype, width)} ${a.var} = vload${width}(0, ${a.name} + ${a.name}_off${row} + col);
% endif
% endfor
% for k in consts:
${sp}const ${vt(k.ctype, width)} ${k.var} = (${vt(k.ctype, width)})(${k.literal});
% endfor
% for st in stmts:
${sp}${st.code(width, "e")}
% endfor
% for o in outputs:
${sp}vstore${width}(${o.var}, 0, ${o.name} + ${o.name}_off + e);
% endfor
</%def>\
__kernel void ${name}(const long n,
% for d in range(ndim if mode in ("nd", "rows") else 0):
    const long dim${d},
% endfor
% for a in inputs:
    __global const ${a.ctype} *restrict ${a.name}, const long ${a.name}_off,
% if a.access == "strided":
    ${", ".join("const long %s_s%d" % (a.name, d) for d in range(ndim))},
% endif
% endfor
% for o in outputs:
    __global ${o.ctype} *restrict ${o.name}, const long ${o.name}_off${"," if not loop.last else ")"}
% endfor
{
    const long gid = get_global_id(0);
% if mode == "flat" and width > 1:
    if ((gid + 1) * ${width} <= n) {
${compute(width, "gid", 8)}\
    } else {
        /* the last work-item: the elements after the last full vector */
        for (long j = gid * ${width}; j < n; ++j) {
${compute(1, "j", 12)}\
        }
    }
% elif mode == "rows":
    /* n = rows * blocks of ${width} along the last axis */
    const long blocks = (dim${ndim - 1} + ${width - 1}) / ${width};
    if (gid >= n) return;
    const long col = (gid % blocks) * ${width};
${c.unravel("gid / blocks", ndim - 1)}\
    const long e = (gid / blocks) * dim${ndim - 1} + col;
    if (col + ${width} <= dim${ndim - 1}) {
${compute_rows(width, 8)}\
    } else {
        for (long i${ndim - 1} = col; i${ndim - 1} < dim${ndim - 1}; ++i${ndim - 1}) {
            const long j = e + i${ndim - 1} - col;
${compute(1, "j", 12)}\
        }
    }
% else:
    if (gid >= n) return;
% if mode == "nd":
${c.unravel("gid", ndim)}\
% endif
${compute(1, "gid", 4)}\
% endif
}
