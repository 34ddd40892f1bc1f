// Parity cases for every op other than cast: deterministic inputs, odd sizes that
// cross block and tile edges, outputs flattened to f32.
#include <cmath>
#include <numeric>

#include "parity/parity_cases.h"
#include "parity/parity_util.h"

namespace strata::kernels::test {

namespace {

constexpr double kF32 = 1e-5;  // f32 arithmetic, different summation orders

ParityCase strided_case(std::string name, size_t es) {
    return {std::move(name), Op::StridedCopy, 0.0, [es](Backend& be, std::vector<float>& out) -> KStatus {
                // src [5, 7, 9] elements of es bytes; gather a permuted, sliced view [9, 3, 5].
                std::vector<uint8_t> src(5 * 7 * 9 * es);
                for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 131 + 7);
                Arena ar{be, {}, {}};
                auto* ps = ar.put(src);
                auto* pd = ar.zeros<uint8_t>(9 * 3 * 5 * es);
                STRATA_KTRY(ar.status);
                const StridedLayout l = gather_layout({9, 3, 5}, {1, 2 * 9, 7 * 9});
                STRATA_KTRY(be.strided_copy(ps + 9 * es, pd, es, l));
                return ar.get(pd, 9 * 3 * 5 * es, out);
            }};
}

ParityCase stats_case(std::string name, ScalarType t, size_t n, StatsOptions opt) {
    return {std::move(name), Op::Stats, 1e-6, [=](Backend& be, std::vector<float>& out) -> KStatus {
                auto v = randn(n, 21, 2.0f);
                for (auto& x : v) x += 3.0f;
                v[5] = NAN, v[n / 2] = INFINITY, v[n - 1] = -INFINITY;
                std::vector<uint8_t> raw(n * scalar_size(t));
                STRATA_KTRY(cpu_backend().cast(v.data(), ScalarType::F32, raw.data(), t, n));
                Arena ar{be, {}, {}};
                auto* p = ar.put(raw);
                STRATA_KTRY(ar.status);
                TensorStats s;
                STRATA_KTRY(be.stats(p, t, n, opt, &s));
                for (double d :
                     {static_cast<double>(s.count), static_cast<double>(s.finite), static_cast<double>(s.nan_count),
                      static_cast<double>(s.inf_count), s.min, s.max, s.mean, s.std, s.abs_max, s.hist_lo, s.hist_hi})
                    out.push_back(static_cast<float>(d));
                for (uint64_t h : s.histogram) out.push_back(static_cast<float>(h));
                return {};
            }};
}

ParityCase matmul_case(std::string name, ScalarType at, ScalarType bt, int64_t m, int64_t n, int64_t k) {
    return {std::move(name), Op::Matmul, kF32, [=](Backend& be, std::vector<float>& out) -> KStatus {
                auto a = randn(static_cast<size_t>(m * k), 31), b = randn(static_cast<size_t>(n * k), 32);
                std::vector<uint8_t> ra(a.size() * scalar_size(at)), rb(b.size() * scalar_size(bt));
                STRATA_KTRY(cpu_backend().cast(a.data(), ScalarType::F32, ra.data(), at, a.size()));
                STRATA_KTRY(cpu_backend().cast(b.data(), ScalarType::F32, rb.data(), bt, b.size()));
                Arena ar{be, {}, {}};
                auto* pa = ar.put(ra);
                auto* pb = ar.put(rb);
                auto* pc = ar.zeros<float>(static_cast<size_t>(m * n));
                STRATA_KTRY(ar.status);
                STRATA_KTRY(be.matmul({.a = pa, .a_type = at, .b = pb, .b_type = bt, .c = pc, .m = m, .n = n, .k = k}));
                return ar.get(pc, static_cast<size_t>(m * n), out);
            }};
}

}  // namespace

void add_op_cases(std::vector<ParityCase>& cs) {
    cs.push_back(strided_case("strided_copy 4-byte 3-d permute", 4));
    cs.push_back(strided_case("strided_copy 2-byte 3-d permute", 2));
    cs.push_back(strided_case("strided_copy 3-byte elements", 3));
    cs.push_back(stats_case("stats f32 1M + NaN/Inf, 64 bins", ScalarType::F32, 1000003, {.bins = 64}));
    cs.push_back(
        stats_case("stats bf16, given range", ScalarType::BF16, 300001, {.bins = 10, .hist_lo = 0.0, .hist_hi = 6.0}));
    cs.push_back(stats_case("stats f8e4m3, 5000 bins", ScalarType::F8E4M3, 100000, {.bins = 5000}));
    cs.push_back(matmul_case("matmul f32 37x129x300", ScalarType::F32, ScalarType::F32, 37, 129, 300));
    cs.push_back(matmul_case("matmul bf16 64x256x512", ScalarType::BF16, ScalarType::BF16, 64, 256, 512));
    cs.push_back(matmul_case("matmul f32 x bf16 5x1000x129", ScalarType::F32, ScalarType::BF16, 5, 1000, 129));

    for (bool zc : {false, true})
        cs.push_back(
            {std::string("rms_norm") + (zc ? " zero-centred" : ""), Op::RmsNorm, kF32,
             [zc](Backend& be, std::vector<float>& out) -> KStatus {
                 const int64_t rows = 17, dim = 1000;
                 Arena ar{be, {}, {}};
                 auto* x = ar.put(randn(static_cast<size_t>(rows * dim), 41));
                 auto* g = ar.put(randn(static_cast<size_t>(dim), 42, 0.2f));
                 auto* y = ar.zeros<float>(static_cast<size_t>(rows * dim));
                 STRATA_KTRY(ar.status);
                 STRATA_KTRY(be.rms_norm(
                     {.x = x, .gamma = g, .y = y, .rows = rows, .dim = dim, .eps = 1e-6f, .zero_centred = zc}));
                 return ar.get(y, static_cast<size_t>(rows * dim), out);
             }});
    for (GateOrder order : {GateOrder::GateThenNorm, GateOrder::NormThenGate})
        cs.push_back(
            {std::string("gated_rms_norm ") + (order == GateOrder::GateThenNorm ? "gate-then-norm" : "norm-then-gate"),
             Op::GatedRmsNorm, kF32, [order](Backend& be, std::vector<float>& out) -> KStatus {
                 const int64_t rows = 9, dim = 512, group = 128;
                 Arena ar{be, {}, {}};
                 auto* x = ar.put(randn(static_cast<size_t>(rows * dim), 43));
                 auto* z = ar.put(randn(static_cast<size_t>(rows * dim), 44));
                 auto* g = ar.put(randn(static_cast<size_t>(dim), 45));
                 auto* y = ar.zeros<float>(static_cast<size_t>(rows * dim));
                 STRATA_KTRY(ar.status);
                 STRATA_KTRY(be.gated_rms_norm({.x = x,
                                                .z = z,
                                                .gamma = g,
                                                .y = y,
                                                .rows = rows,
                                                .dim = dim,
                                                .group_size = group,
                                                .eps = 1e-5f,
                                                .order = order}));
                 return ar.get(y, static_cast<size_t>(rows * dim), out);
             }});
    cs.push_back(
        {"rope partial 0.5, positions to 4000", Op::Rope, kF32, [](Backend& be, std::vector<float>& out) -> KStatus {
             const int64_t T = 23, H = 4, D = 128;
             std::vector<int32_t> pos(T);
             for (int64_t t = 0; t < T; ++t) pos[static_cast<size_t>(t)] = static_cast<int32_t>(t * 181);
             Arena ar{be, {}, {}};
             auto* x = ar.put(randn(static_cast<size_t>(T * H * D), 46));
             auto* p = ar.put(pos);
             STRATA_KTRY(ar.status);
             STRATA_KTRY(be.rope({.x = x,
                                  .positions = p,
                                  .tokens = T,
                                  .heads = H,
                                  .head_dim = D,
                                  .theta = 1e6f,
                                  .partial_rotary_factor = 0.5f}));
             return ar.get(x, static_cast<size_t>(T * H * D), out);
         }});
    for (int64_t kv : {20, 300})
        cs.push_back({"attention GQA 8q/2kv, q 13, kv " + std::to_string(kv), Op::Attention, kF32,
                      [kv](Backend& be, std::vector<float>& out) -> KStatus {
                          const int64_t T = 13, Hq = 8, Hkv = 2, D = 64, Dv = 48;
                          Arena ar{be, {}, {}};
                          auto* q = ar.put(randn(static_cast<size_t>(T * Hq * D), 47));
                          auto* k = ar.put(randn(static_cast<size_t>(kv * Hkv * D), 48));
                          auto* v = ar.put(randn(static_cast<size_t>(kv * Hkv * Dv), 49));
                          auto* o = ar.zeros<float>(static_cast<size_t>(T * Hq * Dv));
                          STRATA_KTRY(ar.status);
                          STRATA_KTRY(be.attention({.q = q,
                                                    .k = k,
                                                    .v = v,
                                                    .out = o,
                                                    .q_len = T,
                                                    .kv_len = kv,
                                                    .q_heads = Hq,
                                                    .kv_heads = Hkv,
                                                    .head_dim = D,
                                                    .v_dim = Dv}));
                          return ar.get(o, static_cast<size_t>(T * Hq * Dv), out);
                      }});
    cs.push_back({"softmax 7 x 50000", Op::Softmax, kF32, [](Backend& be, std::vector<float>& out) -> KStatus {
                      Arena ar{be, {}, {}};
                      auto* x = ar.put(randn(7 * 50000, 50, 8.0f));
                      auto* y = ar.zeros<float>(7 * 50000);
                      STRATA_KTRY(ar.status);
                      STRATA_KTRY(be.softmax({.x = x, .y = y, .rows = 7, .cols = 50000}));
                      return ar.get(y, 7 * 50000, out);
                  }});
    cs.push_back({"silu_gate 100003", Op::SiluGate, kF32, [](Backend& be, std::vector<float>& out) -> KStatus {
                      Arena ar{be, {}, {}};
                      auto* a = ar.put(randn(100003, 51, 4.0f));
                      auto* b = ar.put(randn(100003, 52));
                      auto* o = ar.zeros<float>(100003);
                      STRATA_KTRY(ar.status);
                      STRATA_KTRY(be.silu_gate({.a = a, .b = b, .out = o, .n = 100003}));
                      return ar.get(o, 100003, out);
                  }});
    for (bool renorm : {true, false})
        cs.push_back({std::string("topk_routing 128 experts k 8") + (renorm ? " renormalised" : ""), Op::TopK, kF32,
                      [renorm](Backend& be, std::vector<float>& out) -> KStatus {
                          const int64_t T = 33, E = 128, K = 8;
                          Arena ar{be, {}, {}};
                          auto* l = ar.put(randn(static_cast<size_t>(T * E), 53, 2.0f));
                          auto* idx = ar.zeros<int32_t>(static_cast<size_t>(T * K));
                          auto* w = ar.zeros<float>(static_cast<size_t>(T * K));
                          STRATA_KTRY(ar.status);
                          STRATA_KTRY(be.topk_routing({.logits = l,
                                                       .indices = idx,
                                                       .weights = w,
                                                       .tokens = T,
                                                       .experts = E,
                                                       .k = K,
                                                       .renormalize = renorm}));
                          STRATA_KTRY(ar.get(idx, static_cast<size_t>(T * K), out));
                          return ar.get(w, static_cast<size_t>(T * K), out);
                      }});
    cs.push_back({"conv1d width 4 + SiLU", Op::Conv1d, kF32, [](Backend& be, std::vector<float>& out) -> KStatus {
                      const int64_t T = 37, C = 300, W = 4;
                      Arena ar{be, {}, {}};
                      auto* x = ar.put(randn(static_cast<size_t>(T * C), 54));
                      auto* w = ar.put(randn(static_cast<size_t>(C * W), 55));
                      auto* b = ar.put(randn(static_cast<size_t>(C), 56));
                      auto* y = ar.zeros<float>(static_cast<size_t>(T * C));
                      STRATA_KTRY(ar.status);
                      STRATA_KTRY(be.conv1d(
                          {.x = x, .weight = w, .bias = b, .y = y, .len = T, .channels = C, .width = W, .silu = true}));
                      return ar.get(y, static_cast<size_t>(T * C), out);
                  }});
    for (bool with_state : {false, true})
        cs.push_back({std::string("ssm_scan 8 heads 2 groups") + (with_state ? " with state" : ""), Op::SsmScan, kF32,
                      [with_state](Backend& be, std::vector<float>& out) -> KStatus {
                          const int64_t T = 29, H = 8, P = 16, N = 32, G = 2;
                          std::vector<float> A(H), D(H), bias(H);
                          for (int64_t h = 0; h < H; ++h) {
                              A[static_cast<size_t>(h)] = -std::exp(0.3f * static_cast<float>(h) - 1.0f);
                              D[static_cast<size_t>(h)] = 0.5f - 0.1f * static_cast<float>(h);
                              bias[static_cast<size_t>(h)] = 0.05f * static_cast<float>(h) - 0.2f;
                          }
                          Arena ar{be, {}, {}};
                          auto* x = ar.put(randn(static_cast<size_t>(T * H * P), 57));
                          auto* dt = ar.put(randn(static_cast<size_t>(T * H), 58));
                          auto* b = ar.put(randn(static_cast<size_t>(T * G * N), 59));
                          auto* c = ar.put(randn(static_cast<size_t>(T * G * N), 60));
                          auto* pa = ar.put(A);
                          auto* pd = ar.put(D);
                          auto* pb = ar.put(bias);
                          auto* st = with_state ? ar.put(randn(static_cast<size_t>(H * P * N), 61, 0.1f)) : nullptr;
                          auto* y = ar.zeros<float>(static_cast<size_t>(T * H * P));
                          STRATA_KTRY(ar.status);
                          STRATA_KTRY(be.ssm_scan({.x = x,
                                                   .dt = dt,
                                                   .a = pa,
                                                   .b = b,
                                                   .c = c,
                                                   .d = pd,
                                                   .dt_bias = pb,
                                                   .y = y,
                                                   .state = st,
                                                   .len = T,
                                                   .heads = H,
                                                   .head_dim = P,
                                                   .groups = G,
                                                   .state_dim = N,
                                                   .dt_max = 2.0f}));
                          STRATA_KTRY(ar.get(y, static_cast<size_t>(T * H * P), out));
                          return st ? ar.get(st, static_cast<size_t>(H * P * N), out) : KStatus{};
                      }});
    // Qwen3-Next-like head ratio (value heads = 2 x key heads), dims past one warp, and a
    // v_dim above the CUDA block size so threads loop over columns.
    for (bool with_state : {false, true})
        cs.push_back({std::string("gated_delta 4 key 8 value heads") + (with_state ? " with state" : ""),
                      Op::GatedDelta, kF32, [with_state](Backend& be, std::vector<float>& out) -> KStatus {
                          const int64_t T = 23, HK = 4, HV = 8, DK = 48, DV = 160;
                          auto g = randn(static_cast<size_t>(T * HV), 62, 0.5f);
                          for (auto& x : g) x = -std::fabs(x) - 0.05f;
                          auto beta = randn(static_cast<size_t>(T * HV), 63);
                          for (auto& x : beta) x = 1.0f / (1.0f + std::exp(-x));
                          Arena ar{be, {}, {}};
                          auto* q = ar.put(randn(static_cast<size_t>(T * HK * DK), 64));
                          auto* k = ar.put(randn(static_cast<size_t>(T * HK * DK), 65));
                          auto* v = ar.put(randn(static_cast<size_t>(T * HV * DV), 66));
                          auto* pg = ar.put(g);
                          auto* pb = ar.put(beta);
                          auto* st = with_state ? ar.put(randn(static_cast<size_t>(HV * DK * DV), 67, 0.1f)) : nullptr;
                          auto* o = ar.zeros<float>(static_cast<size_t>(T * HV * DV));
                          STRATA_KTRY(ar.status);
                          STRATA_KTRY(be.gated_delta({.q = q,
                                                      .k = k,
                                                      .v = v,
                                                      .g = pg,
                                                      .beta = pb,
                                                      .out = o,
                                                      .state = st,
                                                      .len = T,
                                                      .k_heads = HK,
                                                      .v_heads = HV,
                                                      .k_dim = DK,
                                                      .v_dim = DV}));
                          STRATA_KTRY(ar.get(o, static_cast<size_t>(T * HV * DV), out));
                          return st ? ar.get(st, static_cast<size_t>(HV * DK * DV), out) : KStatus{};
                      }});
}

}  // namespace strata::kernels::test
