/* Hand-written reference for benchmarks/gemm.py: the straightforward SGEMM, one output
   element per work-item, C = A B with row-major A (M x K), B (K x N), C (M x N). */
__kernel void ref_gemm_naive(__global const float *A, __global const float *B, __global float *C,
                             const long M, const long N, const long K)
{
    const long j = get_global_id(0), i = get_global_id(1);
    if (i >= M || j >= N) return;
    float acc = 0.0f;
    for (long k = 0; k < K; ++k)
        acc = A[i * K + k] * B[k * N + j] + acc;
    C[i * N + j] = acc;
}
