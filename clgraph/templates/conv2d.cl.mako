<%page args="name, mode, ctype, flip"/>\
## The data movements that make conv2d a GEMM (ops/conv.py). Sizes are arguments:
##   C, KH, KW   channels and filter size;  N, OH, OW  batch and output size
##   H, W        image size;  sh, sw strides, dh, dw dilation, ph, pw padding
## src is read through its four strides (s0..s3); dst is contiguous.
##   im2col  src = x (N, C, H, W), dst = cols (N, C*KH*KW, OH, OW): one work-item per
##           plane (n, c, a, b), each output row split into the left padding, the image
##           and the right padding, so the copy loop has no branch
##   col2im  src = cols, dst = x-shaped sums: one work-item per image row, adding the
##           column rows that were read from it, tap by tap (the loop of im2col run
##           backwards; each row has one writer: deterministic, no atomics)
## With flip (a true convolution), filter tap a reads the image at KH-1-a.
<%
    T = ctype
%>\
<%def name="taps()">\
% if flip:
    const long fa = KH - 1 - a, fb = KW - 1 - b;
% else:
    const long fa = a, fb = b;
% endif
</%def>\
__kernel void ${name}(const long C, const long KH, const long KW, const long N, const long OH, const long OW,
    const long H, const long W, const long sh, const long sw, const long dh, const long dw,
    const long ph, const long pw, const long s0, const long s1, const long s2, const long s3,
    __global const ${T} *restrict src, const long src_off, __global ${T} *restrict dst, const long dst_off)
{
% if mode == "im2col":
    const long plane = get_global_id(0);  /* (n, c, a, b): one column row per output row i */
    if (plane >= C * KH * KW * N) return;
    long r = plane;
    const long b = r % KW; r /= KW;
    const long a = r % KH; r /= KH;
    const long c = r % C;
    const long n = r / C;
${taps()}\
    const long x0 = fb * dw - pw;  /* image column of output column 0 */
    const long lo0 = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
    const long hi0 = min(OW, W - 1 - x0 >= 0 ? (W - 1 - x0) / sw + 1 : 0);
    const long step = sw * s3;
    __global const ${T} *in = src + src_off + n * s0 + c * s1 + x0 * s3;
    for (long i = 0; i < OH; ++i) {
        __global ${T} *out = dst + dst_off + (plane * OH + i) * OW;
        const long y = i * sh + fa * dh - ph;
        const long hi = (y < 0 || y >= H) ? 0 : hi0, lo = min(lo0, hi);
        __global const ${T} *row = in + y * s2;
        for (long j = 0; j < lo; ++j) out[j] = (${T})0;
        for (long j = lo; j < hi; ++j) out[j] = row[j * step];
        for (long j = max(lo, hi); j < OW; ++j) out[j] = (${T})0;
    }
% else:
    const long line = get_global_id(0);  /* one image row (n, c, y): the adjoint of im2col's loop */
    if (line >= N * C * H) return;
    long r = line;
    const long y = r % H; r /= H;
    const long c = r % C;
    const long n = r / C;
    __global ${T} *out = dst + dst_off + line * W;
    for (long x = 0; x < W; ++x) out[x] = (${T})0;
    for (long a = 0; a < KH; ++a) {
        for (long b = 0; b < KW; ++b) {
${taps()}\
            const long yy = y + ph - fa * dh;
            if (yy < 0 || yy % sh || yy / sh >= OH) continue;
            const long x0 = fb * dw - pw;
            const long lo = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
            const long hi = min(OW, W - 1 - x0 >= 0 ? (W - 1 - x0) / sw + 1 : 0);
            __global const ${T} *col = src + src_off + n * s0 + ((c * KH + a) * KW + b) * s1 + (yy / sh) * s2;
            __global ${T} *dst_row = out + x0;
            for (long j = lo; j < hi; ++j) dst_row[j * sw] += col[j * s3];
        }
    }
% endif
}
