<%page args="name, draws"/>\
## Device-side random draws from Philox-4x32-10 (Salmon et al., SC'11; Random123).
## Counter-based: block b of a stream is philox(counter + b, key), so every work-item
## computes its block independently and every device gives the same words.
## State buffer (uint[6]): counter words 0..3, key words 4..5. Work-item 0 also writes
## the advanced state (counter + blocks used), so the stream moves on without the host.
## One launch makes every draw in `draws` (independent draws of one function, such as
## the dropout masks of a training step): the first work-items make draw 0, the next
## ones draw 1, and so on. Per draw: dist: 'bits' (raw uint words), 'uniform',
## 'normal', 'binomial'. per_block: elements one block yields (4, or 2 for double
## uniform/normal). trials: blocks per element group (binomial n; 1 otherwise). params:
## (name, literal or None, buffer ctype). Sizes are arguments; FP contraction is off so
## low + span * u rounds as numpy does. A work-item computes `lanes` blocks with vector
## instructions (PoCL does not vectorise the rounds across work-items by itself).
## Other templates can reuse the generator: <%namespace name="ph" file="philox.cl.mako"/>,
## then ${ph.philox_lanes("their_name", 8)} and ${ph.counter_add("their_ctr")}.
<%def name="counter_add(fname)">\
/* 128-bit counter + 64-bit block index (carry into the high words) */
inline uint4 ${fname}(uint4 c, ulong b)
{
    const ulong lo = ((ulong)c.y << 32) | (ulong)c.x;
    const ulong s = lo + b;
    const ulong hi = (((ulong)c.w << 32) | (ulong)c.z) + (ulong)(s < lo);
    return (uint4)((uint)s, (uint)(s >> 32), (uint)hi, (uint)(hi >> 32));
}
</%def>\
## hi, lo = the high and low words of the 64-bit products word * M, lane by lane: as
## 64-bit multiplies of at most 4 lanes (one AVX2 instruction each; PoCL's vector mul_hi
## is 1.4x slower, and 8-lane 64-bit vectors would need AVX-512, whose builds PoCL's
## cache mislays). With 8 lanes the even and odd lanes are multiplied where they lie in
## the register, read as 4 64-bit lanes, and the words put back with masks and shifts:
## no lanes moved across the register, 1.7x faster than widening each half
## (32768 dropout draws: 44 against 75 us)
<%def name="wide_products(word, M, hi, lo, L)">\
% if L == 8:
        const ulong4 ${hi}_e = (as_ulong4(${word}) & 0xFFFFFFFFUL) * (ulong4)${M}, ${hi}_o = (as_ulong4(${word}) >> 32) * (ulong4)${M};
        const uint8 ${hi} = as_uint8((${hi}_e >> 32) | (${hi}_o & 0xFFFFFFFF00000000UL));
        const uint8 ${lo} = as_uint8((${hi}_e & 0xFFFFFFFFUL) | (${hi}_o << 32));
% else:
        const ulong${L} ${hi}_p = convert_ulong${L}(${word}) * (ulong${L})${M};
        const uint${L} ${hi} = convert_uint${L}(${hi}_p >> 32), ${lo} = convert_uint${L}(${hi}_p);
% endif
</%def>
<%def name="philox_lanes(fname, L)">\
/* Philox-4x32-10 on ${L} counters at once: word k of every lane in one uint${L}
   vector, so the multiplies run as SIMD instructions (the same words as one by one) */
inline void ${fname}(uint${L} *x, uint${L} *y, uint${L} *z, uint${L} *w, uint2 k)
{
    for (int r = 0; r < 10; ++r) {
        if (r) { k.x += 0x9E3779B9u; k.y += 0xBB67AE85u; }
${wide_products("*x", "0xD2511F53u", "hi0", "lo0", L)}\
${wide_products("*z", "0xCD9E8D57u", "hi1", "lo1", L)}\
        *x = hi1 ^ *y ^ k.x; *y = lo1; *z = hi0 ^ *w ^ k.y; *w = lo0;
    }
}
/* counter c + a small per-lane offset (< 2^32) for ${L} lanes, carry in 32-bit words
   (no 64-bit vectors: wider than the CPU's vector registers, they change the ABI) */
inline void ${fname}_lanes(uint4 c, uint${L} off, uint${L} *x, uint${L} *y, uint${L} *z, uint${L} *w)
{
    *x = (uint${L})c.x + off;
    const uint${L} k0 = as_uint${L}(*x < off) & 1u;
    *y = (uint${L})c.y + k0;
    const uint${L} k1 = as_uint${L}(*y < k0) & 1u;
    *z = (uint${L})c.z + k1;
    *w = (uint${L})c.w + (as_uint${L}(*z < k1) & 1u);
}
</%def>\
<%def name="u24(word, L)">(convert_float${L}((${word}) >> 8) * 0x1.0p-24f)</%def>\
<%def name="u53(lo, hi, L)">(convert_double${L}(${hi}) * 0x1.0p-32 + convert_double${L}((${lo}) >> 11) * 0x1.0p-53)</%def>\
## the body of draw k: work-item g (counted from the draw's first) computes blocks
## g * L .. g * L + L - 1 (lane l: block g * L + l)
<%def name="draw(k, dist, out_ctype, real, per_block, trials, params, lanes)">\
<%
    PH, L = "%s_philox%d" % (name, lanes), lanes
    lane_ids = "(uint%d)(%s)" % (L, ", ".join(str(i) for i in range(L)))
%>\
        const uint4 c0 = (uint4)(st${k}[st${k}_off], st${k}[st${k}_off + st${k}_step], st${k}[st${k}_off + 2 * st${k}_step], st${k}[st${k}_off + 3 * st${k}_step]);
        const uint2 key = (uint2)(st${k}[st${k}_off + 4 * st${k}_step], st${k}[st${k}_off + 5 * st${k}_step]);
        if (g == 0) {
            const uint4 c1 = ${name}_ctr(c0, (ulong)nblocks${k} * ${trials}UL);
            st_out${k}[st_out${k}_off] = c1.x; st_out${k}[st_out${k}_off + 1] = c1.y;
            st_out${k}[st_out${k}_off + 2] = c1.z; st_out${k}[st_out${k}_off + 3] = c1.w;
            st_out${k}[st_out${k}_off + 4] = key.x; st_out${k}[st_out${k}_off + 5] = key.y;
        }
        const long b0 = g * ${L};
        if (b0 >= nblocks${k}) return;
% for pname, lit, pctype in params:
        const ${real} ${pname} = ${lit if lit is not None else "(%s)%s%d_buf[%s%d_off]" % (real, pname, k, pname, k)};
% endfor
        const uint${L} lane = ${lane_ids};
        uint${L} x, y, z, w;
% if dist == "binomial":
        uint${L} cnt0 = 0, cnt1 = 0, cnt2 = 0, cnt3 = 0;
        for (long t = 0; t < ${trials}; ++t) {
            ${PH}_lanes(${name}_ctr(c0, (ulong)b0 * ${trials}UL + (ulong)t), lane * ${trials}u, &x, &y, &z, &w);
            ${PH}(&x, &y, &z, &w, key);
            cnt0 += as_uint${L}(${u24("x", L)} < p) & 1u; cnt1 += as_uint${L}(${u24("y", L)} < p) & 1u;
            cnt2 += as_uint${L}(${u24("z", L)} < p) & 1u; cnt3 += as_uint${L}(${u24("w", L)} < p) & 1u;
        }
        const ${out_ctype}${L} v0 = convert_${out_ctype}${L}(cnt0), v1 = convert_${out_ctype}${L}(cnt1),
            v2 = convert_${out_ctype}${L}(cnt2), v3 = convert_${out_ctype}${L}(cnt3);
% else:
        ${PH}_lanes(${name}_ctr(c0, (ulong)b0), lane, &x, &y, &z, &w);
        ${PH}(&x, &y, &z, &w, key);
% endif
% if dist == "bits":
        const uint${L} v0 = x, v1 = y, v2 = z, v3 = w;
% elif dist == "uniform" and real == "float":
        const float span = high - low;
        const float${L} v0 = low + span * ${u24("x", L)}, v1 = low + span * ${u24("y", L)},
            v2 = low + span * ${u24("z", L)}, v3 = low + span * ${u24("w", L)};
% elif dist == "uniform":
        const double span = high - low;
        const double${L} v0 = low + span * ${u53("x", "y", L)}, v1 = low + span * ${u53("z", "w", L)};
% elif dist == "normal" and real == "float":
        ## Box-Muller; u1 in (0, 1] keeps log away from 0, the angle 2*pi*u2 goes to cospi/sinpi
        const float${L} r0 = sqrt(-2.0f * log(convert_float${L}((x >> 8) + 1u) * 0x1.0p-24f)), t0 = 2.0f * ${u24("y", L)};
        const float${L} r1 = sqrt(-2.0f * log(convert_float${L}((z >> 8) + 1u) * 0x1.0p-24f)), t1 = 2.0f * ${u24("w", L)};
        const float${L} v0 = avg + std * (r0 * cospi(t0)), v1 = avg + std * (r0 * sinpi(t0)),
            v2 = avg + std * (r1 * cospi(t1)), v3 = avg + std * (r1 * sinpi(t1));
% elif dist == "normal":
        const double${L} r0 = sqrt(-2.0 * log(${u53("x", "y", L)} + 0x1.0p-53)), t0 = 2.0 * ${u53("z", "w", L)};
        const double${L} v0 = avg + std * (r0 * cospi(t0)), v1 = avg + std * (r0 * sinpi(t0));
% endif
<% vt = real if dist in ("uniform", "normal") else (out_ctype if dist == "binomial" else "uint") %>\
        ${vt} lanes[${per_block}][${L}];
% for j in range(per_block):
        vstore${L}(v${j}, 0, lanes[${j}]);
% endfor
        for (int l = 0; l < ${L}; ++l)
            for (int j = 0; j < ${per_block}; ++j) {
                const long i = (b0 + l) * ${per_block} + j;
                if (i < n${k}) out${k}[out${k}_off + i] = (${out_ctype})lanes[j][l];
            }
</%def>\
% for L in sorted({d["lanes"] for d in draws}):
${philox_lanes("%s_philox%d" % (name, L), L)}
% endfor
${counter_add(name + "_ctr")}
__kernel void ${name}(
% for k, d in enumerate(draws):
    const long n${k}, const long nblocks${k},
    __global const uint *restrict st${k}, const long st${k}_off, const long st${k}_step,
% for pname, lit, pctype in d["params"]:
% if lit is None:
    __global const ${pctype} *restrict ${pname}${k}_buf, const long ${pname}${k}_off,
% endif
% endfor
    __global ${d["out_ctype"]} *restrict out${k}, const long out${k}_off,
    __global uint *restrict st_out${k}, const long st_out${k}_off${")" if k == len(draws) - 1 else ","}
% endfor
{
#pragma OPENCL FP_CONTRACT OFF
    long g = get_global_id(0);
% for k, d in enumerate(draws):
    {  /* draw ${k}: at least one work-item, which writes the new state even for no sample */
        const long items = max((nblocks${k} + ${d["lanes"] - 1}) / ${d["lanes"]}, 1L);
        if (g < items) {
${draw(k, **d)}\
            return;
        }
        g -= items;
    }
% endfor
}
