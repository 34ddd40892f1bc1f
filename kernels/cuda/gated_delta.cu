// The gated delta rule on the GPU, sequential over time like the CPU reference: one
// block per value head; thread j owns column j of the head's state S[k_dim, v_dim]
// (kept in global memory, the caller's state buffer or scratch, so reads over j are
// coalesced), so k^T S and q^T S need no cross-thread reduction. Only the l2 norms of
// q and k are block reductions.
#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {

constexpr int kThreads = 128;

// Stages src[0..n) * (scale / ||src||) (or * scale) into shared memory for the block.
__device__ void stage(const float* src, int64_t n, bool l2norm, float scale, float* dst, float* sh) {
    float ss = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        dst[i] = src[i];
        ss += src[i] * src[i];
    }
    if (l2norm) {
        ss = block_reduce(ss, sh, SumOp{});
        scale = scale * rsqrtf(ss + 1e-6f);
    }
    __syncthreads();
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] *= scale;
    __syncthreads();
}

// Dynamic shared memory: q[k_dim], k[k_dim].
__global__ void gated_delta_kernel(GatedDeltaArgs a, float* state, bool zero_state, float scale) {
    extern __shared__ float smem[];
    __shared__ float sh[32];
    const int64_t h = blockIdx.x, K = a.k_dim, V = a.v_dim, kh = h / (a.v_heads / a.k_heads);
    float* q = smem;
    float* k = smem + K;
    float* S = state + h * K * V;
    if (zero_state)
        for (int64_t i = 0; i < K; ++i)
            for (int64_t j = threadIdx.x; j < V; j += blockDim.x) S[i * V + j] = 0.0f;
    for (int64_t t = 0; t < a.len; ++t) {
        stage(a.q + (t * a.k_heads + kh) * K, K, a.l2norm_qk, scale, q, sh);
        stage(a.k + (t * a.k_heads + kh) * K, K, a.l2norm_qk, 1.0f, k, sh);
        const float decay = expf(a.g[t * a.v_heads + h]);
        const float beta = a.beta[t * a.v_heads + h];
        const float* v = a.v + (t * a.v_heads + h) * V;
        float* out = a.out + (t * a.v_heads + h) * V;
        for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
            float kv = 0.0f;
            for (int64_t i = 0; i < K; ++i) {
                const float s = S[i * V + j] * decay;
                S[i * V + j] = s;
                kv += k[i] * s;
            }
            const float d = (v[j] - kv) * beta;
            float o = 0.0f;
            for (int64_t i = 0; i < K; ++i) {
                const float s = S[i * V + j] + k[i] * d;
                S[i * V + j] = s;
                o += q[i] * s;
            }
            out[j] = o;
        }
        __syncthreads();  // q/k are restaged for the next step
    }
}

}  // namespace

KStatus gated_delta(Context& cx, const GatedDeltaArgs& a) {
    STRATA_KTRY(validate(a));
    float* state = a.state;
    if (!state) {
        STRATA_KTRY(cx.ensure_scratch(static_cast<size_t>(a.v_heads * a.k_dim * a.v_dim) * sizeof(float)));
        state = static_cast<float*>(cx.scratch);
    }
    const float scale = a.scale != 0.0f ? a.scale : 1.0f / sqrtf(static_cast<float>(a.k_dim));
    const size_t smem = static_cast<size_t>(2 * a.k_dim) * sizeof(float);
    gated_delta_kernel<<<static_cast<unsigned>(a.v_heads), kThreads, smem, cx.stream>>>(a, state, a.state == nullptr,
                                                                                        scale);
    return launch_check("gated_delta");
}

}  // namespace strata::kernels::cuda
