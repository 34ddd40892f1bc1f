// The gated delta rule (Gated DeltaNet's token mixer) on the CPU: the recurrence itself,
// sequential over time like transformers' torch_recurrent_gated_delta_rule (not the
// chunked form), f32 throughout as transformers computes it; value heads run in parallel.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"

namespace strata::kernels::cpu {

namespace {

// dst = src * rsqrt(sum(src^2) + 1e-6) (transformers' l2norm, aligned with FLA's), or a copy.
void load_normalised(const float* src, int64_t n, bool l2norm, float scale, float* dst) {
    float s = scale;
    if (l2norm) {
        float ss = 0.0f;
        for (int64_t i = 0; i < n; ++i) ss += src[i] * src[i];
        s = scale / std::sqrt(ss + 1e-6f);
    }
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i] * s;
}

// One value head over all time steps; S is [k_dim, v_dim], row i belongs to key channel i.
void run_head(const GatedDeltaArgs& a, int64_t h, float scale, float* S, std::vector<float>& scratch) {
    const int64_t K = a.k_dim, V = a.v_dim, kh = h / (a.v_heads / a.k_heads);
    float* q = scratch.data();
    float* k = q + K;
    float* d = k + K;
    for (int64_t t = 0; t < a.len; ++t) {
        load_normalised(a.q + (t * a.k_heads + kh) * K, K, a.l2norm_qk, scale, q);
        load_normalised(a.k + (t * a.k_heads + kh) * K, K, a.l2norm_qk, 1.0f, k);
        const float decay = std::exp(a.g[t * a.v_heads + h]);
        const float beta = a.beta[t * a.v_heads + h];
        const float* v = a.v + (t * a.v_heads + h) * V;
        for (int64_t j = 0; j < V; ++j) d[j] = 0.0f;
        // S *= decay, then kv_mem = k^T S accumulated row by row.
        for (int64_t i = 0; i < K; ++i) {
            float* row = S + i * V;
            for (int64_t j = 0; j < V; ++j) {
                row[j] *= decay;
                d[j] += k[i] * row[j];
            }
        }
        for (int64_t j = 0; j < V; ++j) d[j] = (v[j] - d[j]) * beta;
        float* out = a.out + (t * a.v_heads + h) * V;
        for (int64_t j = 0; j < V; ++j) out[j] = 0.0f;
        for (int64_t i = 0; i < K; ++i) {
            float* row = S + i * V;
            for (int64_t j = 0; j < V; ++j) {
                row[j] += k[i] * d[j];
                out[j] += q[i] * row[j];
            }
        }
    }
}

}  // namespace

KStatus gated_delta(const GatedDeltaArgs& a) {
    STRATA_KTRY(validate(a));
    const float scale = a.scale != 0.0f ? a.scale : 1.0f / std::sqrt(static_cast<float>(a.k_dim));
    const int64_t state_size = a.k_dim * a.v_dim;
    parallel_for(static_cast<size_t>(a.v_heads), 1, [&](size_t h0, size_t h1) {
        std::vector<float> local(a.state ? 0 : static_cast<size_t>(state_size));
        std::vector<float> scratch(static_cast<size_t>(2 * a.k_dim + a.v_dim));
        for (auto h = static_cast<int64_t>(h0); h < static_cast<int64_t>(h1); ++h) {
            float* S = a.state ? a.state + h * state_size : local.data();
            if (!a.state) std::fill(local.begin(), local.end(), 0.0f);
            run_head(a, h, scale, S, scratch);
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
