// Mamba2 pieces on the CPU: depthwise causal conv1d and the sequential SSM scan.
// The scan is the recurrence itself (no chunked SSD); heads run in parallel.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"

namespace strata::kernels::cpu {

KStatus conv1d(const Conv1dArgs& a) {
    STRATA_KTRY(validate(a));
    const int64_t W = a.width, C = a.channels;
    parallel_for(static_cast<size_t>(a.len), 16, [&](size_t t0, size_t t1) {
        for (auto t = static_cast<int64_t>(t0); t < static_cast<int64_t>(t1); ++t) {
            float* y = a.y + t * C;
            for (int64_t c = 0; c < C; ++c) {
                float acc = a.bias ? a.bias[c] : 0.0f;
                for (int64_t j = 0; j < W; ++j) {
                    const int64_t src = t - (W - 1) + j;
                    if (src >= 0) acc += a.weight[c * W + j] * a.x[src * C + c];
                }
                y[c] = a.silu ? silu(acc) : acc;
            }
        }
    });
    return {};
}

KStatus ssm_scan(const SsmScanArgs& a) {
    STRATA_KTRY(validate(a));
    const int64_t H = a.heads, P = a.head_dim, N = a.state_dim, G = a.groups;
    const int64_t per_group = H / G;
    parallel_for(static_cast<size_t>(H), 1, [&](size_t h0, size_t h1) {
        std::vector<float> local(static_cast<size_t>(P * N));
        for (auto h = static_cast<int64_t>(h0); h < static_cast<int64_t>(h1); ++h) {
            float* s = a.state ? a.state + h * P * N : local.data();
            if (!a.state) std::fill(local.begin(), local.end(), 0.0f);
            const int64_t g = h / per_group;
            const float A = a.a[h];
            const float D = a.d ? a.d[h] : 0.0f;
            const float bias = a.dt_bias ? a.dt_bias[h] : 0.0f;
            for (int64_t t = 0; t < a.len; ++t) {
                const float dt = std::clamp(softplus(a.dt[t * H + h] + bias), a.dt_min, a.dt_max);
                const float decay = std::exp(dt * A);
                const float* x = a.x + (t * H + h) * P;
                const float* B = a.b + (t * G + g) * N;
                const float* Cv = a.c + (t * G + g) * N;
                float* y = a.y + (t * H + h) * P;
                for (int64_t p = 0; p < P; ++p) {
                    float* sp = s + p * N;
                    const float dx = dt * x[p];
                    float acc = 0.0f;
                    for (int64_t n = 0; n < N; ++n) {
                        sp[n] = sp[n] * decay + dx * B[n];
                        acc += sp[n] * Cv[n];
                    }
                    y[p] = acc + D * x[p];
                }
            }
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
