// CPU backend ops against known values and naive double-precision references.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "strata/kernels/backend.h"
#include "strata/kernels/scalar_types.h"

using namespace strata::kernels;

namespace {

Backend& cpu() { return cpu_backend(); }

std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

double silu_d(double v) { return v / (1.0 + std::exp(-v)); }

}  // namespace

TEST_CASE("registry: cpu always present, unknown names explained", "[kernels]") {
    auto names = available_backends();
    REQUIRE(!names.empty());
    CHECK(names.front() == "cpu");
    CHECK(backend_by_name("cpu") == &cpu_backend());
    std::string why;
    CHECK(backend_by_name("tpu", &why) == nullptr);
    CHECK(why.find("unknown backend 'tpu'") != std::string::npos);
    for (int i = 0; i < kOpCount; ++i) CHECK(cpu().supports(static_cast<Op>(i)));
    CHECK(op_name(Op::SsmScan) == "ssm_scan");
}

TEST_CASE("buffers: upload/download and range checks", "[kernels]") {
    auto buf = cpu().alloc(16);
    REQUIRE(buf);
    const float in[4] = {1, 2, 3, 4};
    REQUIRE(cpu().upload(*buf, in, 16).ok());
    float out[2] = {};
    REQUIRE(cpu().download(*buf, out, 8, 8).ok());
    CHECK(out[0] == 3.0f);
    CHECK(out[1] == 4.0f);
    const KStatus bad = cpu().upload(*buf, in, 16, 4);
    CHECK(bad.code() == KCode::InvalidArgument);
    CHECK(bad.message().find("exceed") != std::string::npos);
}

TEST_CASE("cast: every pair agrees with the scalar conversions", "[kernels][cast]") {
    const ScalarType types[] = {ScalarType::F32, ScalarType::F16, ScalarType::BF16, ScalarType::F8E4M3,
                                ScalarType::F8E5M2};
    auto src = randn(10007, 1, 4.0f);
    src[0] = NAN, src[1] = INFINITY, src[2] = -0.0f, src[3] = 1e6f;
    auto to_f32 = [](ScalarType t, const std::vector<uint8_t>& raw, size_t i) -> float {
        switch (t) {
            case ScalarType::F32: {
                float f;
                std::memcpy(&f, raw.data() + i * 4, 4);
                return f;
            }
            case ScalarType::F16: {
                uint16_t h;
                std::memcpy(&h, raw.data() + i * 2, 2);
                return f16_to_float(h);
            }
            case ScalarType::BF16: {
                uint16_t h;
                std::memcpy(&h, raw.data() + i * 2, 2);
                return bf16_to_float(h);
            }
            case ScalarType::F8E4M3:
                return e4m3_to_float(raw[i]);
            case ScalarType::F8E5M2:
                return e5m2_to_float(raw[i]);
            default:
                return 0;
        }
    };
    auto from_f32 = [](ScalarType t, float f) -> float {
        switch (t) {
            case ScalarType::F16:
                return f16_to_float(float_to_f16(f));
            case ScalarType::BF16:
                return bf16_to_float(float_to_bf16(f));
            case ScalarType::F8E4M3:
                return e4m3_to_float(float_to_e4m3(f));
            case ScalarType::F8E5M2:
                return e5m2_to_float(float_to_e5m2(f));
            default:
                return f;
        }
    };
    for (ScalarType s : types) {
        std::vector<uint8_t> sraw(src.size() * scalar_size(s));
        REQUIRE(cpu().cast(src.data(), ScalarType::F32, sraw.data(), s, src.size()).ok());
        for (ScalarType d : types) {
            std::vector<uint8_t> draw(src.size() * scalar_size(d));
            REQUIRE(cpu().cast(sraw.data(), s, draw.data(), d, src.size()).ok());
            size_t bad = 0;
            for (size_t i = 0; i < src.size(); ++i) {
                const float want = from_f32(d, from_f32(s, src[i]));
                const float got = to_f32(d, draw, i);
                if (!(got == want || (std::isnan(got) && std::isnan(want)))) ++bad;
            }
            INFO(scalar_name(s) << " -> " << scalar_name(d));
            CHECK(bad == 0);
        }
    }
    CHECK(cpu().cast(src.data(), ScalarType::F32, nullptr, ScalarType::I32, 1).code() == KCode::Unsupported);
}

TEST_CASE("strided_copy gathers a transposed, sliced view", "[kernels][copy]") {
    // src is [4, 6]; take columns 1..4 transposed -> dst [4 (cols), 4 (rows)].
    std::vector<int32_t> src(24);
    std::iota(src.begin(), src.end(), 0);
    std::vector<int32_t> dst(16, -1);
    StridedLayout l = gather_layout({4, 4}, {1, 6});
    REQUIRE(cpu().strided_copy(src.data() + 1, dst.data(), 4, l).ok());
    for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 4; ++r)
            CHECK(dst[static_cast<size_t>(c * 4 + r)] == src[static_cast<size_t>(r * 6 + c + 1)]);
    // 3-d with 2-byte elements and a dense inner run.
    std::vector<uint16_t> s3(2 * 3 * 5), d3(2 * 2 * 5);
    std::iota(s3.begin(), s3.end(), 0);
    REQUIRE(cpu().strided_copy(s3.data() + 5, d3.data(), 2, gather_layout({2, 2, 5}, {15, 5, 1})).ok());
    CHECK(d3[0] == 5);
    CHECK(d3[10] == 20);
    CHECK(d3[19] == 29);
    StridedLayout bad;
    bad.rank = 9;
    CHECK(cpu().strided_copy(src.data(), dst.data(), 4, bad).code() == KCode::InvalidArgument);
}

TEST_CASE("stats: known values, NaN/Inf excluded, histogram", "[kernels][stats]") {
    const float x[] = {1, 2, 3, 4, NAN, INFINITY, -INFINITY};
    TensorStats s;
    REQUIRE(cpu().stats(x, ScalarType::F32, 7, {.bins = 3}, &s).ok());
    CHECK(s.count == 7);
    CHECK(s.finite == 4);
    CHECK(s.nan_count == 1);
    CHECK(s.inf_count == 2);
    CHECK(s.min == 1.0);
    CHECK(s.max == 4.0);
    CHECK(s.mean == Approx(2.5));
    CHECK(s.std == Approx(std::sqrt(1.25)));
    CHECK(s.abs_max == 4.0);
    CHECK(s.histogram == std::vector<uint64_t>{1, 1, 2});
    // A given range drops values outside it.
    REQUIRE(cpu().stats(x, ScalarType::F32, 7, {.bins = 2, .hist_lo = 0.0, .hist_hi = 2.0}, &s).ok());
    CHECK(s.histogram == std::vector<uint64_t>{0, 2});
    // Bin edges: a value on an edge goes to the upper bin, hi to the last bin, outside is dropped
    // (9 values: the vector lanes and the scalar tail both see edges).
    const float e[] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.0001f, -0.0001f, 0.5f, 1.0f};
    REQUIRE(cpu().stats(e, ScalarType::F32, 9, {.bins = 4, .hist_lo = 0.0, .hist_hi = 1.0}, &s).ok());
    CHECK(s.histogram == std::vector<uint64_t>{1, 1, 2, 3});
}

TEST_CASE("stats: large arrays match a double reference in every dtype", "[kernels][stats]") {
    auto v = randn(1 << 20 | 12345, 5, 3.0f);
    for (auto& x : v) x += 100.0f;  // large mean: catches naive sum-of-squares variance
    v[777] = NAN;
    v[4096 * 7 + 3] = -INFINITY;
    for (ScalarType t : {ScalarType::F32, ScalarType::BF16, ScalarType::F16, ScalarType::F8E5M2}) {
        std::vector<uint8_t> raw(v.size() * scalar_size(t));
        REQUIRE(cpu().cast(v.data(), ScalarType::F32, raw.data(), t, v.size()).ok());
        std::vector<float> back(v.size());
        REQUIRE(cpu().cast(raw.data(), t, back.data(), ScalarType::F32, v.size()).ok());
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        uint64_t n = 0;
        for (float f : back)
            if (std::isfinite(f)) sum += f, mn = std::min<double>(mn, f), mx = std::max<double>(mx, f), ++n;
        const double mean = sum / static_cast<double>(n);
        double m2 = 0;
        for (float f : back)
            if (std::isfinite(f)) m2 += (f - mean) * (f - mean);
        std::vector<uint64_t> hist(64, 0);
        for (float f : back)
            if (std::isfinite(f)) hist[std::min<size_t>(63, static_cast<size_t>((f - mn) * (64.0 / (mx - mn))))]++;
        TensorStats s;
        REQUIRE(cpu().stats(raw.data(), t, v.size(), {.bins = 64}, &s).ok());
        INFO(scalar_name(t));
        CHECK(s.finite == n);
        CHECK(s.nan_count == 1);
        CHECK(s.inf_count == 1);
        CHECK(s.min == mn);
        CHECK(s.max == mx);
        CHECK(s.mean == Approx(mean).epsilon(1e-9));
        CHECK(s.std == Approx(std::sqrt(m2 / static_cast<double>(n))).epsilon(1e-6));
        CHECK(s.histogram == hist);
    }
}

TEST_CASE("matmul: known values and a naive reference, f32 and bf16", "[kernels][matmul]") {
    const float a[] = {1, 2, 3, 4, 5, 6};            // [2, 3]
    const float b[] = {1, 0, -1, 2, 1, 0, 0, 0, 1};  // [3, 3] rows are output features
    float c[6];
    REQUIRE(cpu().matmul({.a = a, .b = b, .c = c, .m = 2, .n = 3, .k = 3}).ok());
    CHECK(std::vector<float>(c, c + 6) == std::vector<float>{-2, 4, 3, -2, 13, 6});

    for (auto [m, n, k] : {std::tuple{1, 300, 77}, {67, 131, 513}, {130, 64, 256}, {3, 5, 1}}) {
        auto A = randn(static_cast<size_t>(m * k), 1), B = randn(static_cast<size_t>(n * k), 2);
        std::vector<uint16_t> Bh(B.size());
        for (size_t i = 0; i < B.size(); ++i) Bh[i] = float_to_bf16(B[i]);
        std::vector<double> ref(static_cast<size_t>(m * n)), refh(ref.size());
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                double s = 0, sh = 0;
                for (int p = 0; p < k; ++p) {
                    s += static_cast<double>(A[static_cast<size_t>(i * k + p)]) * B[static_cast<size_t>(j * k + p)];
                    sh += static_cast<double>(A[static_cast<size_t>(i * k + p)]) *
                          bf16_to_float(Bh[static_cast<size_t>(j * k + p)]);
                }
                ref[static_cast<size_t>(i * n + j)] = s;
                refh[static_cast<size_t>(i * n + j)] = sh;
            }
        std::vector<float> C(ref.size());
        REQUIRE(cpu().matmul({.a = A.data(), .b = B.data(), .c = C.data(), .m = m, .n = n, .k = k}).ok());
        CHECK(max_abs_diff(C, ref) < 1e-4 * std::sqrt(k));
        REQUIRE(
            cpu()
                .matmul(
                    {.a = A.data(), .b = Bh.data(), .b_type = ScalarType::BF16, .c = C.data(), .m = m, .n = n, .k = k})
                .ok());
        CHECK(max_abs_diff(C, refh) < 1e-4 * std::sqrt(k));
    }
    CHECK(cpu().matmul({.a = a, .a_type = ScalarType::F16, .b = b, .c = c, .m = 2, .n = 3, .k = 3}).code() ==
          KCode::Unsupported);
}

TEST_CASE("rms_norm and gated_rms_norm match references", "[kernels][norm]") {
    const int rows = 5, dim = 64;
    auto x = randn(rows * dim, 3), z = randn(rows * dim, 4), g = randn(dim, 5);
    std::vector<float> y(x.size());
    for (bool zc : {false, true}) {
        REQUIRE(cpu()
                    .rms_norm({.x = x.data(),
                               .gamma = g.data(),
                               .y = y.data(),
                               .rows = rows,
                               .dim = dim,
                               .eps = 1e-6f,
                               .zero_centred = zc})
                    .ok());
        std::vector<double> ref(x.size());
        for (int r = 0; r < rows; ++r) {
            double ss = 0;
            for (int i = 0; i < dim; ++i)
                ss += x[static_cast<size_t>(r * dim + i)] * x[static_cast<size_t>(r * dim + i)];
            const double s = 1 / std::sqrt(ss / dim + 1e-6);
            for (int i = 0; i < dim; ++i)
                ref[static_cast<size_t>(r * dim + i)] =
                    x[static_cast<size_t>(r * dim + i)] * s * (g[static_cast<size_t>(i)] + (zc ? 1 : 0));
        }
        CHECK(max_abs_diff(y, ref) < 1e-5);
    }
    for (GateOrder order : {GateOrder::GateThenNorm, GateOrder::NormThenGate}) {
        const int group = 16;
        REQUIRE(cpu()
                    .gated_rms_norm({.x = x.data(),
                                     .z = z.data(),
                                     .gamma = g.data(),
                                     .y = y.data(),
                                     .rows = rows,
                                     .dim = dim,
                                     .group_size = group,
                                     .eps = 1e-5f,
                                     .order = order})
                    .ok());
        std::vector<double> ref(x.size());
        for (int r = 0; r < rows; ++r)
            for (int g0 = 0; g0 < dim; g0 += group) {
                std::vector<double> h(group);
                for (int i = 0; i < group; ++i) {
                    const size_t idx = static_cast<size_t>(r * dim + g0 + i);
                    h[static_cast<size_t>(i)] = order == GateOrder::GateThenNorm ? x[idx] * silu_d(z[idx]) : x[idx];
                }
                double ss = 0;
                for (double v : h) ss += v * v;
                const double s = 1 / std::sqrt(ss / group + 1e-5);
                for (int i = 0; i < group; ++i) {
                    const size_t idx = static_cast<size_t>(r * dim + g0 + i);
                    double v = h[static_cast<size_t>(i)] * s * g[static_cast<size_t>(g0 + i)];
                    if (order == GateOrder::NormThenGate) v *= silu_d(z[idx]);
                    ref[idx] = v;
                }
            }
        CHECK(max_abs_diff(y, ref) < 1e-5);
    }
    CHECK(cpu()
              .gated_rms_norm({.x = x.data(),
                               .z = z.data(),
                               .gamma = g.data(),
                               .y = y.data(),
                               .rows = 1,
                               .dim = 64,
                               .group_size = 24})
              .code() == KCode::InvalidArgument);
}

TEST_CASE("softmax, silu_gate and rope known values", "[kernels][elementwise]") {
    float s[] = {1, 2, 3};
    REQUIRE(cpu().softmax({.x = s, .y = s, .rows = 1, .cols = 3}).ok());
    CHECK(s[0] == Approx(0.09003057));
    CHECK(s[1] == Approx(0.24472847));
    CHECK(s[2] == Approx(0.66524096));
    float a[] = {1.0f, -2.0f}, b[] = {2.0f, 3.0f}, o[2];
    REQUIRE(cpu().silu_gate({.a = a, .b = b, .out = o, .n = 2}).ok());
    CHECK(o[0] == Approx(2 * 0.7310585786));
    CHECK(o[1] == Approx(3 * -0.2384058440));

    // head_dim 4, theta 100: pair (0,2) turns by pos rad, pair (1,3) by pos / 10 rad.
    float x[] = {1, 1, 0, 0, 1, 1, 0, 0};
    const int32_t pos[] = {0, 2};
    REQUIRE(cpu().rope({.x = x, .positions = pos, .tokens = 2, .heads = 1, .head_dim = 4, .theta = 100.0f}).ok());
    CHECK(x[0] == 1.0f);
    CHECK(x[2] == 0.0f);
    CHECK(x[4] == Approx(std::cos(2.0)));
    CHECK(x[6] == Approx(std::sin(2.0)));
    CHECK(x[5] == Approx(std::cos(0.2)));
    CHECK(x[7] == Approx(std::sin(0.2)));
    // partial rotary 0.5 of head_dim 8: only channels 0..3 rotate; 4..7 pass through.
    float y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int32_t p1[] = {3};
    REQUIRE(cpu()
                .rope({.x = y,
                       .positions = p1,
                       .tokens = 1,
                       .heads = 1,
                       .head_dim = 8,
                       .theta = 1e4f,
                       .partial_rotary_factor = 0.5f})
                .ok());
    CHECK(y[0] == Approx(1 * std::cos(3.0) - 3 * std::sin(3.0)));
    CHECK(y[2] == Approx(3 * std::cos(3.0) + 1 * std::sin(3.0)));
    CHECK(y[4] == 5.0f);
    CHECK(y[7] == 8.0f);
}

TEST_CASE("attention: causal GQA against a naive reference", "[kernels][attention]") {
    const int T = 7, S = 9, Hq = 4, Hkv = 2, D = 8, Dv = 6;
    auto q = randn(T * Hq * D, 1), k = randn(S * Hkv * D, 2), v = randn(S * Hkv * Dv, 3);
    std::vector<float> out(static_cast<size_t>(T * Hq * Dv));
    REQUIRE(cpu()
                .attention({.q = q.data(),
                            .k = k.data(),
                            .v = v.data(),
                            .out = out.data(),
                            .q_len = T,
                            .kv_len = S,
                            .q_heads = Hq,
                            .kv_heads = Hkv,
                            .head_dim = D,
                            .v_dim = Dv})
                .ok());
    std::vector<double> ref(out.size());
    for (int i = 0; i < T; ++i)
        for (int h = 0; h < Hq; ++h) {
            const int kh = h / (Hq / Hkv), n = S - T + i + 1;
            std::vector<double> w(static_cast<size_t>(n));
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j < n; ++j) {
                double d = 0;
                for (int c = 0; c < D; ++c)
                    d += q[static_cast<size_t>((i * Hq + h) * D + c)] * k[static_cast<size_t>((j * Hkv + kh) * D + c)];
                w[static_cast<size_t>(j)] = d / std::sqrt(D);
                mx = std::max(mx, w[static_cast<size_t>(j)]);
            }
            for (auto& x : w) sum += x = std::exp(x - mx);
            for (int c = 0; c < Dv; ++c) {
                double acc = 0;
                for (int j = 0; j < n; ++j)
                    acc += w[static_cast<size_t>(j)] / sum * v[static_cast<size_t>((j * Hkv + kh) * Dv + c)];
                ref[static_cast<size_t>((i * Hq + h) * Dv + c)] = acc;
            }
        }
    CHECK(max_abs_diff(out, ref) < 1e-5);
    // The first query of a prefill (T == S) sees only itself: output = v[0] of its kv head.
    REQUIRE(cpu()
                .attention({.q = q.data(),
                            .k = k.data(),
                            .v = v.data(),
                            .out = out.data(),
                            .q_len = 2,
                            .kv_len = 2,
                            .q_heads = Hq,
                            .kv_heads = Hkv,
                            .head_dim = D,
                            .v_dim = Dv})
                .ok());
    for (int c = 0; c < Dv; ++c)
        CHECK(out[static_cast<size_t>(3 * Dv + c)] == Approx(v[static_cast<size_t>(1 * Dv + c)]));
}

TEST_CASE("topk_routing: softmax, top-k, renormalise, ties to the lower index", "[kernels][topk]") {
    const float logits[] = {0.0f, 2.0f, 1.0f, 2.0f, /* token 1 */ 5.0f, -1.0f, 0.0f, 0.0f};
    int32_t idx[4];
    float w[4];
    REQUIRE(cpu()
                .topk_routing({.logits = logits,
                               .indices = idx,
                               .weights = w,
                               .tokens = 2,
                               .experts = 4,
                               .k = 2,
                               .renormalize = false})
                .ok());
    CHECK(idx[0] == 1);
    CHECK(idx[1] == 3);
    const double z0 = 1 + 2 * std::exp(2.0) + std::exp(1.0);
    CHECK(w[0] == Approx(std::exp(2.0) / z0));
    CHECK(idx[2] == 0);
    CHECK(idx[3] == 2);
    REQUIRE(cpu()
                .topk_routing({.logits = logits,
                               .indices = idx,
                               .weights = w,
                               .tokens = 2,
                               .experts = 4,
                               .k = 2,
                               .renormalize = true})
                .ok());
    CHECK(w[0] == Approx(0.5));
    CHECK(w[1] == Approx(0.5));
    CHECK(w[2] + w[3] == Approx(1.0));
    CHECK(w[2] == Approx(std::exp(5.0) / (std::exp(5.0) + 1.0)));
}

TEST_CASE("conv1d and ssm_scan against naive references", "[kernels][mamba]") {
    const int T = 6, C = 5, W = 4;
    auto x = randn(T * C, 1), w = randn(C * W, 2), bias = randn(C, 3);
    std::vector<float> y(x.size());
    REQUIRE(cpu()
                .conv1d({.x = x.data(),
                         .weight = w.data(),
                         .bias = bias.data(),
                         .y = y.data(),
                         .len = T,
                         .channels = C,
                         .width = W,
                         .silu = true})
                .ok());
    std::vector<double> ref(y.size());
    for (int t = 0; t < T; ++t)
        for (int c = 0; c < C; ++c) {
            double acc = bias[static_cast<size_t>(c)];
            for (int j = 0; j < W; ++j) {
                const int s = t - (W - 1) + j;
                if (s >= 0) acc += w[static_cast<size_t>(c * W + j)] * x[static_cast<size_t>(s * C + c)];
            }
            ref[static_cast<size_t>(t * C + c)] = silu_d(acc);
        }
    CHECK(max_abs_diff(y, ref) < 1e-5);

    const int H = 4, P = 3, N = 5, G = 2;
    auto xs = randn(T * H * P, 4), dt = randn(T * H, 5), B = randn(T * G * N, 6), Cm = randn(T * G * N, 7);
    const float A[] = {-0.5f, -1.0f, -2.0f, -0.1f}, D[] = {1.0f, 0.5f, 0.0f, -1.0f}, dtb[] = {0.1f, -0.2f, 0.3f, 0.0f};
    std::vector<float> ys(xs.size()), state(static_cast<size_t>(H * P * N), 0.0f);
    REQUIRE(cpu()
                .ssm_scan({.x = xs.data(),
                           .dt = dt.data(),
                           .a = A,
                           .b = B.data(),
                           .c = Cm.data(),
                           .d = D,
                           .dt_bias = dtb,
                           .y = ys.data(),
                           .state = state.data(),
                           .len = T,
                           .heads = H,
                           .head_dim = P,
                           .groups = G,
                           .state_dim = N})
                .ok());
    std::vector<double> s(static_cast<size_t>(H * P * N), 0.0), yr(ys.size());
    for (int t = 0; t < T; ++t)
        for (int h = 0; h < H; ++h) {
            const int g = h / (H / G);
            const double d = std::log1p(std::exp(static_cast<double>(dt[static_cast<size_t>(t * H + h)]) + dtb[h]));
            for (int p = 0; p < P; ++p) {
                double acc = 0;
                for (int n = 0; n < N; ++n) {
                    double& st = s[static_cast<size_t>((h * P + p) * N + n)];
                    st = st * std::exp(d * A[h]) +
                         d * xs[static_cast<size_t>((t * H + h) * P + p)] * B[static_cast<size_t>((t * G + g) * N + n)];
                    acc += st * Cm[static_cast<size_t>((t * G + g) * N + n)];
                }
                yr[static_cast<size_t>((t * H + h) * P + p)] =
                    acc + D[h] * xs[static_cast<size_t>((t * H + h) * P + p)];
            }
        }
    CHECK(max_abs_diff(ys, yr) < 1e-4);
    CHECK(max_abs_diff(state, s) < 1e-4);
    // Running the second half from the saved state equals running it all at once.
    std::vector<float> st2(state.size(), 0.0f), y2(ys.size());
    const int half = T / 2;
    for (int part = 0; part < 2; ++part) {
        const int t0 = part * half;
        REQUIRE(cpu()
                    .ssm_scan({.x = xs.data() + t0 * H * P,
                               .dt = dt.data() + t0 * H,
                               .a = A,
                               .b = B.data() + t0 * G * N,
                               .c = Cm.data() + t0 * G * N,
                               .d = D,
                               .dt_bias = dtb,
                               .y = y2.data() + t0 * H * P,
                               .state = st2.data(),
                               .len = half,
                               .heads = H,
                               .head_dim = P,
                               .groups = G,
                               .state_dim = N})
                    .ok());
    }
    CHECK(max_abs_diff(y2, std::vector<double>(ys.begin(), ys.end())) < 1e-6);
}

TEST_CASE("cpu backend: concurrent callers get correct results (pool busy -> inline)", "[kernels][threads]") {
    const int64_t m = 48, n = 96, k = 200;
    auto A = randn(static_cast<size_t>(m * k), 7), B = randn(static_cast<size_t>(n * k), 8);
    std::vector<float> want(static_cast<size_t>(m * n));
    REQUIRE(cpu().matmul({.a = A.data(), .b = B.data(), .c = want.data(), .m = m, .n = n, .k = k}).ok());
    std::vector<std::vector<float>> got(4, std::vector<float>(want.size()));
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&, t] {
            for (int r = 0; r < 20; ++r)
                (void)cpu().matmul(
                    {.a = A.data(), .b = B.data(), .c = got[static_cast<size_t>(t)].data(), .m = m, .n = n, .k = k});
        });
    for (auto& t : ts) t.join();
    for (const auto& g : got) CHECK(g == want);  // accumulation order is fixed: bit-identical
}
