// RMSNorm and gated RMSNorm on the CPU. Sums of squares accumulate in double (the
// rows are short; accuracy beats speed here); rows are spread over the pool.
#include <cmath>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"

namespace strata::kernels::cpu {

namespace {

float inv_rms(const float* x, int64_t n, float eps) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
    return static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
}

}  // namespace

KStatus rms_norm(const RmsNormArgs& a) {
    STRATA_KTRY(validate(a));
    const float shift = a.zero_centred ? 1.0f : 0.0f;
    parallel_for(static_cast<size_t>(a.rows), 16, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            const float* x = a.x + static_cast<int64_t>(r) * a.dim;
            float* y = a.y + static_cast<int64_t>(r) * a.dim;
            const float s = inv_rms(x, a.dim, a.eps);
            for (int64_t i = 0; i < a.dim; ++i) y[i] = x[i] * s * (a.gamma[i] + shift);
        }
    });
    return {};
}

KStatus gated_rms_norm(const GatedRmsNormArgs& a) {
    STRATA_KTRY(validate(a));
    const int64_t g = a.group_size == 0 ? a.dim : a.group_size;
    const float shift = a.zero_centred ? 1.0f : 0.0f;
    parallel_for(static_cast<size_t>(a.rows), 16, [&](size_t r0, size_t r1) {
        std::vector<float> h(static_cast<size_t>(g));
        for (size_t r = r0; r < r1; ++r) {
            for (int64_t g0 = 0; g0 < a.dim; g0 += g) {
                const int64_t off = static_cast<int64_t>(r) * a.dim + g0;
                const float* x = a.x + off;
                const float* z = a.z + off;
                float* y = a.y + off;
                const float* gamma = a.gamma + g0;
                if (a.order == GateOrder::GateThenNorm) {
                    for (int64_t i = 0; i < g; ++i) h[static_cast<size_t>(i)] = x[i] * silu(z[i]);
                    const float s = inv_rms(h.data(), g, a.eps);
                    for (int64_t i = 0; i < g; ++i) y[i] = h[static_cast<size_t>(i)] * s * (gamma[i] + shift);
                } else {
                    const float s = inv_rms(x, g, a.eps);
                    for (int64_t i = 0; i < g; ++i) y[i] = x[i] * s * (gamma[i] + shift) * silu(z[i]);
                }
            }
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
