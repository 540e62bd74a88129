/* Hand-written reference for benchmarks/elemwise.py:
   y = tanh(a*x + b) * sigmoid(x) + x*x / (1 + |x|), float8 per work-item. */
__kernel void ref_float8(__global const float *x, __global float *y, const long n, const float a, const float b)
{
    const long gid = get_global_id(0);
    if ((gid + 1) * 8 <= n) {
        const float8 v = vload8(gid, x);
        const float8 r = tanh(a * v + b) * ((float8)1.0f / ((float8)1.0f + exp(-v))) + v * v / ((float8)1.0f + fabs(v));
        vstore8(r, gid, y);
    } else {
        for (long i = gid * 8; i < n; ++i) {
            const float v = x[i];
            y[i] = tanh(a * v + b) * (1.0f / (1.0f + exp(-v))) + v * v / (1.0f + fabs(v));
        }
    }
}
