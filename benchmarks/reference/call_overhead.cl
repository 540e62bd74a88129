/* The floor for benchmarks/call_overhead.py: the same 10-op elementwise expression as
   one hand-written kernel, launched directly through pyopencl. */
__kernel void ten_ops(const long n, __global const float *x, __global float *out)
{
    const long i = get_global_id(0);
    if (i >= n) return;
    const float v = x[i];
    const float a = v * 2.0f + 1.0f;
    const float b = a * v - 3.0f;
    const float c = tanh(b) * 0.5f;
    const float d = c + v * v;
    out[i] = exp(-d) / (1.0f + fabs(d));
}
