<%page args="name, kernel, mode, n_lead, operands, out_ctype, ws, stride, pad, tiled=False, inside=False, exact=False"/>\
<%namespace name="c" file="common.mako"/>\
<%
    # operands: [(name, ctype)] read from buffers, in order, among x (the input),
    # z (the max pool's output) and g (gz, or ggx for max_gradgrad)
    ops = [o for o, _ in operands]
    ct = dict(operands)
    A = out_ctype
    WH, WW = ws
    SH, SW = stride
    PH, PW = pad
    lead = "".join(" + i%d * %%ss%d" % (d, d) for d in range(n_lead))
    def base(o):
        return "%s_off%s" % (o, lead.replace("%s", o))
    def at(o, r, col):
        return "%s[%sb + (%s) * %ssh + (%s) * %ssw]" % (o, o, r, o, col, o)
    # a cell "is the maximum" m: equal to it, or both NaN (a NaN wins its window).
    # Written with x != x, not isnan(), and as selects: PoCL then vectorises across
    # work-items (isnan() in a branch made a 2x2 max pool 5x slower)
    def is_max(v, m):
        return "(%s == %s || (%s != %s && %s != %s))" % (v, m, v, v, m, m)
    def beats(v, m):
        return "(%s > %s || (%s != %s && %s == %s))" % (v, m, v, v, m, m)
%>\
## Pooling over the last two axes (H, W) of a tensor with n_lead leading axes, every
## operand read through its strides (per leading axis: <op>s<d>; pooled axes: <op>sh,
## <op>sw), out contiguous. The window (${WH}x${WW}), its strides (${SH}, ${SW}) and pads
## (${PH}, ${PW}) belong to the op and are compiled in: the loops over a window then have
## constant trip counts, which lets PoCL vectorise across work-items (with them as
## arguments, a 2x2 max pool ran 5-8x slower). Sizes are arguments. Window k of an axis
## covers padded cells [k*s, k*s + w), cut at the padded border; the kernels test each
## window cell against the real cells [r0, r1) x [c0, c1).
## kernel 'pool' (a work-item per output cell):
##   max / sum / average_inc_pad / average_exc_pad of x over the real cells
##   max_gradgrad: g (ggx, shaped like x) at the window's first maximum of x
## kernel 'grad' (a work-item per input cell, gathering over the windows that cover it):
##   max: sum of g (gz) over the windows whose first maximum (z, read back) is this cell
##   sum / average_*: sum of g / the window's count
##   max, tiled (stride = window, no pad): a work-item per window instead, which finds
##   the first maximum once and writes every cell of the window (gz there, 0 elsewhere);
##   the last row and column of windows also zero the cells no window covers; with
##   `exact`, a second kernel <name>_exact for images the windows cover exactly, without
##   those loops (of variable length: PoCL vectorised the kernel less well with them;
##   the CNN's 2x2 pool gradients about 15% faster)
<%def name="window_bounds()">\
            const long r_start = oi * ${SH} - ${PH}, c_start = oj * ${SW} - ${PW};
            const long r_end = min(r_start + ${WH}, H + ${PH}), c_end = min(c_start + ${WW}, W + ${PW});
            const long r0 = max(r_start, (long)0), r1 = min(r_end, H);
            const long c0 = max(c_start, (long)0), c1 = min(c_end, W);
</%def>\
<%def name="kernel_body(kname, exact)">\
__kernel void ${kname}(const long planes,
% for d in range(n_lead):
    const long dim${d},${"".join(" const long %ss%d," % (o, d) for o in ops)}
% endfor
    const long H, const long W, const long OH, const long OW,
% for o in ops:
    const long ${o}sh, const long ${o}sw,
% endfor
% for o in ops:
    __global const ${ct[o]} *restrict ${o}, const long ${o}_off,
% endfor
    __global ${out_ctype} *restrict out, const long out_off)
{
    /* a 3-D range (columns, rows, planes of the leading axes): no division for the
       position in the plane (64-bit divisions, which do not vectorise, dominated) */
% if kernel == "pool" or tiled:
    const long oj = get_global_id(0), oi = get_global_id(1), rest = get_global_id(2);
    if (oj >= OW || oi >= OH || rest >= planes) return;
    const long gid = (rest * OH + oi) * OW + oj;
% else:
    const long w = get_global_id(0), h = get_global_id(1), rest = get_global_id(2);
    if (w >= W || h >= H || rest >= planes) return;
    const long gid = (rest * H + h) * W + w;
% endif
${c.unravel("rest", n_lead, dim="dim", idx="i")}\
% for o in ops:
    const long ${o}b = ${base(o)};
% endfor
% if tiled:
    {
${window_bounds()}\
    ${A} m = (${A})${at("x", "r0", "c0")};  /* the first real cell */
    long br = r0, bc = c0;
    for (int a = 0; a < ${WH}; ++a)
        for (int b = 0; b < ${WW}; ++b) {
            const long r = r_start + a, col = c_start + b;
% if not inside:
            if (r >= r1 || col >= c1) continue;
% endif
            const ${A} v = (${A})${at("x", "r", "col")};
            const int win = ${beats("v", "m")};
            br = win ? r : br;
            bc = win ? col : bc;
            m = win ? v : m;
        }
    const ${A} gz = (${A})${at("g", "oi", "oj")};
    __global ${out_ctype} *o = out + out_off + rest * H * W;  /* this image's plane */
% if not exact:
    const long r_last = oi == OH - 1 ? H : r1, c_last = oj == OW - 1 ? W : c1;
% endif
% if inside:
    /* the window's cells (constant loops), then the cells after the last windows */
    for (int a = 0; a < ${WH}; ++a)
        for (int b = 0; b < ${WW}; ++b)
            o[(r_start + a) * W + c_start + b] = (r_start + a == br && c_start + b == bc) ? (${out_ctype})gz
                                                                                       : (${out_ctype})0;
% if not exact:
    for (long r = r_start; r < r_last; ++r)
        for (long col = (r < r1 ? c1 : c_start); col < c_last; ++col)
            o[r * W + col] = (${out_ctype})0;
% endif
% else:
    for (long r = r0; r < r_last; ++r)
        for (long col = c0; col < c_last; ++col)
            o[r * W + col] = (r == br && col == bc) ? (${out_ctype})gz : (${out_ctype})0;
% endif
    }
% elif kernel == "pool":
    {
${window_bounds()}\
% if mode in ("max", "max_gradgrad"):
% if inside:
    ${A} m = -INFINITY;  /* (every window lies inside the image: no pad, ignore_border) */
% else:
    ${A} m = (${A})${at("x", "r0", "c0")};  /* the first real cell */
% endif
% if mode == "max_gradgrad":
    long br = r0, bc = c0;
% endif
% if not inside:
    if (r_start >= 0 && r_start + ${WH} <= H && c_start >= 0 && c_start + ${WW} <= W) {
        /* the whole window is inside the image: no bounds to test (a branch PoCL does
           not vectorise well: where every window is inside, there is none) */
% endif
        for (int a = 0; a < ${WH}; ++a)
            for (int b = 0; b < ${WW}; ++b) {
                const ${A} v = (${A})${at("x", "r_start + a", "c_start + b")};
% if mode == "max_gradgrad":
                const int win = ${beats("v", "m")};
                br = win ? r_start + a : br;
                bc = win ? c_start + b : bc;
% endif
                m = ${beats("v", "m")} ? v : m;
            }
% if not inside:
    } else {
        for (int a = 0; a < ${WH}; ++a)
            for (int b = 0; b < ${WW}; ++b) {
                const long r = r_start + a, col = c_start + b;
                if (r < r0 || r >= r1 || col < c0 || col >= c1) continue;
                const ${A} v = (${A})${at("x", "r", "col")};
% if mode == "max_gradgrad":
                if (${beats("v", "m")}) { br = r; bc = col; }
% endif
                m = ${beats("v", "m")} ? v : m;
            }
    }
% endif
% if mode == "max":
    out[out_off + gid] = (${out_ctype})m;
% else:
    out[out_off + gid] = (${out_ctype})${at("g", "br", "bc")};
% endif
% else:
    ${A} s = 0;
% if not inside:
    if (r_start >= 0 && r_start + ${WH} <= H && c_start >= 0 && c_start + ${WW} <= W) {
% endif
        for (int a = 0; a < ${WH}; ++a)
            for (int b = 0; b < ${WW}; ++b)
                s += (${A})${at("x", "r_start + a", "c_start + b")};
% if not inside:
    } else {
        for (int a = 0; a < ${WH}; ++a)
            for (int b = 0; b < ${WW}; ++b) {
                const long r = r_start + a, col = c_start + b;
                if (r >= r0 && r < r1 && col >= c0 && col < c1)
                    s += (${A})${at("x", "r", "col")};
            }
    }
% endif
% if mode == "sum":
    out[out_off + gid] = s;
% elif mode == "average_inc_pad":
    out[out_off + gid] = s / (${A})((r_end - r_start) * (c_end - c_start));
% else:
    out[out_off + gid] = s / (${A})((r1 - r0) * (c1 - c0));
% endif
% endif
    }
% else:
    /* the windows that cover (h, w): k * s <= h + pad < k * s + w, at most
       ${-(-WH // SH)} x ${-(-WW // SW)} of them */
    const long hp = h + ${PH}, wp = w + ${PW};
    const long oi0 = hp < ${WH} ? 0 : (hp - ${WH}) / ${SH} + 1, oi1 = min(hp / ${SH} + 1, OH);
    const long oj0 = wp < ${WW} ? 0 : (wp - ${WW}) / ${SW} + 1, oj1 = min(wp / ${SW} + 1, OW);
    ${A} acc = 0;
% if mode == "max":
    const ${ct["x"]} v = ${at("x", "h", "w")};
% endif
    for (int ti = 0; ti < ${-(-WH // SH)}; ++ti)
        for (int tj = 0; tj < ${-(-WW // SW)}; ++tj) {
            const long oi = oi0 + ti, oj = oj0 + tj;
            if (oi >= oi1 || oj >= oj1) continue;
${window_bounds()}\
% if mode == "max":
            const ${ct["x"]} m = (${ct["x"]})${at("z", "oi", "oj")};
            /* this cell gets gz if it is the first maximum: no earlier real cell of the
               window (row-major) is one */
            int first = ${is_max("v", "m")};
% if not inside:
            if (r_start >= 0 && r_start + ${WH} <= H && c_start >= 0 && c_start + ${WW} <= W) {
% endif
                for (int a = 0; a < ${WH}; ++a)
                    for (int b = 0; b < ${WW}; ++b) {
                        const long r = r_start + a, col = c_start + b;
                        const ${ct["x"]} u = ${at("x", "r", "col")};
                        first = (${is_max("u", "m")} && (r < h || (r == h && col < w))) ? 0 : first;
                    }
% if not inside:
            } else {
                for (int a = 0; a < ${WH}; ++a)
                    for (int b = 0; b < ${WW}; ++b) {
                        const long r = r_start + a, col = c_start + b;
                        if (r < r0 || r >= r1 || col < c0 || col >= c1 || r > h || (r == h && col >= w)) continue;
                        const ${ct["x"]} u = ${at("x", "r", "col")};
                        first = ${is_max("u", "m")} ? 0 : first;
                    }
            }
% endif
            acc += first ? (${A})${at("g", "oi", "oj")} : (${A})0;
% elif mode == "sum":
            acc += (${A})${at("g", "oi", "oj")};
% elif mode == "average_inc_pad":
            acc += (${A})${at("g", "oi", "oj")} / (${A})((r_end - r_start) * (c_end - c_start));
% else:
            acc += (${A})${at("g", "oi", "oj")} / (${A})((r1 - r0) * (c1 - c0));
% endif
        }
    out[out_off + gid] = acc;
% endif
}
</%def>\
${kernel_body(name, False)}
% if exact:
${kernel_body(name + "_exact", True)}
% endif
