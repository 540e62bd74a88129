<%page args="name, mode, n_lead, acc_ctype, x_ctype, y_ctype, out_ctype, z_ctype=None"/>\
<%namespace name="c" file="common.mako"/>\
<%
    reads_x = x_ctype is not None
    reads_y = y_ctype is not None
    reads_z = z_ctype is not None
    # the modes that need max and sum of exp over the row
    lse = mode in ("softmax", "log_softmax", "xent_logits")
    A = acc_ctype
%>\
## One work-item per row of the last axis (rows: the leading axes dim0.., unravelled).
## x is read through its strides (xs* per leading axis, xsl along the row); y (class
## indices, strides ys*) too; out is contiguous. Modes:
##   softmax      out = exp(x - max) / sum(exp(x - max))   (exp stored, then divided)
##   log_softmax  out = (x - max) - log(sum(exp(x - max)))
##   xent_logits  out[row] = log(sum(exp(x - max))) - (x[y] - max)
##   xent         out[row] = -log(x[y])
##   onehot       out = (j == y) per row
##   softmax_grad      out = (x - sum(x * z)) * z     (x: the output gradient, z: softmax)
##   log_softmax_grad  out = x - exp(z) * sum(x)      (z: log_softmax)
## An index outside [0, ncol) is never read: that row's result is NaN.
__kernel void ${name}(const long n_rows,
% for d in range(n_lead):
    const long dim${d},${" const long xs%d," % d if reads_x else ""}${" const long ys%d," % d if reads_y else ""}${" const long zs%d," % d if reads_z else ""}
% endfor
    const long ncol,
% if reads_x:
    const long xsl, __global const ${x_ctype} *restrict x, const long x_off,
% endif
% if reads_y:
    __global const ${y_ctype} *restrict y, const long y_off,
% endif
% if reads_z:
    const long zsl, __global const ${z_ctype} *restrict z, const long z_off,
% endif
    __global ${out_ctype} *restrict out, const long out_off)
{
    const long row = get_global_id(0);
    if (row >= n_rows) return;
${c.unravel("row", n_lead, dim="dim", idx="i")}\
% if reads_x:
    const long xb = x_off${"".join(" + i%d * xs%d" % (d, d) for d in range(n_lead))};
% endif
% if reads_z:
    const long zb = z_off${"".join(" + i%d * zs%d" % (d, d) for d in range(n_lead))};
% endif
% if reads_y:
    const long cls = (long)y[y_off${"".join(" + i%d * ys%d" % (d, d) for d in range(n_lead))}];
    const int valid = cls >= 0 && cls < ncol;
% endif
% if mode in ("softmax", "log_softmax", "onehot", "softmax_grad", "log_softmax_grad"):
    const long ob = out_off + row * ncol;
% endif
% if mode in ("xent", "xent_logits"):
    if (!valid) { out[out_off + row] = (${out_ctype})NAN; return; }
% endif
% if lse:
    ${A} m = -INFINITY;
    for (long j = 0; j < ncol; ++j) {
        const ${A} v = (${A})x[xb + j * xsl];
        m = (isnan(v) || v > m) ? v : m;   /* NaN propagates */
    }
    /* Kahan-compensated sum of exp(x - m): every term is in [0, 1] */
    ${A} s = 0, comp = 0;
    for (long j = 0; j < ncol; ++j) {
        const ${A} e = exp((${A})x[xb + j * xsl] - m);
% if mode == "softmax":
        out[ob + j] = (${out_ctype})e;
% endif
        const ${A} t1 = e - comp;
        const ${A} t2 = s + t1;
        comp = (t2 - s) - t1;
        s = t2;
    }
% endif
% if mode == "softmax":
    for (long j = 0; j < ncol; ++j)
        out[ob + j] = (${out_ctype})((${A})out[ob + j] / s);
% elif mode == "log_softmax":
    const ${A} ls = log(s);
    for (long j = 0; j < ncol; ++j)
        out[ob + j] = (${out_ctype})(((${A})x[xb + j * xsl] - m) - ls);
% elif mode == "xent_logits":
    out[out_off + row] = (${out_ctype})(log(s) - ((${A})x[xb + cls * xsl] - m));
% elif mode == "xent":
    out[out_off + row] = (${out_ctype})(-log((${A})x[xb + cls * xsl]));
% elif mode in ("softmax_grad", "log_softmax_grad"):
<%
    xj, zj = "(%s)x[xb + j * xsl]" % A, "(%s)z[zb + j * zsl]" % A
    term, result = ("%s * %s" % (xj, zj), "(%s - s) * %s" % (xj, zj)) if mode == "softmax_grad" \
        else (xj, "%s - exp(%s) * s" % (xj, zj))
%>\
    ${A} s = 0;
    ${c.no_autovec()}
    for (long j = 0; j < ncol; ++j)
        s += ${term};
    ${c.no_autovec()}
    for (long j = 0; j < ncol; ++j)
        out[ob + j] = (${out_ctype})(${result});
% elif mode == "onehot":
    for (long j = 0; j < ncol; ++j)
        out[ob + j] = valid ? (${out_ctype})(j == cls) : (${out_ctype})NAN;
% endif
}
