// RMSNorm and gated RMSNorm on the GPU: one block per row (per group for the gated
// form), sum of squares in double like the CPU, block reduction, then the scale.
#include "cuda/cuda_common.h"
#include "cuda/device_util.cuh"

namespace strata::kernels::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void rms_kernel(const float* x, const float* gamma, float* y, int64_t dim, float eps, float shift) {
    __shared__ double sh[32];
    const float* xr = x + blockIdx.x * dim;
    float* yr = y + blockIdx.x * dim;
    double ss = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) ss += static_cast<double>(xr[i]) * xr[i];
    ss = block_reduce(ss, sh, SumOp{});
    const float s = static_cast<float>(1.0 / sqrt(ss / static_cast<double>(dim) + eps));
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = xr[i] * s * (gamma[i] + shift);
}

// One block per (row, group).
__global__ void gated_kernel(const float* x, const float* z, const float* gamma, float* y, int64_t dim, int64_t group,
                             float eps, float shift, bool gate_first) {
    __shared__ double sh[32];
    const int64_t groups = dim / group;
    const int64_t row = blockIdx.x / groups, g0 = (blockIdx.x % groups) * group;
    const int64_t off = row * dim + g0;
    double ss = 0;
    for (int64_t i = threadIdx.x; i < group; i += blockDim.x) {
        const float h = gate_first ? x[off + i] * d_silu(z[off + i]) : x[off + i];
        ss += static_cast<double>(h) * h;
    }
    ss = block_reduce(ss, sh, SumOp{});
    const float s = static_cast<float>(1.0 / sqrt(ss / static_cast<double>(group) + eps));
    for (int64_t i = threadIdx.x; i < group; i += blockDim.x) {
        const float g = gamma[g0 + i] + shift;
        if (gate_first)
            y[off + i] = x[off + i] * d_silu(z[off + i]) * s * g;
        else
            y[off + i] = x[off + i] * s * g * d_silu(z[off + i]);
    }
}

}  // namespace

KStatus rms_norm(Context& cx, const RmsNormArgs& a) {
    STRATA_KTRY(validate(a));
    if (a.rows == 0) return {};
    rms_kernel<<<static_cast<unsigned>(a.rows), kThreads, 0, cx.stream>>>(a.x, a.gamma, a.y, a.dim, a.eps,
                                                                          a.zero_centred ? 1.0f : 0.0f);
    return launch_check("rms_norm");
}

KStatus gated_rms_norm(Context& cx, const GatedRmsNormArgs& a) {
    STRATA_KTRY(validate(a));
    if (a.rows == 0) return {};
    const int64_t group = a.group_size == 0 ? a.dim : a.group_size;
    gated_kernel<<<static_cast<unsigned>(a.rows * (a.dim / group)), kThreads, 0, cx.stream>>>(
        a.x, a.z, a.gamma, a.y, a.dim, group, a.eps, a.zero_centred ? 1.0f : 0.0f, a.order == GateOrder::GateThenNorm);
    return launch_check("gated_rms_norm");
}

}  // namespace strata::kernels::cuda
