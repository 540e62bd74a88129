<%page args="variants, ctype, vw, nkeep, nsum, epi=None"/>\
<%namespace name="c" file="common.mako"/>\
## Batched GEMM: C[keep..., m, n] = sum over (sum..., k) of A[keep..., sum..., m, k] * B[keep..., sum..., k, n].
## Every variant of one node has the same parameters (sizes, strides and offsets in
## elements), so the driver picks one at launch without changing the argument list.
## A variant is specialised on which axis of A ('m' or 'k') and of B ('k' or 'n') has
## unit stride (None: any strides): the CPU kernel then does not read those strides and
## copies with vector loads; the GPU kernel maps consecutive work-items along them.
##   cpu: one work-item computes rows_per_item blocks of mr x (nv*vw) outputs, reading B
##        in panels of kc rows copied to private memory (cache blocking without
##        barriers); accumulators are vw-wide vectors, written `a*b + c` (no fma()).
##   gpu: 16x16 work-groups, 64x64 output tiles from 16-deep local-memory tiles.
## `epi`: a fused elementwise group (bias, activation) applied to each product value as
## it is finally stored; its other operands are read at (m, n) through their strides
## (and at the work-item's kept batch index: a convolution's per-image products).
<%
T, VT = ctype, "%s%d" % (ctype, vw)
%>\
<%def name="params()">\
    const long M, const long N, const long K, const long rows_per_item,
% for d in range(nkeep):
    const long kdim${d}, const long a_kst${d}, const long b_kst${d}, const long c_kst${d},
% endfor
% for d in range(nsum):
    const long sdim${d}, const long a_sst${d}, const long b_sst${d},
% endfor
    __global const ${T} *restrict A, const long a_off, const long a_sm, const long a_sk,
    __global const ${T} *restrict B, const long b_off, const long b_sk, const long b_sn,
    __global ${T} *restrict C, const long c_off, const long c_sm, const long c_sn\
% for o in (epi["inputs"] if epi else []):
,
    __global const ${o.ctype} *restrict ${o.name}, ${epi_offset(o)}, const long ${o.name}_sm, const long ${o.name}_sn${"".join(", const long %s_kst%d" % (o.name, d) for d in range(nkeep))}\
% endfor
% for o in (epi["more"] if epi else []):
,
    __global ${o.ctype} *restrict ${o.name}, ${epi_offset(o)}, const long ${o.name}_sm, const long ${o.name}_sn${"".join(", const long %s_kst%d" % (o.name, d) for d in range(nkeep))}\
% endfor
</%def>
## an epilogue operand's offset: moved to the work-item's batch index when there are kept axes
<%def name="epi_offset(o)">${"long" if nkeep else "const long"} ${o.name}_off</%def>
## the epilogue for `vw` outputs (m, n..n+vw-1) at once, `ev` of them inside C: vector
## code once, PoCL's vector tanh/exp (a loop of scalar calls stays scalar, 4x slower at
## 256x64x64), and less for PoCL to compile than a loop it vectorises itself. Operands
## with unit stride along n are loaded as vectors, others (a per-row scale, a transposed
## operand, the last lanes of C) through the kernel's _load/_store helpers
<%def name="epilogue_vector(kname, m, n, value, cp, pad)">\
<% sp = " " * pad %>\
${sp}{
${sp}    const ${VT} ${epi["acc"]} = first ? ${value} : ${value} + ${kname}_load(${cp}, c_sn, ev);
% for o in epi["inputs"]:
${sp}    const ${VT} ${o.var} = ${kname}_load(${o.name} + ${o.name}_off + (${m}) * ${o.name}_sm + (${n}) * ${o.name}_sn, ${o.name}_sn, ev);
% endfor
% for k in epi["consts"]:
${sp}    const ${VT} ${k.var} = (${VT})(${k.literal});
% endfor
% for st in epi["stmts"]:
${sp}    ${st.code(vw, "0")}
% endfor
${sp}    ${kname}_store(${epi["result"]}, ${cp}, c_sn, ev);
% for o in epi["more"]:
${sp}    ${kname}_store(${o.var}, ${o.name} + ${o.name}_off + (${m}) * ${o.name}_sm + (${n}) * ${o.name}_sn, ${o.name}_sn, ev);
% endfor
${sp}}
</%def>
## `n` elements p[0], p[s], ... as one vector (zeros past n; s == 0: one value for all)
<%def name="vector_helpers(kname)">\
inline ${VT} ${kname}_load(const __global ${T} *p, const long s, const int n)
{
    if (n == ${vw} && s == 1)
        return vload${vw}(0, p);
    if (s == 0)
        return (${VT})(*p);
    ${T} t[${vw}];
    ${c.no_autovec()}
    for (int e = 0; e < ${vw}; ++e)
        t[e] = e < n ? p[e * s] : 0;
    return vload${vw}(0, t);
}
inline void ${kname}_store(const ${VT} v, __global ${T} *p, const long s, const int n)
{
    if (n == ${vw} && s == 1) {
        vstore${vw}(v, 0, p);
        return;
    }
    ${T} t[${vw}];
    vstore${vw}(v, 0, t);
    ${c.no_autovec()}
    for (int e = 0; e < n; ++e)
        p[e * s] = t[e];
}
</%def>
## dst = the epilogue of the product value `value` at output (m, n)
<%def name="epilogue(m, n, value, dst, pad)">\
<% sp = " " * pad %>\
${sp}{
${sp}    const ${T} ${epi["acc"]} = ${value};
% for o in epi["inputs"]:
${sp}    const ${o.ctype} ${o.var} = ${o.name}[${o.name}_off + (${m}) * ${o.name}_sm + (${n}) * ${o.name}_sn];
% endfor
% for k in epi["consts"]:
${sp}    const ${k.ctype} ${k.var} = ${k.literal};
% endfor
% for st in epi["stmts"]:
${sp}    ${st.code(1, "0")}
% endfor
${sp}    ${dst} = (${T})${epi["result"]};
% for o in epi["more"]:
${sp}    ${o.name}[${o.name}_off + (${m}) * ${o.name}_sm + (${n}) * ${o.name}_sn] = ${o.var};
% endfor
${sp}}
</%def>
## A, B, C moved to this work-item's kept batch index (global id 2)
<%def name="keep_offsets()">\
    A += a_off; B += b_off; C += c_off;
% if nkeep:
    {
${c.unravel("get_global_id(2)", nkeep, dim="kdim", idx="q")}\
        A += ${" + ".join("q%d * a_kst%d" % (d, d) for d in range(nkeep))};
        B += ${" + ".join("q%d * b_kst%d" % (d, d) for d in range(nkeep))};
        C += ${" + ".join("q%d * c_kst%d" % (d, d) for d in range(nkeep))};
% for o in (epi["inputs"] + epi["more"] if epi else []):
        ${o.name}_off += ${" + ".join("q%d * %s_kst%d" % (d, o.name, d) for d in range(nkeep))};
% endfor
    }
% endif
</%def>
## opens the loop over the summed batch axes: As, Bs point at the current pair of matrices
<%def name="sum_loop_begin()">\
    const long s_total = 1${"".join(" * sdim%d" % d for d in range(nsum))};
    for (long s = 0; s < s_total; ++s) {
% if nsum:
${c.unravel("s", nsum, dim="sdim", idx="u")}\
        const __global ${T} *As = A + ${" + ".join("u%d * a_sst%d" % (d, d) for d in range(nsum))};
        const __global ${T} *Bs = B + ${" + ".join("u%d * b_sst%d" % (d, d) for d in range(nsum))};
% else:
        const __global ${T} *As = A;
        const __global ${T} *Bs = B;
% endif
</%def>
% for var in variants:
% if var["kind"] == "cpu":
${cpu_kernel(var["name"], var["a_unit"], var["b_unit"], var["mr"], var["nv"], var["kc"], var["ch"], var["panels"])}
% else:
${gpu_kernel(var["name"], var["a_unit"], var["b_unit"])}
% endif
% endfor
<%def name="cpu_kernel(name, a_unit, b_unit, mr, nv, kc, ch, panels)">\
<%
    nr = nv * vw
    sk = "" if a_unit == "k" else " * a_sk"
%>\
% if epi and epi["vector"]:
${vector_helpers(name)}\
% endif
__kernel void ${name}(
${params()})
{
    const long j0 = get_global_id(0) * ${nr * panels};
    const long i0 = get_global_id(1) * ${mr} * rows_per_item;
    if (j0 >= N || i0 >= M) return;
${keep_offsets()}\
    const long i_end = min(M, i0 + ${mr} * rows_per_item);
    /* private copies, vector-typed (PoCL loads those fastest): ${panels} panel(s)
       B[k0:k0+kc, jp:jp+${nr}] row-major${", and A[ic:ic+%d, k0:k0+kc] k-major" % ch if a_unit == "m" else ""} */
    ${VT} bp[${panels * kc * nv}];
% if a_unit == "m":
    ${VT} ap[${kc * ch // vw}];
% endif
${sum_loop_begin()}\
        long k0 = 0;
        do {  /* once even when K == 0, so that C is written */
            const int kc = (int)min((long)${kc}, K - k0);
            const int first = s == 0 && k0 == 0;
% if epi:
            const int last = s == s_total - 1 && k0 + kc >= K;
% endif
            for (int p = 0; p < ${panels}; ++p) {
                const long jp = j0 + p * ${nr};
                ${VT} *bpp = bp + p * ${kc * nv};
                if (jp >= N) break;
% if b_unit == "n":
                if (jp + ${nr} <= N) {
                    const __global ${T} *brow = Bs + k0 * b_sk + jp;
                    for (int k = 0; k < kc; ++k, brow += b_sk) {
% for v in range(nv):
                        bpp[k * ${nv} + ${v}] = vload${vw}(${v}, brow);
% endfor
                    }
                    continue;
                }
% endif
% if b_unit == "k":
                int kdone = 0;
                if (jp + ${nr} <= N) {
                    /* B's columns are contiguous along k: ${vw} k at a time, a vector load per
                       column, transposed in registers (constant lane indices: shuffles) */
                    for (; kdone + ${vw} <= kc; kdone += ${vw}) {
                        const __global ${T} *bcol = Bs + k0 + kdone + jp * b_sn;
% for e in range(nr):
                        const ${VT} q${e} = vload${vw}(0, bcol + ${e} * b_sn);
% endfor
% for kk in range(vw):
% for v in range(nv):
                        bpp[(kdone + ${kk}) * ${nv} + ${v}] = (${VT})(${", ".join("q%d.s%x" % (v * vw + l, kk) for l in range(vw))});
% endfor
% endfor
                    }
                }
% else:
                const int kdone = 0;
% endif
                const long jl = min(jp + ${nr}, N) - jp;
                for (int k = kdone; k < kc; ++k) {
                    const __global ${T} *brow = Bs + (k0 + k)${"" if b_unit == "k" else " * b_sk"} + jp * b_sn;
                    ${T} t[${nr}];
                    for (int e = 0; e < ${nr}; ++e)
                        t[e] = e < jl ? brow[e * b_sn] : 0;
% for v in range(nv):
                    bpp[k * ${nv} + ${v}] = vload${vw}(${v}, t);
% endfor
                }
            }
% if a_unit == "m":
            /* A's columns are contiguous: copy ${ch} rows at a time with vector loads, so
               that large power-of-two strides between columns do not thrash the cache,
               and use them for ${panels} panels of B */
            for (long ic = i0; ic < i_end; ic += ${ch}) {
                const __global ${T} *acol = As + ic + k0 * a_sk;
                if (ic + ${ch} <= M) {
                    for (int k = 0; k < kc; ++k, acol += a_sk) {
% for v in range(ch // vw):
                        ap[k * ${ch // vw} + ${v}] = vload${vw}(${v}, acol);
% endfor
                    }
                } else {
                    for (int k = 0; k < kc; ++k, acol += a_sk) {
                        ${T} t[${ch}];
                        for (int r = 0; r < ${ch}; ++r)
                            t[r] = ic + r < M ? acol[r] : 0;
% for v in range(ch // vw):
                        ap[k * ${ch // vw} + ${v}] = vload${vw}(${v}, t);
% endfor
                    }
                }
                for (int p = 0; p < ${panels}; ++p) {
                    const long jp = j0 + p * ${nr};
                    if (jp >= N) break;
                    /* the ${ch // mr} row blocks of the copy, in a loop (not unrolled: the
                       compile time of the kernel grows with its code) */
                    for (int mb = 0; mb < ${ch // mr}; ++mb) {
                        if (ic + mb * ${mr} >= i_end) break;
                        const long i = ic + mb * ${mr};
${micro(mr, nv, ["aq[%d]" % r for r in range(mr)], "const %s *aq = (const %s *)ap + mb * %d;" % (T, T, mr), "aq += %d" % ch, kc)}\
${store_tile(name, mr, nv)}\
                    }
                }
            }
% else:
            for (long i = i0; i < i_end; i += ${mr}) {
% for r in range(mr):
                const __global ${T} *a${r} = As + min(i + ${r}, M - 1) * a_sm + k0${sk};
% endfor
                for (int p = 0; p < ${panels}; ++p) {
                    const long jp = j0 + p * ${nr};
                    if (jp >= N) break;
${micro(mr, nv, ["a%d[k%s]" % (r, sk) for r in range(mr)], "", "", kc)}\
${store_tile(name, mr, nv)}\
                }
            }
% endif
            k0 += ${kc};
        } while (k0 < K);
    }
}
</%def>
## the register-blocked product of an mr-row block of A (a_exprs[r]: row r at step k)
## with the packed B panel; `init`/`step` keep extra pointers along
<%def name="micro(mr, nv, a_exprs, init, step, kc)">\
% for r in range(mr):
                    ${VT} ${", ".join("c%d_%d = 0" % (r, v) for v in range(nv))};
% endfor
                    const ${VT} *bq = bp + p * ${kc * nv};
                    ${init}
                    for (int k = 0; k < kc; ++k, bq += ${nv}${", " + step if step else ""}) {
% for v in range(nv):
                        const ${VT} b${v} = bq[${v}];
% endfor
% for r in range(mr):
                        { const ${VT} a = (${VT})(${a_exprs[r]});
                          ${" ".join("c%d_%d = a * b%d + c%d_%d;" % (r, v, v, r, v) for v in range(nv))} }
% endfor
                    }
</%def>
## rows i..i+mr-1 of C (those below M): written on the first pass, added to after.
## Strided C (a transposed orientation, edges) is written column by column: the mr
## values of one column of the tile are adjacent in C^T.
<%def name="store_tile(name, mr, nv)">\
<% nr = nv * vw %>\
% if epi:
                    if (last) {  /* the final values: through the epilogue */
                        ${T} t[${mr}][${nr}];
% for r in range(mr):
% for v in range(nv):
                        vstore${vw}(c${r}_${v}, ${v}, t[${r}]);
% endfor
% endfor
                        const long rl = min((long)${mr}, M - i), el = min((long)${nr}, N - jp);
% if epi["vector"]:
                        ${c.no_autovec()}
                        for (int r = 0; r < rl; ++r)
                            ${c.no_autovec()}
                            for (int v = 0; v < ${nv}; ++v) {
                                const int ev = (int)min((long)${vw}, el - v * ${vw});  /* lanes inside C */
                                if (ev <= 0) break;
                                const long m = i + r, n = jp + v * ${vw};
                                __global ${T} *cp = C + m * c_sm + n * c_sn;
${epilogue_vector(name, "m", "n", "vload%d(v, t[r])" % vw, "cp", 32)}\
                            }
% else:
                        ${c.no_autovec()}
                        for (int r = 0; r < rl; ++r)
                            ${c.no_autovec()}
                            for (int e = 0; e < el; ++e) {
                                __global ${T} *cp = C + (i + r) * c_sm + (jp + e) * c_sn;
${epilogue("i + r", "jp + e", "first ? t[r][e] : t[r][e] + *cp", "*cp", 32)}\
                            }
% endif
                    } else
% endif
                    if (jp + ${nr} <= N && c_sn == 1) {
% for r in range(mr):
                        if (i + ${r} < M) {
                            __global ${T} *crow = C + (i + ${r}) * c_sm + jp;
% for v in range(nv):
                            vstore${vw}(first ? c${r}_${v} : c${r}_${v} + vload${vw}(${v}, crow), ${v}, crow);
% endfor
                        }
% endfor
                    } else {
                        ${T} t[${mr}][${nr}];
% for r in range(mr):
% for v in range(nv):
                        vstore${vw}(c${r}_${v}, ${v}, t[${r}]);
% endfor
% endfor
                        const long rl = min((long)${mr}, M - i), el = min((long)${nr}, N - jp);
                        ${c.no_autovec()}
                        for (int e = 0; e < el; ++e) {
                            __global ${T} *ccol = C + i * c_sm + (jp + e) * c_sn;
                            ${c.no_autovec()}
                            for (int r = 0; r < rl; ++r)
                                ccol[r * c_sm] = first ? t[r][e] : t[r][e] + ccol[r * c_sm];
                        }
                    }
</%def>
<%def name="gpu_kernel(name, a_unit, b_unit)">\
## 256 work-items; each loads 4 elements of the 64x16 A tile and of the 16x64 B tile
## (consecutive work-items along the unit-stride axis, so loads coalesce), then
## computes 4x4 outputs spaced 16 apart (conflict-free local reads).
__kernel __attribute__((reqd_work_group_size(16, 16, 1))) void ${name}(
${params()})
{
    __local ${T} At[16][64 + 1];
    __local ${T} Bt[16][64 + 1];
    const int tx = get_local_id(0), ty = get_local_id(1), lid = ty * 16 + tx;
    const long j0 = get_group_id(0) * 64, i0 = get_group_id(1) * 64;
${keep_offsets()}\
    ${T} acc[4][4];
    for (int r = 0; r < 4; ++r)
        for (int q = 0; q < 4; ++q)
            acc[r][q] = 0;
${sum_loop_begin()}\
        for (long k0 = 0; k0 < K; k0 += 16) {
            for (int l = 0; l < 4; ++l) {
                const int e = lid + 256 * l;
% if a_unit == "m":
                const int am = e % 64, ak = e / 64;
% else:
                const int ak = e % 16, am = e / 16;
% endif
                const long gm = i0 + am, gk = k0 + ak;
                At[ak][am] = (gm < M && gk < K) ? As[gm * a_sm + gk * a_sk] : 0;
% if b_unit == "k":
                const int bk = e % 16, bn = e / 16;
% else:
                const int bn = e % 64, bk = e / 64;
% endif
                const long gn = j0 + bn, gk2 = k0 + bk;
                Bt[bk][bn] = (gn < N && gk2 < K) ? Bs[gk2 * b_sk + gn * b_sn] : 0;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int k = 0; k < 16; ++k) {
                ${T} a[4], b[4];
                for (int r = 0; r < 4; ++r) a[r] = At[k][ty + 16 * r];
                for (int q = 0; q < 4; ++q) b[q] = Bt[k][tx + 16 * q];
                for (int r = 0; r < 4; ++r)
                    for (int q = 0; q < 4; ++q)
                        acc[r][q] = a[r] * b[q] + acc[r][q];
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
    for (int r = 0; r < 4; ++r) {
        const long m = i0 + ty + 16 * r;
        for (int q = 0; q < 4; ++q) {
            const long n = j0 + tx + 16 * q;
            if (m < M && n < N)
% if epi:
${epilogue("m", "n", "acc[r][q]", "C[m * c_sm + n * c_sn]", 16)}\
% else:
                C[m * c_sm + n * c_sn] = acc[r][q];
% endif
        }
    }
}
</%def>
