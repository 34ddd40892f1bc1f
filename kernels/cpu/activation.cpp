// SiLU-gate (SwiGLU's elementwise half) and MoE top-k routing on the CPU.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"

namespace strata::kernels::cpu {

KStatus silu_gate(const SiluGateArgs& a) {
    STRATA_KTRY(validate(a));
    parallel_for(static_cast<size_t>(a.n), 1 << 14, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) a.out[i] = silu(a.a[i]) * a.b[i];
    });
    return {};
}

KStatus topk_routing(const TopKArgs& a) {
    STRATA_KTRY(validate(a));
    parallel_for(static_cast<size_t>(a.tokens), 8, [&](size_t t0, size_t t1) {
        std::vector<float> p(static_cast<size_t>(a.experts));
        std::vector<int32_t> order(static_cast<size_t>(a.experts));
        for (size_t t = t0; t < t1; ++t) {
            const float* logits = a.logits + static_cast<int64_t>(t) * a.experts;
            float mx = -INFINITY;
            for (int64_t e = 0; e < a.experts; ++e) mx = std::max(mx, logits[e]);
            double sum = 0;
            for (int64_t e = 0; e < a.experts; ++e) sum += p[static_cast<size_t>(e)] = std::exp(logits[e] - mx);
            for (auto& v : p) v = static_cast<float>(v / sum);
            std::iota(order.begin(), order.end(), 0);
            std::partial_sort(order.begin(), order.begin() + a.k, order.end(), [&](int32_t x, int32_t y) {
                const float px = p[static_cast<size_t>(x)], py = p[static_cast<size_t>(y)];
                return px > py || (px == py && x < y);
            });
            float kept = 0;
            for (int64_t j = 0; j < a.k; ++j) kept += p[static_cast<size_t>(order[static_cast<size_t>(j)])];
            for (int64_t j = 0; j < a.k; ++j) {
                const int32_t e = order[static_cast<size_t>(j)];
                a.indices[static_cast<int64_t>(t) * a.k + j] = e;
                const float w = p[static_cast<size_t>(e)];
                a.weights[static_cast<int64_t>(t) * a.k + j] = a.renormalize ? w / kept : w;
            }
        }
    });
    return {};
}

}  // namespace strata::kernels::cpu
