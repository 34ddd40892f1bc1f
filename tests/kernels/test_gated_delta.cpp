// gated_delta on the CPU against a naive double-precision transcription of transformers'
// torch_recurrent_gated_delta_rule (models/qwen3_next/modeling_qwen3_next.py), written
// here loop by loop: l2norm(q), l2norm(k), q / sqrt(dk), S *= exp(g), kv = k^T S,
// d = (v - kv) * beta, S += k d^T, o = q^T S; value head h reads key head h / (hv / hk).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "strata/kernels/backend.h"

using namespace strata::kernels;

namespace {

std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f, float shift = 0.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng) + shift;
    return v;
}

struct Problem {
    int T = 7, HK = 2, HV = 6, DK = 5, DV = 3;
    std::vector<float> q, k, v, g, beta;
    Problem() {
        q = randn(size_t(T * HK * DK), 1);
        k = randn(size_t(T * HK * DK), 2);
        v = randn(size_t(T * HV * DV), 3);
        g = randn(size_t(T * HV), 4, 0.5f, -0.7f);
        for (auto& x : g) x = -std::fabs(x);  // a log decay: exp(g) in (0, 1]
        beta = randn(size_t(T * HV), 5);
        for (auto& x : beta) x = 1.0f / (1.0f + std::exp(-x));  // sigmoid(b)
    }
    GatedDeltaArgs args(float* out, float* state, int len, int t0 = 0) const {
        return {.q = q.data() + t0 * HK * DK,
                .k = k.data() + t0 * HK * DK,
                .v = v.data() + t0 * HV * DV,
                .g = g.data() + t0 * HV,
                .beta = beta.data() + t0 * HV,
                .out = out + t0 * HV * DV,
                .state = state,
                .len = len,
                .k_heads = HK,
                .v_heads = HV,
                .k_dim = DK,
                .v_dim = DV};
    }
};

// The reference recurrence; returns out[T, HV, DV] and leaves the final state in `s`.
std::vector<double> naive(const Problem& p, std::vector<double>& s) {
    s.assign(size_t(p.HV * p.DK * p.DV), 0.0);
    std::vector<double> out(size_t(p.T * p.HV * p.DV));
    auto l2 = [](const float* x, int n, double scale, std::vector<double>& y) {
        double ss = 0;
        for (int i = 0; i < n; ++i) ss += double(x[i]) * x[i];
        y.resize(size_t(n));
        for (int i = 0; i < n; ++i) y[size_t(i)] = x[i] / std::sqrt(ss + 1e-6) * scale;
    };
    std::vector<double> q, k;
    for (int t = 0; t < p.T; ++t)
        for (int h = 0; h < p.HV; ++h) {
            const int kh = h / (p.HV / p.HK);
            l2(&p.q[size_t((t * p.HK + kh) * p.DK)], p.DK, 1.0 / std::sqrt(double(p.DK)), q);
            l2(&p.k[size_t((t * p.HK + kh) * p.DK)], p.DK, 1.0, k);
            double* S = &s[size_t(h * p.DK * p.DV)];
            const double decay = std::exp(double(p.g[size_t(t * p.HV + h)]));
            for (int i = 0; i < p.DK * p.DV; ++i) S[i] *= decay;
            for (int j = 0; j < p.DV; ++j) {
                double kv = 0;
                for (int i = 0; i < p.DK; ++i) kv += k[size_t(i)] * S[i * p.DV + j];
                const double d = (p.v[size_t((t * p.HV + h) * p.DV + j)] - kv) * p.beta[size_t(t * p.HV + h)];
                for (int i = 0; i < p.DK; ++i) S[i * p.DV + j] += k[size_t(i)] * d;
            }
            for (int j = 0; j < p.DV; ++j) {
                double o = 0;
                for (int i = 0; i < p.DK; ++i) o += q[size_t(i)] * S[i * p.DV + j];
                out[size_t((t * p.HV + h) * p.DV + j)] = o;
            }
        }
    return out;
}

template <class A, class B>
double max_abs_diff(const A& a, const B& b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
    return m;
}

}  // namespace

TEST_CASE("gated_delta: matches the naive recurrence, state carries over", "[kernels][gdn]") {
    const Problem p;
    std::vector<double> want_state;
    const auto want = naive(p, want_state);
    std::vector<float> out(want.size()), state(want_state.size(), 0.0f);
    REQUIRE(cpu_backend().gated_delta(p.args(out.data(), state.data(), p.T)).ok());
    CHECK(max_abs_diff(out, want) < 1e-5);
    CHECK(max_abs_diff(state, want_state) < 1e-5);
    // Not vacuous: the outputs are O(0.1..1) and differ between heads of one key head.
    CHECK(max_abs_diff(std::vector<float>(out.begin(), out.begin() + p.DV),
                       std::vector<float>(out.begin() + p.DV, out.begin() + 2 * p.DV)) > 1e-3);

    // Without a state buffer the op starts from zeros and gives the same outputs.
    std::vector<float> out0(want.size());
    REQUIRE(cpu_backend().gated_delta(p.args(out0.data(), nullptr, p.T)).ok());
    CHECK(out0 == out);

    // Two halves through the state equal one pass.
    std::vector<float> out2(want.size()), st2(state.size(), 0.0f);
    REQUIRE(cpu_backend().gated_delta(p.args(out2.data(), st2.data(), 3, 0)).ok());
    REQUIRE(cpu_backend().gated_delta(p.args(out2.data(), st2.data(), p.T - 3, 3)).ok());
    CHECK(max_abs_diff(out2, out) < 1e-6);
}

TEST_CASE("gated_delta: l2norm off and an explicit scale", "[kernels][gdn]") {
    // With unnormalised q and k, beta = 1 and g = 0, one step from zero gives
    // S = k (v)^T (k not normalised) and o = scale * (q.k) v.
    const std::vector<float> q{1, 2}, k{3, -1}, v{0.5f, -2.0f}, g{0.0f}, beta{1.0f};
    std::vector<float> out(2);
    REQUIRE(cpu_backend()
                .gated_delta({.q = q.data(),
                              .k = k.data(),
                              .v = v.data(),
                              .g = g.data(),
                              .beta = beta.data(),
                              .out = out.data(),
                              .len = 1,
                              .k_heads = 1,
                              .v_heads = 1,
                              .k_dim = 2,
                              .v_dim = 2,
                              .scale = 0.5f,
                              .l2norm_qk = false})
                .ok());
    // delta = (v - k^T 0) * 1 = v; S = k v^T; o = 0.5 * (1*3 + 2*-1) * v = 0.5 v.
    CHECK(out[0] == Approx(0.25));
    CHECK(out[1] == Approx(-1.0));
}

TEST_CASE("gated_delta: invalid arguments are refused", "[kernels][gdn]") {
    const Problem p;
    std::vector<float> out(size_t(p.T * p.HV * p.DV));
    auto a = p.args(out.data(), nullptr, p.T);
    a.k_heads = 4;  // 6 value heads do not split over 4 key heads
    auto s = cpu_backend().gated_delta(a);
    CHECK(s.code() == KCode::InvalidArgument);
    CHECK(s.message().find("v_heads must be a positive multiple of k_heads") != std::string::npos);
    a = p.args(out.data(), nullptr, p.T);
    a.beta = nullptr;
    CHECK(cpu_backend().gated_delta(a).code() == KCode::InvalidArgument);
    a = p.args(out.data(), nullptr, p.T);
    a.scale = -1.0f;
    CHECK(cpu_backend().gated_delta(a).code() == KCode::InvalidArgument);
    CHECK(op_name(Op::GatedDelta) == "gated_delta");
}
