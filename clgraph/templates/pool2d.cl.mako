<%page args="name, kernel, mode, n_lead, operands, out_ctype"/>\
<%namespace name="c" file="common.mako"/>\
<%
    # operands: [(name, ctype)] read from buffers, in order, among x (the input),
    # z (the max pool's output) and g (gz, or ggx for max_gradgrad)
    ops = [o for o, _ in operands]
    ct = dict(operands)
    A = out_ctype
    lead = "".join(" + i%d * %%ss%d" % (d, d) for d in range(n_lead))
    def base(o):
        return "%s_off%s" % (o, lead.replace("%s", o))
    def at(o, r, col):
        return "%s[%sb + (%s) * %ssh + (%s) * %ssw]" % (o, o, r, o, col, o)
    # a cell "is the maximum" m: equal to it, or both NaN (a NaN wins its window)
    def is_max(v, m):
        return "(%s == %s || (isnan(%s) && isnan(%s)))" % (v, m, v, m)
%>\
## Pooling over the last two axes (H, W) of a tensor with n_lead leading axes, every
## operand read through its strides (per leading axis: <op>s<d>; pooled axes: <op>sh,
## <op>sw), out contiguous. Window k of an axis covers padded cells [k*s, k*s + w), cut
## at the padded border; r_start.. below are in real coordinates (padded - pad).
## kernel 'pool' (a work-item per output cell):
##   max / sum / average_inc_pad / average_exc_pad of x over the real cells
##   max_gradgrad: g (ggx, shaped like x) at the window's first maximum of x
## kernel 'grad' (a work-item per input cell, gathering over the windows that cover it):
##   max: sum of g (gz) over the windows whose first maximum (z, read back) is this cell
##   sum / average_*: sum of g / the window's count
__kernel void ${name}(const long n,
% for d in range(n_lead):
    const long dim${d},${"".join(" const long %ss%d," % (o, d) for o in ops)}
% endfor
    const long H, const long W, const long OH, const long OW,
% for o in ops:
    const long ${o}sh, const long ${o}sw,
% endfor
    const long wh, const long ww, const long sh, const long sw, const long ph, const long pw,
% for o in ops:
    __global const ${ct[o]} *restrict ${o}, const long ${o}_off,
% endfor
    __global ${out_ctype} *restrict out, const long out_off)
{
    const long gid = get_global_id(0);
    if (gid >= n) return;
% if kernel == "pool":
    const long oj = gid % OW;
    long rest = gid / OW;
    const long oi = rest % OH;
    rest /= OH;
% else:
    const long w = gid % W;
    long rest = gid / W;
    const long h = rest % H;
    rest /= H;
% endif
${c.unravel("rest", n_lead, dim="dim", idx="i")}\
% for o in ops:
    const long ${o}b = ${base(o)};
% endfor
% if kernel == "pool":
    const long r_start = oi * sh - ph, c_start = oj * sw - pw;
    const long r_end = min(r_start + wh, H + ph), c_end = min(c_start + ww, W + pw);
    const long r0 = max(r_start, (long)0), r1 = min(r_end, H);
    const long c0 = max(c_start, (long)0), c1 = min(c_end, W);
% if mode in ("max", "max_gradgrad"):
    ${A} m = (${A})${at("x", "r0", "c0")};
    long br = r0, bc = c0;
    for (long r = r0; r < r1; ++r)
        for (long col = c0; col < c1; ++col) {
            const ${A} v = (${A})${at("x", "r", "col")};
            if (v > m || (isnan(v) && !isnan(m))) { m = v; br = r; bc = col; }
        }
% if mode == "max":
    out[out_off + gid] = (${out_ctype})m;
% else:
    out[out_off + gid] = (${out_ctype})${at("g", "br", "bc")};
% endif
% else:
    ${A} s = 0;
    for (long r = r0; r < r1; ++r)
        for (long col = c0; col < c1; ++col)
            s += (${A})${at("x", "r", "col")};
% if mode == "sum":
    out[out_off + gid] = s;
% elif mode == "average_inc_pad":
    out[out_off + gid] = s / (${A})((r_end - r_start) * (c_end - c_start));
% else:
    out[out_off + gid] = s / (${A})((r1 - r0) * (c1 - c0));
% endif
% endif
% else:
    /* the windows that cover (h, w): k * s <= h + pad < k * s + w */
    const long hp = h + ph, wp = w + pw;
    const long oi0 = hp < wh ? 0 : (hp - wh) / sh + 1, oi1 = min(hp / sh + 1, OH);
    const long oj0 = wp < ww ? 0 : (wp - ww) / sw + 1, oj1 = min(wp / sw + 1, OW);
    ${A} acc = 0;
% if mode == "max":
    const ${ct["x"]} v = ${at("x", "h", "w")};
% endif
    for (long oi = oi0; oi < oi1; ++oi)
        for (long oj = oj0; oj < oj1; ++oj) {
            const long r_start = oi * sh - ph, c_start = oj * sw - pw;
% if mode == "max":
            const ${ct["x"]} m = (${ct["x"]})${at("z", "oi", "oj")};
            if (!${is_max("v", "m")}) continue;
            /* the first maximum: no earlier cell of the window (row-major) is one */
            const long r0 = max(r_start, (long)0);
            const long c0 = max(c_start, (long)0), c1 = min(min(c_start + ww, W + pw), W);
            int first = 1;
            for (long r = r0; r <= h && first; ++r)
                for (long col = c0; col < (r < h ? c1 : w); ++col) {
                    const ${ct["x"]} u = ${at("x", "r", "col")};
                    if (${is_max("u", "m")}) { first = 0; break; }
                }
            if (first)
                acc += (${A})${at("g", "oi", "oj")};
% else:
<%
    if mode == "sum":
        count = None
    elif mode == "average_inc_pad":
        count = "(min(r_start + wh, H + ph) - r_start) * (min(c_start + ww, W + pw) - c_start)"
    else:
        count = ("(min(r_start + wh, H) - max(r_start, (long)0)) * "
                 "(min(c_start + ww, W) - max(c_start, (long)0))")
%>\
% if count is None:
            acc += (${A})${at("g", "oi", "oj")};
% else:
            acc += (${A})${at("g", "oi", "oj")} / (${A})(${count});
% endif
% endif
        }
    out[out_off + gid] = acc;
% endif
}
