// RoPE, softmax and causal GQA attention on the GPU. Attention runs one block per
// (query, head) with an online softmax over key chunks of blockDim keys (the
// flash-attention recurrence, unfused and simple): scores of a chunk go to shared
// memory, the running max/sum rescale the accumulated output.
#include <cmath>
#include <vector>

#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {

constexpr int kThreads = 128;

__global__ void softmax_kernel(const float* x, float* y, int64_t cols) {
    __shared__ float shf[32];
    __shared__ double shd[32];
    const float* xr = x + blockIdx.x * cols;
    float* yr = y + blockIdx.x * cols;
    float mx = -INFINITY;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) mx = fmaxf(mx, xr[i]);
    mx = block_reduce(mx, shf, MaxOp{});
    double sum = 0;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) sum += expf(xr[i] - mx);
    sum = block_reduce(sum, shd, SumOp{});
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) yr[i] = expf(xr[i] - mx) * inv;
}

__global__ void rope_kernel(float* x, const int32_t* pos, const float* inv_freqs, int64_t tokens, int64_t heads,
                            int64_t head_dim, int64_t half) {
    const size_t total = static_cast<size_t>(tokens * heads * half);
    for (size_t w = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; w < total;
         w += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const int64_t i = static_cast<int64_t>(w % half);
        const int64_t th = static_cast<int64_t>(w / half);  // token * heads + head
        const int64_t t = th / heads;
        const float ang = static_cast<float>(pos[t]) * inv_freqs[i];
        const float c = static_cast<float>(cos(static_cast<double>(ang))),
                    s = static_cast<float>(sin(static_cast<double>(ang)));
        float* xp = x + th * head_dim;
        const float x1 = xp[i], x2 = xp[i + half];
        xp[i] = x1 * c - x2 * s;
        xp[i + half] = x2 * c + x1 * s;
    }
}

__global__ void attention_kernel(AttentionArgs a, float scale) {
    extern __shared__ float sh[];  // q[head_dim] | p[blockDim] | acc[v_dim]
    __shared__ float red[32];
    float* sq = sh;
    float* sp = sq + a.head_dim;
    float* acc = sp + blockDim.x;
    const int64_t i = blockIdx.x / a.q_heads, h = blockIdx.x % a.q_heads;
    const int64_t kvh = h / (a.q_heads / a.kv_heads);
    const int64_t n = a.kv_len - a.q_len + i + 1;
    const float* q = a.q + (i * a.q_heads + h) * a.head_dim;
    for (int64_t c = threadIdx.x; c < a.head_dim; c += blockDim.x) sq[c] = q[c];
    for (int64_t c = threadIdx.x; c < a.v_dim; c += blockDim.x) acc[c] = 0.0f;
    __syncthreads();
    float m = -INFINITY, l = 0.0f;
    for (int64_t j0 = 0; j0 < n; j0 += blockDim.x) {
        const int64_t j = j0 + threadIdx.x;
        float s = -INFINITY;
        if (j < n) {
            const float* k = a.k + (j * a.kv_heads + kvh) * a.head_dim;
            float d = 0.0f;
            for (int64_t c = 0; c < a.head_dim; ++c) d += sq[c] * k[c];
            s = d * scale;
        }
        const float new_m = fmaxf(m, block_reduce(s, red, MaxOp{}));
        const float p = j < n ? expf(s - new_m) : 0.0f;
        sp[threadIdx.x] = p;
        const float corr = expf(m - new_m);  // 0 on the first chunk (m = -inf)
        l = l * corr + block_reduce(p, red, SumOp{});
        __syncthreads();
        const int64_t cnt = min(static_cast<int64_t>(blockDim.x), n - j0);
        for (int64_t c = threadIdx.x; c < a.v_dim; c += blockDim.x) {
            float v_acc = acc[c] * corr;
            for (int64_t jj = 0; jj < cnt; ++jj) v_acc += sp[jj] * a.v[((j0 + jj) * a.kv_heads + kvh) * a.v_dim + c];
            acc[c] = v_acc;
        }
        m = new_m;
        __syncthreads();
    }
    float* o = a.out + (i * a.q_heads + h) * a.v_dim;
    for (int64_t c = threadIdx.x; c < a.v_dim; c += blockDim.x) o[c] = acc[c] / l;
}

}  // namespace

KStatus softmax(Context& cx, const SoftmaxArgs& a) {
    STRATA_KTRY(validate(a));
    if (a.rows == 0) return {};
    softmax_kernel<<<static_cast<unsigned>(a.rows), 256, 0, cx.stream>>>(a.x, a.y, a.cols);
    return launch_check("softmax");
}

KStatus rope(Context& cx, const RopeArgs& a) {
    STRATA_KTRY(validate(a));
    int64_t rot = static_cast<int64_t>(static_cast<float>(a.head_dim) * a.partial_rotary_factor);
    rot -= rot % 2;
    if (rot == 0 || a.tokens == 0) return {};
    // inv_freq on the host with the CPU's exact formula (device powf differs by ulps,
    // which position 4000 turns into 1e-3 rad).
    const int64_t half = rot / 2;
    std::vector<float> inv(static_cast<size_t>(half));
    for (int64_t i = 0; i < half; ++i)
        inv[static_cast<size_t>(i)] = 1.0f / std::pow(a.theta, static_cast<float>(2 * i) / static_cast<float>(rot));
    STRATA_KTRY(cx.ensure_scratch(inv.size() * sizeof(float)));
    STRATA_KTRY(cuda_error(
        cudaMemcpyAsync(cx.scratch, inv.data(), inv.size() * sizeof(float), cudaMemcpyHostToDevice, cx.stream),
        "rope"));
    const size_t total = static_cast<size_t>(a.tokens * a.heads * half);
    rope_kernel<<<blocks_for(total, 256), 256, 0, cx.stream>>>(a.x, a.positions, static_cast<const float*>(cx.scratch),
                                                               a.tokens, a.heads, a.head_dim, half);
    STRATA_KTRY(launch_check("rope"));
    // `inv` is pageable and dies here: wait until the copy has consumed it.
    return cuda_error(cudaStreamSynchronize(cx.stream), "rope");
}

KStatus attention(Context& cx, const AttentionArgs& a) {
    STRATA_KTRY(validate(a));
    if (a.q_len == 0) return {};
    const float scale = a.scale != 0.0f ? a.scale : 1.0f / std::sqrt(static_cast<float>(a.head_dim));
    const size_t shared = static_cast<size_t>(a.head_dim + kThreads + a.v_dim) * sizeof(float);
    if (shared > 48 * 1024) return unsupported("attention: head dims too large for the cuda kernel");
    attention_kernel<<<static_cast<unsigned>(a.q_len * a.q_heads), kThreads, shared, cx.stream>>>(a, scale);
    return launch_check("attention");
}

}  // namespace strata::kernels::cuda
