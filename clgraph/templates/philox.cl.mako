<%page args="name, dist, out_ctype, real, per_block, trials, params"/>\
## Device-side random draws from Philox-4x32-10 (Salmon et al., SC'11; Random123).
## Counter-based: block b of a stream is philox(counter + b, key), so every work-item
## computes its block independently and every device gives the same words.
## State buffer (uint[6]): counter words 0..3, key words 4..5. Work-item 0 also writes
## the advanced state (counter + blocks used), so the stream moves on without the host.
## dist: 'bits' (raw uint words), 'uniform', 'normal', 'binomial'. per_block: elements
## one block yields (4, or 2 for double uniform/normal). trials: blocks per element
## group (binomial n; 1 otherwise). params: (name, literal or None, buffer ctype).
## Sizes are arguments; FP contraction is off so low + span * u rounds as numpy does.
## Other templates reuse the generator: <%namespace name="ph" file="philox.cl.mako"/>,
## then ${ph.philox4x32_10("their_name")} and ${ph.counter_add("their_ctr")}.
<%def name="philox4x32_10(fname)">\
/* Philox-4x32-10: 10 rounds of multiply (mul_hi for the high half) and xor with the
   key, the key bumped by the Weyl constants between rounds. */
inline uint4 ${fname}(uint4 c, uint2 k)
{
    for (int r = 0; r < 10; ++r) {
        if (r) { k.x += 0x9E3779B9u; k.y += 0xBB67AE85u; }
        const uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
        const uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
        c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}
</%def>\
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
<%def name="u24(word)">((float)((${word}) >> 8) * 0x1.0p-24f)</%def>\
<%def name="u53(lo, hi)">((double)(((((ulong)(${hi})) << 32) | (ulong)(${lo})) >> 11) * 0x1.0p-53)</%def>\
<%
    PH, CTR = name + "_philox", name + "_ctr"
%>\
${philox4x32_10(PH)}
${counter_add(CTR)}
__kernel void ${name}(const long n, const long nblocks,
    __global const uint *restrict st, const long st_off, const long st_step,
% for pname, lit, pctype in params:
% if lit is None:
    __global const ${pctype} *restrict ${pname}_buf, const long ${pname}_off,
% endif
% endfor
    __global ${out_ctype} *restrict out0, const long out0_off,
    __global uint *restrict st_out, const long st_out_off)
{
#pragma OPENCL FP_CONTRACT OFF
    const long g = get_global_id(0);
    const uint4 c0 = (uint4)(st[st_off], st[st_off + st_step], st[st_off + 2 * st_step], st[st_off + 3 * st_step]);
    const uint2 key = (uint2)(st[st_off + 4 * st_step], st[st_off + 5 * st_step]);
    if (g == 0) {
        const uint4 c1 = ${CTR}(c0, (ulong)nblocks * ${trials}UL);
        st_out[st_out_off] = c1.x; st_out[st_out_off + 1] = c1.y;
        st_out[st_out_off + 2] = c1.z; st_out[st_out_off + 3] = c1.w;
        st_out[st_out_off + 4] = key.x; st_out[st_out_off + 5] = key.y;
    }
    if (g >= nblocks) return;
% for pname, lit, pctype in params:
    const ${real} ${pname} = ${lit if lit is not None else "(%s)%s_buf[%s_off]" % (real, pname, pname)};
% endfor
    ${out_ctype} v[${per_block}];
% if dist == "binomial":
    uint cnt0 = 0, cnt1 = 0, cnt2 = 0, cnt3 = 0;
    for (long t = 0; t < ${trials}; ++t) {
        const uint4 w = ${PH}(${CTR}(c0, (ulong)(g * ${trials} + t)), key);
        cnt0 += ${u24("w.x")} < p; cnt1 += ${u24("w.y")} < p;
        cnt2 += ${u24("w.z")} < p; cnt3 += ${u24("w.w")} < p;
    }
    v[0] = (${out_ctype})cnt0; v[1] = (${out_ctype})cnt1; v[2] = (${out_ctype})cnt2; v[3] = (${out_ctype})cnt3;
% else:
    const uint4 w = ${PH}(${CTR}(c0, (ulong)g), key);
% endif
% if dist == "bits":
    v[0] = w.x; v[1] = w.y; v[2] = w.z; v[3] = w.w;
% elif dist == "uniform" and real == "float":
    const float span = high - low;
    v[0] = low + span * ${u24("w.x")}; v[1] = low + span * ${u24("w.y")};
    v[2] = low + span * ${u24("w.z")}; v[3] = low + span * ${u24("w.w")};
% elif dist == "uniform":
    const double span = high - low;
    v[0] = low + span * ${u53("w.x", "w.y")}; v[1] = low + span * ${u53("w.z", "w.w")};
% elif dist == "normal" and real == "float":
    ## Box-Muller; u1 in (0, 1] keeps log away from 0, the angle 2*pi*u2 goes to cospi/sinpi
    const float r0 = sqrt(-2.0f * log((float)((w.x >> 8) + 1u) * 0x1.0p-24f)), t0 = 2.0f * ${u24("w.y")};
    const float r1 = sqrt(-2.0f * log((float)((w.z >> 8) + 1u) * 0x1.0p-24f)), t1 = 2.0f * ${u24("w.w")};
    v[0] = avg + std * (r0 * cospi(t0)); v[1] = avg + std * (r0 * sinpi(t0));
    v[2] = avg + std * (r1 * cospi(t1)); v[3] = avg + std * (r1 * sinpi(t1));
% elif dist == "normal":
    const double r0 = sqrt(-2.0 * log(${u53("w.x", "w.y")} + 0x1.0p-53)), t0 = 2.0 * ${u53("w.z", "w.w")};
    v[0] = avg + std * (r0 * cospi(t0)); v[1] = avg + std * (r0 * sinpi(t0));
% endif
    const long i0 = g * ${per_block};
    for (int j = 0; j < ${per_block}; ++j)
        if (i0 + j < n) out0[out0_off + i0 + j] = v[j];
}
