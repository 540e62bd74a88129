<%page args="name, mode, ctype, flip"/>\
## The data movements that make conv2d a GEMM (ops/conv.py). Sizes are arguments:
##   C, KH, KW   channels and filter size;  N, OH, OW  batch and output size
##   H, W        image size;  sh, sw strides, dh, dw dilation, ph, pw padding
## src is read through its four strides (s0..s3); dst is contiguous.
##   im2col  src = x (N, C, H, W), dst = cols (C*KH*KW, N, OH, OW): one work-item per
##           column row (c, a, b, n, i), its OW entries split into the left padding,
##           the image and the right padding, so the copy loop has no branch
##   col2im  src = cols, dst = x-shaped sums: one work-item per pixel, adding the
##           column entries that read it (a gather: deterministic, no atomics)
## With flip (a true convolution), filter tap a reads the image at KH-1-a.
<%
    T = ctype
%>\
__kernel void ${name}(const long C, const long KH, const long KW, const long N, const long OH, const long OW,
    const long H, const long W, const long sh, const long sw, const long dh, const long dw,
    const long ph, const long pw, const long s0, const long s1, const long s2, const long s3,
    __global const ${T} *restrict src, const long src_off, __global ${T} *restrict dst, const long dst_off)
{
% if mode == "im2col":
    const long row = get_global_id(0);
    if (row >= C * KH * KW * N * OH) return;
    long r = row;
    const long i = r % OH; r /= OH;
    const long n = r % N; r /= N;
    const long b = r % KW; r /= KW;
    const long a = r % KH;
    const long c = r / KH;
% if flip:
    const long fa = KH - 1 - a, fb = KW - 1 - b;
% else:
    const long fa = a, fb = b;
% endif
    __global ${T} *out = dst + dst_off + row * OW;
    const long y = i * sh + fa * dh - ph;
    const long x0 = fb * dw - pw;  /* image column of output column 0 */
    long lo = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
    long hi = W - 1 - x0 >= 0 ? (W - 1 - x0) / sw + 1 : 0;
    if (y < 0 || y >= H) hi = 0;
    hi = min(hi, OW);
    lo = min(lo, hi);
    for (long j = 0; j < lo; ++j) out[j] = (${T})0;
    __global const ${T} *in = src + src_off + n * s0 + c * s1 + y * s2 + x0 * s3;
    const long step = sw * s3;
    for (long j = lo; j < hi; ++j) out[j] = in[j * step];
    for (long j = hi; j < OW; ++j) out[j] = (${T})0;
% else:
    const long e = get_global_id(0);
    if (e >= N * C * H * W) return;
    long r = e;
    const long x = r % W; r /= W;
    const long y = r % H; r /= H;
    const long c = r % C;
    const long n = r / C;
    ${T} acc = (${T})0;
    for (long a = 0; a < KH; ++a) {
% if flip:
        const long yy = y + ph - (KH - 1 - a) * dh;
% else:
        const long yy = y + ph - a * dh;
% endif
        if (yy < 0 || yy % sh) continue;
        const long i = yy / sh;
        if (i >= OH) continue;
        for (long b = 0; b < KW; ++b) {
% if flip:
            const long xx = x + pw - (KW - 1 - b) * dw;
% else:
            const long xx = x + pw - b * dw;
% endif
            if (xx < 0 || xx % sw) continue;
            const long j = xx / sw;
            if (j >= OW) continue;
            acc += src[src_off + ((c * KH + a) * KW + b) * s0 + n * s1 + i * s2 + j * s3];
        }
    }
    dst[dst_off + e] = acc;
% endif
}
