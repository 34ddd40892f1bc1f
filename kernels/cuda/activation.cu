// SiLU-gate and MoE top-k routing on the GPU. Routing is one thread per token:
// softmax (sum in double, as the CPU), then k rounds of argmax over the experts not
// yet taken (lower index wins ties), then the optional renormalisation.
#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {

__global__ void silu_gate_kernel(const float* a, const float* b, float* out, size_t n) {
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x)
        out[i] = d_silu(a[i]) * b[i];
}

__global__ void topk_kernel(TopKArgs a) {
    const int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (t >= a.tokens) return;
    const float* l = a.logits + t * a.experts;
    int32_t* idx = a.indices + t * a.k;
    float* w = a.weights + t * a.k;
    float mx = -INFINITY;
    for (int64_t e = 0; e < a.experts; ++e) mx = fmaxf(mx, l[e]);
    double sum = 0;
    for (int64_t e = 0; e < a.experts; ++e) sum += expf(l[e] - mx);
    float kept = 0.0f;
    for (int64_t j = 0; j < a.k; ++j) {
        int64_t best = -1;
        float best_p = -1.0f;
        for (int64_t e = 0; e < a.experts; ++e) {
            bool taken = false;
            for (int64_t q = 0; q < j; ++q) taken |= idx[q] == e;
            if (taken) continue;
            const float p = static_cast<float>(expf(l[e] - mx) / sum);
            if (p > best_p) best = e, best_p = p;
        }
        idx[j] = static_cast<int32_t>(best);
        w[j] = best_p;
        kept += best_p;
    }
    if (a.renormalize)
        for (int64_t j = 0; j < a.k; ++j) w[j] /= kept;
}

}  // namespace

KStatus silu_gate(Context& cx, const SiluGateArgs& a) {
    STRATA_KTRY(validate(a));
    if (a.n == 0) return {};
    silu_gate_kernel<<<blocks_for(static_cast<size_t>(a.n), 256), 256, 0, cx.stream>>>(a.a, a.b, a.out,
                                                                                       static_cast<size_t>(a.n));
    return launch_check("silu_gate");
}

KStatus topk_routing(Context& cx, const TopKArgs& a) {
    STRATA_KTRY(validate(a));
    if (a.tokens == 0) return {};
    topk_kernel<<<static_cast<unsigned>((a.tokens + 127) / 128), 128, 0, cx.stream>>>(a);
    return launch_check("topk_routing");
}

}  // namespace strata::kernels::cuda
