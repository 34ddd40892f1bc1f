// Argument structs for the Backend ops (backend.h). Every pointer lives in the
// memory space of the backend that runs the op (host for "cpu", device for
// "cuda"; get them from Buffer::data()). Tensors are dense row-major unless a
// struct says otherwise; shapes are listed outermost first.
// Usage: MatmulArgs mm{.a = x, .a_type = ScalarType::F32, .b = w, .b_type = ScalarType::BF16, .c = y, .m = T, .n = out,
// .k = in};
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "strata/kernels/kstatus.h"

namespace strata::kernels {

// ---- strided copy: dst[i0..] = src[i0..] over `shape`, strides in elements.
inline constexpr int kMaxRank = 8;
struct StridedLayout {
    int rank = 0;
    int64_t shape[kMaxRank] = {};
    int64_t src_stride[kMaxRank] = {};
    int64_t dst_stride[kMaxRank] = {};
};
// Layout for gathering a strided view of `src` into a dense `dst`.
StridedLayout gather_layout(const std::vector<int64_t>& shape, const std::vector<int64_t>& src_strides);

// ---- tensor stats. min/max/mean/std/abs_max are over the finite elements only;
// std is the population standard deviation (ddof = 0). The histogram has `bins`
// equal bins over [hist_lo, hist_hi] (the finite min/max when the range is not
// given or empty), the last bin closed; NaN/Inf are counted separately, never binned.
struct StatsOptions {
    int bins = 0;
    double hist_lo = std::numeric_limits<double>::quiet_NaN();
    double hist_hi = std::numeric_limits<double>::quiet_NaN();
};
struct TensorStats {
    uint64_t count = 0;  // all elements
    uint64_t finite = 0;
    uint64_t nan_count = 0;
    uint64_t inf_count = 0;
    double min = 0, max = 0, mean = 0, std = 0, abs_max = 0;
    double hist_lo = 0, hist_hi = 0;
    std::vector<uint64_t> histogram;
};

// ---- C[m,n] (f32) = A[m,k] · B[n,k]^T, the nn.Linear layout (B = weight).
// A and B are F32 or BF16 (independently); products accumulate in f32.
struct MatmulArgs {
    const void* a = nullptr;
    ScalarType a_type = ScalarType::F32;
    const void* b = nullptr;
    ScalarType b_type = ScalarType::F32;
    float* c = nullptr;
    int64_t m = 0, n = 0, k = 0;
};

// ---- RMSNorm over the last dim: y = x / sqrt(mean(x^2) + eps) * g, where
// g = gamma, or 1 + gamma when zero_centred (Qwen3-Next / Gemma style). y may alias x.
struct RmsNormArgs {
    const float* x = nullptr;
    const float* gamma = nullptr;
    float* y = nullptr;
    int64_t rows = 0, dim = 0;
    float eps = 1e-6f;
    bool zero_centred = false;
};

// ---- RoPE in place on x[tokens, heads, head_dim], neox / rotate-half style as HF
// Qwen3 (`rotate_half`): the first rot = head_dim * partial_rotary_factor (even)
// channels are rotated as pairs (i, i + rot/2) by pos * theta^(-2i/rot);
// the rest pass through. Angles are float32 products as in HF.
struct RopeArgs {
    float* x = nullptr;
    const int32_t* positions = nullptr;  // [tokens]
    int64_t tokens = 0, heads = 0, head_dim = 0;
    float theta = 10000.0f;
    float partial_rotary_factor = 1.0f;
};

// ---- causal GQA attention: q[q_len, q_heads, head_dim], k[kv_len, kv_heads, head_dim],
// v[kv_len, kv_heads, v_dim] -> out[q_len, q_heads, v_dim]. Query head h uses kv
// head h / (q_heads / kv_heads). Query i sits at position kv_len - q_len + i and
// sees keys 0..that position. scale 0 means 1/sqrt(head_dim).
struct AttentionArgs {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    float* out = nullptr;
    int64_t q_len = 0, kv_len = 0, q_heads = 0, kv_heads = 0, head_dim = 0, v_dim = 0;
    float scale = 0.0f;
};

// ---- softmax over the last dim of x[rows, cols]; y may alias x.
struct SoftmaxArgs {
    const float* x = nullptr;
    float* y = nullptr;
    int64_t rows = 0, cols = 0;
};

// ---- out = silu(a) * b elementwise (SwiGLU); out may alias a or b.
struct SiluGateArgs {
    const float* a = nullptr;
    const float* b = nullptr;
    float* out = nullptr;
    int64_t n = 0;
};

// ---- MoE routing: softmax(logits[tokens, experts]) -> top-k (descending weight,
// lower index first on ties) -> weights divided by their sum when renormalize
// (HF `norm_topk_prob`). indices[tokens, k] (i32), weights[tokens, k] (f32).
struct TopKArgs {
    const float* logits = nullptr;
    int32_t* indices = nullptr;
    float* weights = nullptr;
    int64_t tokens = 0, experts = 0, k = 0;
    bool renormalize = true;
};

// ---- depthwise causal conv1d (Mamba's conv1d with padding = width - 1, truncated):
// y[t,c] = bias[c] + sum_j w[c,j] * x[t - (width-1) + j, c], x[t<0] = 0, then SiLU
// when `silu`. x, y are [len, channels] (time-major); w is [channels, width]
// (HF's [channels, 1, width]); bias may be null.
struct Conv1dArgs {
    const float* x = nullptr;
    const float* weight = nullptr;
    const float* bias = nullptr;
    float* y = nullptr;
    int64_t len = 0, channels = 0, width = 0;
    bool silu = true;
};

// ---- Mamba2 SSM scan, sequential over time (prefill reference). Per head h in
// group g = h / (heads / groups), state s[h] in R^{head_dim x state_dim}:
//   dt = clamp(softplus(dt_raw[t,h] + dt_bias[h]), dt_min, dt_max)
//   s  = s * exp(dt * A[h]) + dt * x[t,h,:] (outer) B[t,g,:]
//   y[t,h,:] = s · C[t,g,:] + D[h] * x[t,h,:]
// A is the negative decay (-exp(A_log)); x[len, heads, head_dim], dt[len, heads],
// B/C[len, groups, state_dim]. state (optional, [heads, head_dim, state_dim]) is the
// initial state on entry and the final state on return; null means zeros.
// D and dt_bias may be null (0).
struct SsmScanArgs {
    const float* x = nullptr;
    const float* dt = nullptr;
    const float* a = nullptr;
    const float* b = nullptr;
    const float* c = nullptr;
    const float* d = nullptr;
    const float* dt_bias = nullptr;
    float* y = nullptr;
    float* state = nullptr;
    int64_t len = 0, heads = 0, head_dim = 0, groups = 1, state_dim = 0;
    float dt_min = 0.0f;
    float dt_max = std::numeric_limits<float>::infinity();
};

// ---- gated RMSNorm with groups of `group_size` channels (0 = whole row):
//   GateThenNorm (Mamba2 / M1 RMSNormGated(norm_before_gate=False)):
//       h = x * silu(z);  y = rmsnorm_group(h) * g
//   NormThenGate (HF Qwen3-Next Qwen3NextRMSNormGated, applied per head):
//       y = rmsnorm_group(x) * g * silu(z)
// g = gamma, or 1 + gamma when zero_centred. x, z, y are [rows, dim]; gamma [dim].
enum class GateOrder : uint8_t { GateThenNorm, NormThenGate };
struct GatedRmsNormArgs {
    const float* x = nullptr;
    const float* z = nullptr;
    const float* gamma = nullptr;
    float* y = nullptr;
    int64_t rows = 0, dim = 0, group_size = 0;
    float eps = 1e-6f;
    GateOrder order = GateOrder::GateThenNorm;
    bool zero_centred = false;
};

// ---- gated delta rule (Gated DeltaNet), sequential over time: transformers
// models/qwen3_next/modeling_qwen3_next.py torch_recurrent_gated_delta_rule. Per value
// head h (key head kh = h / (v_heads / k_heads), transformers' repeat_interleave) with
// state S[h] in R^{k_dim x v_dim}:
//   q, k = l2norm(q[t,kh]), l2norm(k[t,kh])   when l2norm_qk (x * rsqrt(sum x^2 + 1e-6))
//   q    = q * scale                           (scale 0 means 1/sqrt(k_dim))
//   S    = S * exp(g[t,h])
//   d    = (v[t,h] - k^T S) * beta[t,h]
//   S    = S + k (outer) d
//   out[t,h] = q^T S
// q, k [len, k_heads, k_dim]; v [len, v_heads, v_dim]; g (log decay, <= 0) and beta
// [len, v_heads]; out [len, v_heads, v_dim]. The normalisation is part of the op because
// the model applies it to exactly these operands (use_qk_l2norm_in_kernel=True).
// state (optional, [v_heads, k_dim, v_dim]) is the initial state on entry and the final
// state on return; null means zeros.
struct GatedDeltaArgs {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    const float* g = nullptr;
    const float* beta = nullptr;
    float* out = nullptr;
    float* state = nullptr;
    int64_t len = 0, k_heads = 0, v_heads = 0, k_dim = 0, v_dim = 0;
    float scale = 0.0f;
    bool l2norm_qk = true;
};

}  // namespace strata::kernels
