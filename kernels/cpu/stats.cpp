// Tensor stats on the CPU in one pass (plus one for the histogram). Each 4096-element
// block is decoded to f32, checked for NaN/Inf with a branch-free bit test, and
// reduced in 16 independent float lanes (vectorisable without -ffast-math); blocks
// merge with Chan's parallel variance formula in double, in a fixed order, so the
// result does not depend on the thread count's scheduling.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"
#include "strata/kernels/scalar_types.h"

namespace strata::kernels::cpu {

namespace {

constexpr size_t kBlock = 4096;
constexpr int kLanes = 16;

struct Partial {
    uint64_t n = 0, nan = 0, inf = 0;
    double mean = 0, m2 = 0;
    float mn = INFINITY, mx = -INFINITY;

    void merge(const Partial& o) {
        nan += o.nan;
        inf += o.inf;
        if (o.n == 0) return;
        mn = std::min(mn, o.mn);
        mx = std::max(mx, o.mx);
        if (n == 0) {
            n = o.n, mean = o.mean, m2 = o.m2;
            return;
        }
        const double total = static_cast<double>(n + o.n);
        const double delta = o.mean - mean;
        mean += delta * static_cast<double>(o.n) / total;
        m2 += o.m2 + delta * delta * static_cast<double>(n) * static_cast<double>(o.n) / total;
        n += o.n;
    }
};

// Reduce n finite floats into a Partial (two passes over an L1-resident block).
Partial reduce_finite(const float* x, size_t n) {
    Partial p;
    if (n == 0) return p;
    float s[kLanes] = {}, mn[kLanes], mx[kLanes];
    for (int j = 0; j < kLanes; ++j) mn[j] = INFINITY, mx[j] = -INFINITY;
    // Sums are taken relative to a pivot (the first value) so the float lanes stay small
    // even when the mean is large compared with the spread.
    const float pivot = x[0];
    size_t i = 0;
#if defined(__SSE2__)
    // GCC will not vectorise float min/max without -ffinite-math-only, so the lanes are
    // spelled out; same lane assignment and operation order as the portable loop.
    {
        __m128 vs[4], vmn[4], vmx[4];
        const __m128 piv = _mm_set1_ps(pivot);
        for (int q = 0; q < 4; ++q)
            vs[q] = _mm_setzero_ps(), vmn[q] = _mm_set1_ps(INFINITY), vmx[q] = _mm_set1_ps(-INFINITY);
        for (; i + kLanes <= n; i += kLanes)
            for (int q = 0; q < 4; ++q) {
                const __m128 v = _mm_loadu_ps(x + i + 4 * static_cast<size_t>(q));
                vs[q] = _mm_add_ps(vs[q], _mm_sub_ps(v, piv));
                vmn[q] = _mm_min_ps(v, vmn[q]);  // = v < mn ? v : mn
                vmx[q] = _mm_max_ps(v, vmx[q]);
            }
        for (int q = 0; q < 4; ++q) {
            _mm_storeu_ps(s + 4 * q, vs[q]);
            _mm_storeu_ps(mn + 4 * q, vmn[q]);
            _mm_storeu_ps(mx + 4 * q, vmx[q]);
        }
    }
#else
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) {
            const float v = x[i + static_cast<size_t>(j)];
            s[j] += v - pivot;
            mn[j] = v < mn[j] ? v : mn[j];
            mx[j] = v > mx[j] ? v : mx[j];
        }
#endif
    double sum = 0;
    for (; i < n; ++i) {
        sum += x[i] - pivot;
        mn[0] = std::min(mn[0], x[i]);
        mx[0] = std::max(mx[0], x[i]);
    }
    for (int j = 0; j < kLanes; ++j) {
        sum += s[j];
        p.mn = std::min(p.mn, mn[j]);
        p.mx = std::max(p.mx, mx[j]);
    }
    const double mean = pivot + sum / static_cast<double>(n);
    const float mf = static_cast<float>(mean);
    float q[kLanes] = {};
    i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) {
            const float d = x[i + static_cast<size_t>(j)] - mf;
            q[j] += d * d;
        }
    double m2 = 0;
    for (; i < n; ++i) m2 += static_cast<double>(x[i] - mf) * (x[i] - mf);
    for (int j = 0; j < kLanes; ++j) m2 += q[j];
    // Correct for the f32-rounded centre: sum (x - m)^2 = sum (x - mf)^2 - n (m - mf)^2.
    const double off = mean - static_cast<double>(mf);
    p.m2 = std::max(0.0, m2 - static_cast<double>(n) * off * off);
    p.n = n;
    p.mean = mean;
    return p;
}

Partial reduce_block(const float* x, size_t n, float* scratch) {
    uint32_t nonfinite = 0;
    for (size_t i = 0; i < n; ++i) {
        uint32_t u;
        std::memcpy(&u, x + i, 4);
        nonfinite += (u & 0x7f800000u) == 0x7f800000u;
    }
    if (nonfinite == 0) return reduce_finite(x, n);
    size_t m = 0;
    uint64_t nan = 0, inf = 0;
    for (size_t i = 0; i < n; ++i) {
        if (std::isnan(x[i]))
            ++nan;
        else if (std::isinf(x[i]))
            ++inf;
        else
            scratch[m++] = x[i];
    }
    Partial p = reduce_finite(scratch, m);
    p.nan = nan;
    p.inf = inf;
    return p;
}

// Calls fn(const float* block, size_t len) for each decoded block in [begin, end).
template <class Fn>
void for_blocks(const void* src, ScalarType t, size_t begin, size_t end, Fn&& fn) {
    float tmp[kBlock];
    const size_t es = scalar_size(t);
    for (size_t i = begin; i < end; i += kBlock) {
        const size_t m = std::min(kBlock, end - i);
        const char* p = static_cast<const char*>(src) + i * es;
        if (t == ScalarType::F32) {
            fn(reinterpret_cast<const float*>(p), m);
        } else {
            decode_to_f32(p, t, tmp, m);
            fn(static_cast<const float*>(tmp), m);
        }
    }
}

}  // namespace

KStatus stats(const void* src, ScalarType t, size_t n, const StatsOptions& opt, TensorStats* out) {
    if (!is_float_type(t)) return unsupported("stats: float types only (got " + std::string(scalar_name(t)) + ")");
    if (!out) return invalid_argument("stats: null output");
    if (opt.bins < 0 || opt.bins > (1 << 20)) return invalid_argument("stats: bins must be in [0, 2^20]");
    const size_t blocks = (n + kBlock - 1) / kBlock;
    std::mutex mu;
    std::vector<std::pair<size_t, Partial>> parts;
    parallel_for(blocks, 8, [&](size_t b0, size_t b1) {
        Partial acc;
        float scratch[kBlock];
        for_blocks(src, t, b0 * kBlock, std::min(n, b1 * kBlock),
                   [&](const float* x, size_t m) { acc.merge(reduce_block(x, m, scratch)); });
        std::lock_guard lk(mu);
        parts.emplace_back(b0, acc);
    });
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Partial total;
    for (const auto& [_, p] : parts) total.merge(p);

    TensorStats s;
    s.count = n;
    s.finite = total.n;
    s.nan_count = total.nan;
    s.inf_count = total.inf;
    if (total.n) {
        s.min = total.mn;
        s.max = total.mx;
        s.abs_max = std::max(std::fabs(s.min), std::fabs(s.max));
        s.mean = total.mean;
        s.std = std::sqrt(total.m2 / static_cast<double>(total.n));
    }
    const bool given = std::isfinite(opt.hist_lo) && std::isfinite(opt.hist_hi) && opt.hist_hi > opt.hist_lo;
    s.hist_lo = given ? opt.hist_lo : s.min;
    s.hist_hi = given ? opt.hist_hi : s.max;
    if (opt.bins > 0) {
        const auto bins = static_cast<size_t>(opt.bins);
        s.histogram.assign(bins, 0);
        const double lo = s.hist_lo, hi = s.hist_hi;
        const double scale = hi > lo ? static_cast<double>(bins) / (hi - lo) : 0.0;
        parallel_for(blocks, 8, [&](size_t b0, size_t b1) {
            std::vector<uint64_t> local(bins, 0);
            int32_t idx[kBlock];
            const int32_t last = static_cast<int32_t>(bins) - 1;
            for_blocks(src, t, b0 * kBlock, std::min(n, b1 * kBlock), [&](const float* x, size_t m) {
                // Branch-free bin indices first (vectorisable), then the scalar increments.
                // Out of range, NaN and Inf get -2; the bin formula is the CUDA backend's.
                size_t i = 0;
#if defined(__SSE2__)
                // GCC does not if-convert FP compares (they may trap), so the lanes are spelled
                // out; the operations and their order are exactly the scalar loop's.
                const __m128d vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi), vscale = _mm_set1_pd(scale);
                const __m128d vout = _mm_set1_pd(-2.0), vlast = _mm_set1_pd(static_cast<double>(last));
                auto bins2 = [&](__m128d v) {
                    const __m128d in = _mm_and_pd(_mm_cmpge_pd(v, vlo), _mm_cmple_pd(v, vhi));
                    const __m128d f = _mm_mul_pd(_mm_sub_pd(v, vlo), vscale);
                    return _mm_cvttpd_epi32(_mm_min_pd(_mm_or_pd(_mm_and_pd(in, f), _mm_andnot_pd(in, vout)), vlast));
                };
                for (; i + 4 <= m; i += 4) {
                    const __m128 xf = _mm_loadu_ps(x + i);
                    const __m128i lo2 = bins2(_mm_cvtps_pd(xf)), hi2 = bins2(_mm_cvtps_pd(_mm_movehl_ps(xf, xf)));
                    _mm_storeu_si128(reinterpret_cast<__m128i*>(idx + i), _mm_unpacklo_epi64(lo2, hi2));
                }
#endif
                for (; i < m; ++i) {
                    const double v = x[i];
                    const bool in = v >= lo && v <= hi;
                    double f = in ? (v - lo) * scale : -2.0;
                    f = f < last ? f : static_cast<double>(last);
                    idx[i] = static_cast<int32_t>(f);
                }
                for (size_t i = 0; i < m; ++i)
                    if (idx[i] >= 0) local[static_cast<size_t>(idx[i])]++;
            });
            std::lock_guard lk(mu);
            for (size_t i = 0; i < bins; ++i) s.histogram[i] += local[i];
        });
    }
    *out = std::move(s);
    return {};
}

}  // namespace strata::kernels::cpu
