// Mamba2 pieces on the GPU: depthwise causal conv1d (one thread per output) and the
// sequential SSM scan (one thread per (head, head-channel) walking time, its state row
// in global memory: the caller's state buffer or scratch).
#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {

__global__ void conv_kernel(Conv1dArgs a) {
    const size_t total = static_cast<size_t>(a.len * a.channels);
    for (size_t w = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; w < total;
         w += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const int64_t t = static_cast<int64_t>(w) / a.channels, c = static_cast<int64_t>(w) % a.channels;
        float acc = a.bias ? a.bias[c] : 0.0f;
        for (int64_t j = 0; j < a.width; ++j) {
            const int64_t s = t - (a.width - 1) + j;
            if (s >= 0) acc += a.weight[c * a.width + j] * a.x[s * a.channels + c];
        }
        a.y[w] = a.silu ? d_silu(acc) : acc;
    }
}

__global__ void scan_kernel(SsmScanArgs a, float* state, bool zero_state) {
    const int64_t w = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const int64_t H = a.heads, P = a.head_dim, N = a.state_dim, G = a.groups;
    if (w >= H * P) return;
    const int64_t h = w / P, p = w % P, g = h / (H / G);
    float* s = state + w * N;  // [h][p][:] in [H, P, N]
    if (zero_state)
        for (int64_t n = 0; n < N; ++n) s[n] = 0.0f;
    const float A = a.a[h], D = a.d ? a.d[h] : 0.0f, bias = a.dt_bias ? a.dt_bias[h] : 0.0f;
    for (int64_t t = 0; t < a.len; ++t) {
        const float dt = fminf(fmaxf(d_softplus(a.dt[t * H + h] + bias), a.dt_min), a.dt_max);
        const float decay = expf(dt * A);
        const float xv = a.x[(t * H + h) * P + p];
        const float dx = dt * xv;
        const float* B = a.b + (t * G + g) * N;
        const float* C = a.c + (t * G + g) * N;
        float acc = 0.0f;
        for (int64_t n = 0; n < N; ++n) {
            const float sn = s[n] * decay + dx * B[n];
            s[n] = sn;
            acc += sn * C[n];
        }
        a.y[(t * H + h) * P + p] = acc + D * xv;
    }
}

}  // namespace

KStatus conv1d(Context& cx, const Conv1dArgs& a) {
    STRATA_KTRY(validate(a));
    if (a.len == 0) return {};
    conv_kernel<<<blocks_for(static_cast<size_t>(a.len * a.channels), 256), 256, 0, cx.stream>>>(a);
    return launch_check("conv1d");
}

KStatus ssm_scan(Context& cx, const SsmScanArgs& a) {
    STRATA_KTRY(validate(a));
    float* state = a.state;
    if (!state) {
        STRATA_KTRY(cx.ensure_scratch(static_cast<size_t>(a.heads * a.head_dim * a.state_dim) * sizeof(float)));
        state = static_cast<float*>(cx.scratch);
    }
    const int64_t threads = a.heads * a.head_dim;
    scan_kernel<<<static_cast<unsigned>((threads + 127) / 128), 128, 0, cx.stream>>>(a, state, a.state == nullptr);
    return launch_check("ssm_scan");
}

}  // namespace strata::kernels::cuda
