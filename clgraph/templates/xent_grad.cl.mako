<%page args="name, n_lead, acc_ctype, g_ctype, x_ctype, y_ctype, out_ctype"/>\
<%namespace name="c" file="common.mako"/>\
<% A = acc_ctype %>\
## The gradient of the softmax cross-entropy of class indices with respect to the
## logits x, one work-item per row of the last axis (rows: the leading axes dim0..,
## unravelled; gz, x and y read through their strides gs*, xs*, ys*, xsl; out contiguous):
##   out[row, j] = gz[row] * (exp(x[row, j] - max) / sum(exp(x[row] - max)) - (j == y[row]))
## exp(x - max) is stored in out on the first pass and scaled on the second, so x is
## read twice and out written twice, with nothing in between. An index outside
## [0, ncol) is never read: that row is NaN, as in the loss.
__kernel void ${name}(const long n_rows,
% for d in range(n_lead):
    const long dim${d}, const long gs${d}, const long xs${d}, const long ys${d},
% endfor
    const long ncol,
    __global const ${g_ctype} *restrict gz, const long gz_off,
    const long xsl, __global const ${x_ctype} *restrict x, const long x_off,
    __global const ${y_ctype} *restrict y, const long y_off,
    __global ${out_ctype} *restrict out, const long out_off)
{
    const long row = get_global_id(0);
    if (row >= n_rows) return;
${c.unravel("row", n_lead, dim="dim", idx="i")}\
    const long xb = x_off${"".join(" + i%d * xs%d" % (d, d) for d in range(n_lead))};
    const long cls = (long)y[y_off${"".join(" + i%d * ys%d" % (d, d) for d in range(n_lead))}];
    const ${A} g = (${A})gz[gz_off${"".join(" + i%d * gs%d" % (d, d) for d in range(n_lead))}];
    const long ob = out_off + row * ncol;
    if (cls < 0 || cls >= ncol) {
        for (long j = 0; j < ncol; ++j)
            out[ob + j] = (${out_ctype})NAN;
        return;
    }
    ${A} m = -INFINITY;
    for (long j = 0; j < ncol; ++j) {
        const ${A} v = (${A})x[xb + j * xsl];
        m = (isnan(v) || v > m) ? v : m;   /* NaN propagates */
    }
    /* Kahan-compensated sum of exp(x - m): every term is in [0, 1] */
    ${A} s = 0, comp = 0;
    for (long j = 0; j < ncol; ++j) {
        const ${A} e = exp((${A})x[xb + j * xsl] - m);
        out[ob + j] = (${out_ctype})e;
        const ${A} t1 = e - comp;
        const ${A} t2 = s + t1;
        comp = (t2 - s) - t1;
        s = t2;
    }
    for (long j = 0; j < ncol; ++j)
        out[ob + j] = (${out_ctype})(g * ((${A})out[ob + j] / s - (${A})(j == cls)));
}
