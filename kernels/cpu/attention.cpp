// RoPE, causal GQA attention and softmax on the CPU (f32). Attention is the plain
// two-pass form per (query, head): scores, a max-subtracted softmax, then the
// weighted sum of V — a reference, not a flash kernel.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"

namespace strata::kernels::cpu {

namespace {

void softmax_row(const float* x, float* y, int64_t n) {
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
        y[i] = std::exp(x[i] - mx);
        sum += y[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

}  // namespace

KStatus softmax(const SoftmaxArgs& a) {
    STRATA_KTRY(validate(a));
    parallel_for(static_cast<size_t>(a.rows), 16, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r)
            softmax_row(a.x + static_cast<int64_t>(r) * a.cols, a.y + static_cast<int64_t>(r) * a.cols, a.cols);
    });
    return {};
}

KStatus rope(const RopeArgs& a) {
    STRATA_KTRY(validate(a));
    int64_t rot = static_cast<int64_t>(static_cast<float>(a.head_dim) * a.partial_rotary_factor);
    rot -= rot % 2;
    const int64_t half = rot / 2;
    if (half == 0) return {};
    // HF: inv_freq = 1 / theta ** (arange(0, rot, 2).float() / rot), in float32.
    std::vector<float> inv_freq(static_cast<size_t>(half));
    for (int64_t i = 0; i < half; ++i)
        inv_freq[static_cast<size_t>(i)] =
            1.0f / std::pow(a.theta, static_cast<float>(2 * i) / static_cast<float>(rot));
    parallel_for(static_cast<size_t>(a.tokens), 4, [&](size_t t0, size_t t1) {
        std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
        for (size_t t = t0; t < t1; ++t) {
            const float pos = static_cast<float>(a.positions[t]);
            for (int64_t i = 0; i < half; ++i) {
                const float ang = pos * inv_freq[static_cast<size_t>(i)];
                cs[static_cast<size_t>(i)] = static_cast<float>(std::cos(static_cast<double>(ang)));
                sn[static_cast<size_t>(i)] = static_cast<float>(std::sin(static_cast<double>(ang)));
            }
            for (int64_t h = 0; h < a.heads; ++h) {
                float* x = a.x + (static_cast<int64_t>(t) * a.heads + h) * a.head_dim;
                for (int64_t i = 0; i < half; ++i) {
                    const float x1 = x[i], x2 = x[i + half];
                    const float c = cs[static_cast<size_t>(i)], s = sn[static_cast<size_t>(i)];
                    x[i] = x1 * c - x2 * s;
                    x[i + half] = x2 * c + x1 * s;
                }
            }
        }
    });
    return {};
}

KStatus attention(const AttentionArgs& a) {
    STRATA_KTRY(validate(a));
    const float scale = a.scale != 0.0f ? a.scale : 1.0f / std::sqrt(static_cast<float>(a.head_dim));
    const int64_t group = a.q_heads / a.kv_heads;
    const int64_t offset = a.kv_len - a.q_len;
    parallel_for(static_cast<size_t>(a.q_len * a.q_heads), 4, [&](size_t w0, size_t w1) {
        std::vector<float> score(static_cast<size_t>(a.kv_len));
        std::vector<double> acc(static_cast<size_t>(a.v_dim));
        for (size_t w = w0; w < w1; ++w) {
            const int64_t i = static_cast<int64_t>(w) / a.q_heads, h = static_cast<int64_t>(w) % a.q_heads;
            const int64_t kvh = h / group;
            const float* q = a.q + (i * a.q_heads + h) * a.head_dim;
            const int64_t n = offset + i + 1;  // keys 0..offset+i
            for (int64_t j = 0; j < n; ++j) {
                const float* k = a.k + (j * a.kv_heads + kvh) * a.head_dim;
                float d = 0;
                for (int64_t c = 0; c < a.head_dim; ++c) d += q[c] * k[c];
                score[static_cast<size_t>(j)] = d * scale;
            }
            softmax_row(score.data(), score.data(), n);
            std::fill(acc.begin(), acc.end(), 0.0);
            for (int64_t j = 0; j < n; ++j) {
                const float* v = a.v + (j * a.kv_heads + kvh) * a.v_dim;
                const double p = score[static_cast<size_t>(j)];
                for (int64_t c = 0; c < a.v_dim; ++c) acc[static_cast<size_t>(c)] += p * v[c];
            }
            float* o = a.out + (i * a.q_heads + h) * a.v_dim;
            for (int64_t c = 0; c < a.v_dim; ++c) o[c] = static_cast<float>(acc[static_cast<size_t>(c)]);
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
