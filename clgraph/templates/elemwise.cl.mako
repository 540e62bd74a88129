<%page args="name, mode, width, ndim, inputs, consts, stmts, outputs"/>\
<%namespace name="c" file="common.mako"/>\
## One fused elementwise kernel.
##   mode 'flat': every operand is contiguous with the loop's shape (or a scalar), so the
##                kernel walks a flat index; with width > 1 each work-item handles
##                `width` elements with vector types (PoCL vectorises only those) and the
##                last work-item finishes the tail element by element.
##   mode 'nd':   some operand is broadcast or strided: unravel the index over `ndim` dims.
## inputs: .name .ctype .access ('flat' | 'scalar' | 'strided') .var
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
__kernel void ${name}(const long n,
% for d in range(ndim if mode == "nd" else 0):
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
% else:
    if (gid >= n) return;
% if mode == "nd":
${c.unravel("gid", ndim)}\
% endif
${compute(1, "gid", 4)}\
% endif
}
