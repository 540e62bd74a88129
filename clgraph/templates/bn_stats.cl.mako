<%page args="name, n_keep, n_red, ctype, vec, cols, running, eps, factor"/>\
<%
    A = ctype
    V = vec
    AV = "%s%d" % (A, V)
    last = n_red - 1
%>\
## Batch statistics (ops/bn.py BatchStats) of x over n_red reduced axes (rdim0..,
## strides xr*) for each kept element o (kept axes kdim0.. unravelled from o, strides
## xk*). Results, contiguous in kept order:
##   mean, var (biased), invstd = 1 / sqrt(var + eps)
## and, when `running`, new_rm = rm * (1 - f) + mean * f and
## new_rv = rv * (1 - f) + var * count / (count - 1) * f (rm, rv read through their
## strides rmk*, rvk* along the kept axes). eps and f: literals, or read from a buffer.
##
## Sums of d = x - x[first element of o's reduction] (shifted: var does not cancel for
## data far from 0) and of d * d. The reduction may be split in n_chunks chunks of the
## first reduced axis (work-item = chunk * items + item): with one chunk a kernel
## writes the results; else it writes partial sums (ps, pq) and ${name}_final adds them
## (every chunk uses the same shift, so partial sums simply add). The innermost loop
## runs in blocks of 256 steps, several independent accumulators per block (vectors of
## ${V} where the elements are contiguous), the blocks' sums Kahan-compensated: about
## numpy's pairwise error, at loop speed.
##   ${name}       a work-item per kept element; the innermost reduced loop is
##                 vectorised where its stride is 1 (a spatial batch norm's rows)
##   ${name}_cols  (x's last axis kept, stride 1, at least ${V} long) a work-item per
##                 ${V} neighbours along it, one vector load per reduced element (a
##                 per-activation batch norm's rows); the last group of a row starts
##                 at klast - ${V}, so it overlaps its neighbour and writes the same
##                 values twice
## count == 0: mean and var are NaN (no element is read).
<%def name="kept_args()">\
% for d in range(n_keep):
    const long kdim${d}, const long xk${d},${" const long rmk%d, const long rvk%d," % (d, d) if running else ""}
% endfor
</%def>\
<%def name="red_args()">\
% for r in range(n_red):
    const long rdim${r}, const long xr${r},
% endfor
</%def>\
<%def name="buffer_args(partials_const)">\
<% A = ctype %>\
    __global const ${A} *restrict x, const long x_off,
% if eps is None:
    __global const ${A} *restrict eps_buf, const long eps_off,
% endif
% if running:
% if factor is None:
    __global const ${A} *restrict factor_buf, const long factor_off,
% endif
    __global const ${A} *restrict rm, const long rm_off,
    __global const ${A} *restrict rv, const long rv_off,
% endif
    __global ${"const " if partials_const else ""}${A} *restrict ps, const long ps_off,
    __global ${"const " if partials_const else ""}${A} *restrict pq, const long pq_off,
    __global ${A} *restrict mean, const long mean_off,
    __global ${A} *restrict var, const long var_off,
% if running:
    __global ${A} *restrict invstd, const long invstd_off,
    __global ${A} *restrict new_rm, const long new_rm_off,
    __global ${A} *restrict new_rv, const long new_rv_off\
% else:
    __global ${A} *restrict invstd, const long invstd_off\
% endif
</%def>\
## i0.. of kept element `flat` over kdim0.. (the last one's length given as `last_dim`)
<%def name="unravel(flat, last_dim)">\
% if n_keep > 1:
    long rem = ${flat};
% for d in reversed(range(1, n_keep)):
<% dim = last_dim if d == n_keep - 1 else "kdim%d" % d %>\
    const long i${d} = rem % ${dim}; rem /= ${dim};
% endfor
    const long i0 = rem;
% elif n_keep == 1:
    const long i0 = ${flat};
% endif
</%def>\
<%def name="base()">x_off${"".join(" + i%d * xk%d" % (d, d) for d in range(n_keep))}</%def>\
<%def name="kahan(total, comp, value, T)">\
{ const ${T} t_ = (${value}) - ${comp}, s_ = ${total} + t_; ${comp} = (s_ - ${total}) - t_; ${total} = s_; }\
</%def>\
## the nested loops over the reduced axes but the last; `body` runs the last one from
## p_row (the offset of its first element) over [start, stop)
<%def name="loops()">\
<% A, last = ctype, n_red - 1 %>\
    const long lo = chunk * chunk_len, hi = min(lo + chunk_len, rdim0);
% for r in range(last):
    ${"    " * r}for (long j${r} = ${"lo" if r == 0 else "0"}; j${r} < ${"hi" if r == 0 else "rdim%d" % r}; ++j${r}) {
    ${"    " * r}    const long p${r} = ${"base" if r == 0 else "p%d" % (r - 1)} + j${r} * xr${r};
% endfor
<%
    row = "base" if last == 0 else "p%d" % (last - 1)
    start, stop = ("lo", "hi") if last == 0 else ("0", "rdim%d" % last)
%>\
${caller.body(row=row, start=start, stop=stop, pad="    " * last)}\
% for r in reversed(range(last)):
    ${"    " * r}}
% endfor
</%def>\
## mean, var, invstd (and the running averages) of kept element `o` from the sums s, q
<%def name="finish(o, s, q, shift, lane='')">\
<% A = ctype %>\
    {
        const ${A} n = (${A})count;
        const ${A} dm = ${s} / n;
        ${A} v = ${q} / n - dm * dm;
        v = v < (${A})0 ? (${A})0 : v;  /* rounding; NaN stays NaN */
        const ${A} mu = ${shift} + dm;
        const ${A} e = ${eps if eps is not None else "eps_buf[eps_off]"};
        mean[mean_off + ${o}] = mu;
        var[var_off + ${o}] = v;
        invstd[invstd_off + ${o}] = (${A})1 / sqrt(v + e);
% if running:
        const ${A} f = ${factor if factor is not None else "factor_buf[factor_off]"};
<%
    def at(r):  # rm or rv at this kept element (a lane: that many along the last kept axis)
        idx = "".join(" + i%d * %sk%d" % (d, r, d) for d in range(n_keep))
        return "%s[%s_off%s%s]" % (r, r, idx, " + %s * %sk%d" % (lane, r, n_keep - 1) if lane else "")
%>\
        const ${A} r_m = ${at("rm")};
        const ${A} r_v = ${at("rv")};
        new_rm[new_rm_off + ${o}] = r_m * ((${A})1 - f) + mu * f;
        new_rv[new_rv_off + ${o}] = r_v * ((${A})1 - f) + v * (n / (n - (${A})1)) * f;
% endif
    }
</%def>\
__kernel void ${name}(const long n_out, const long n_chunks, const long chunk_len,
${kept_args()}\
${red_args()}\
    const long count,
${buffer_args(False)})
{
    const long gid = get_global_id(0);
    if (gid >= n_out * n_chunks) return;
    const long o = gid % n_out, chunk = gid / n_out;
${unravel("o", "kdim%d" % (n_keep - 1))}\
    const long base = ${base()};
    const ${A} shift = count > 0 ? x[base] : (${A})0;
    ${A} s = 0, sc = 0, q = 0, qc = 0;
<%self:loops args="row, start, stop, pad">\
    ${pad}for (long jb = ${start}; jb < ${stop}; jb += 256) {
    ${pad}    const long je = min(jb + 256, ${stop});
    ${pad}    ${AV} av = 0, bv = 0;
    ${pad}    ${A} a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    ${pad}    long j = jb;
    ${pad}    if (xr${last} == 1) {
    ${pad}        for (; j + ${V} <= je; j += ${V}) {
    ${pad}            const ${AV} d = vload${V}(0, x + ${row} + j) - shift;
    ${pad}            av += d;
    ${pad}            bv += d * d;
    ${pad}        }
    ${pad}    }
    ${pad}    for (; j + 2 <= je; j += 2) {
    ${pad}        const long p = ${row} + j * xr${last};
    ${pad}        const ${A} d0 = x[p] - shift, d1 = x[p + xr${last}] - shift;
    ${pad}        a0 += d0; a1 += d1;
    ${pad}        b0 += d0 * d0; b1 += d1 * d1;
    ${pad}    }
    ${pad}    if (j < je) {
    ${pad}        const ${A} d0 = x[${row} + j * xr${last}] - shift;
    ${pad}        a0 += d0; b0 += d0 * d0;
    ${pad}    }
<%
    hsum = lambda v: " + ".join("%s.s%x" % (v, k) for k in range(V))
%>\
    ${pad}    ${kahan("s", "sc", "(a0 + a1) + (%s)" % hsum("av"), A)}
    ${pad}    ${kahan("q", "qc", "(b0 + b1) + (%s)" % hsum("bv"), A)}
    ${pad}}
</%self:loops>\
    if (n_chunks == 1) {
${finish("o", "s", "q", "shift")}\
    } else {
        ps[ps_off + gid] = s;
        pq[pq_off + gid] = q;
    }
}

% if cols:
## items = n_out / klast * groups, groups = ceil(klast / ${V}); x[..., k] has stride 1
__kernel void ${name}_cols(const long n_out, const long n_chunks, const long chunk_len, const long groups,
${kept_args()}\
${red_args()}\
    const long count,
${buffer_args(False)})
{
    const long klast = kdim${n_keep - 1};
    const long items = n_out / klast * groups;
    const long gid = get_global_id(0);
    if (gid >= items * n_chunks) return;
    const long item = gid % items, chunk = gid / items;
    const long g = item % groups;
    const long first = min(g * ${V}, klast - ${V});  /* (the last group overlaps) */
    const long o = item / groups * klast + first;
${unravel("o", "klast")}\
    const long base = ${base()};
    const ${AV} shift = count > 0 ? vload${V}(0, x + base) : (${AV})0;
    ${AV} s = 0, sc = 0, q = 0, qc = 0;
<%self:loops args="row, start, stop, pad">\
    ${pad}for (long jb = ${start}; jb < ${stop}; jb += 256) {
    ${pad}    const long je = min(jb + 256, ${stop});
    ${pad}    ${AV} a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    ${pad}    long j = jb;
    ${pad}    for (; j + 2 <= je; j += 2) {
    ${pad}        const long p = ${row} + j * xr${last};
    ${pad}        const ${AV} d0 = vload${V}(0, x + p) - shift, d1 = vload${V}(0, x + p + xr${last}) - shift;
    ${pad}        a0 += d0; a1 += d1;
    ${pad}        b0 += d0 * d0; b1 += d1 * d1;
    ${pad}    }
    ${pad}    if (j < je) {
    ${pad}        const ${AV} d0 = vload${V}(0, x + ${row} + j * xr${last}) - shift;
    ${pad}        a0 += d0; b0 += d0 * d0;
    ${pad}    }
    ${pad}    ${kahan("s", "sc", "a0 + a1", AV)}
    ${pad}    ${kahan("q", "qc", "b0 + b1", AV)}
    ${pad}}
</%self:loops>\
    if (n_chunks == 1) {
% for k in range(V):
${finish("o + %d" % k, "s.s%x" % k, "q.s%x" % k, "shift.s%x" % k, lane=str(k))}\
% endfor
    } else {
        vstore${V}(s, 0, ps + ps_off + chunk * n_out + o);
        vstore${V}(q, 0, pq + pq_off + chunk * n_out + o);
    }
}
% endif

## adds the n_chunks partial sums of each kept element, then as ${name} with one chunk
__kernel void ${name}_final(const long n_out, const long n_chunks,
${kept_args()}\
    const long count,
${buffer_args(True)})
{
    const long o = get_global_id(0);
    if (o >= n_out) return;
${unravel("o", "kdim%d" % (n_keep - 1))}\
    const ${A} shift = count > 0 ? x[${base()}] : (${A})0;
    ${A} s = 0, sc = 0, q = 0, qc = 0;
    for (long c = 0; c < n_chunks; ++c) {
        ${kahan("s", "sc", "ps[ps_off + c * n_out + o]", A)}
        ${kahan("q", "qc", "pq[pq_off + c * n_out + o]", A)}
    }
${finish("o", "s", "q", "shift")}\
}
