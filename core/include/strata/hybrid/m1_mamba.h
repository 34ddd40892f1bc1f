// M1's Mamba2 mixer (jingshenghang/M1 branch Qwen3-30B-A3B-Mamba2, mamba2/hybrid_mamba_layer.py):
// its dimensions derived from a Qwen3 config, its in_proj / conv1d row layout, and the fresh
// initialisation of the parts that are not copied from attention (facts/mamba-megatron.md
// §1.2–1.3). Values are seeded per (seed, tensor name) so any tensor can be regenerated alone.
// Usage: STRATA_TRY(auto dims, m1_dims(config, {.expand = 2}));  dims.in_proj_rows();  // 9248
//        m1_fill(M1Fresh::InProjZ, seed, name, dims, values);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "strata/status.h"

namespace strata {

struct M1Options {
    uint64_t expand = 2;   // d_inner = expand * hidden (M1 --expand; 2 for Qwen3-30B-A3B)
    uint64_t d_conv = 4;   // Mamba2 default kernel width
    uint64_t d_state = 0;  // 0 = head_dim (M1 forces headdim := d_state, so it must equal head_dim)
};

// M1 geometry: nheads = ngroups = attention heads, headdim = d_state = head_dim,
// x/B sized like K/V (d_xb = kv_heads * head_dim), C sized like Q (d_inner).
struct M1Dims {
    uint64_t hidden = 0, heads = 0, kv_heads = 0, head_dim = 0;
    uint64_t expand = 2, d_inner = 0, d_xb = 0, d_state = 0, d_conv = 4;
    uint64_t nheads() const { return heads; }
    uint64_t ngroups() const { return heads; }
    uint64_t repeat_group() const { return d_inner / d_xb; }  // heads per KV group (8 at 30B-A3B)

    // in_proj rows [z | x | B | C | dt] = d_inner | d_xb | d_xb | d_inner | nheads.
    uint64_t z_begin() const { return 0; }
    uint64_t x_begin() const { return d_inner; }
    uint64_t b_begin() const { return d_inner + d_xb; }
    uint64_t c_begin() const { return d_inner + 2 * d_xb; }
    uint64_t dt_begin() const { return 2 * d_inner + 2 * d_xb; }
    uint64_t in_proj_rows() const { return 2 * d_inner + 2 * d_xb + heads; }
    // conv1d channels [x | B | C] (repeat_kv_before_conv=False: conv on un-repeated x/B).
    uint64_t conv_dim() const { return d_inner + 2 * d_xb; }
};

// From a Qwen3 / Qwen3-MoE config.json. Checks M1's preconditions with one-line errors:
// expand*hidden == heads*head_dim (C <- q_proj must fill d_inner rows), d_state == head_dim,
// heads % kv_heads == 0.
Result<M1Dims> m1_dims(const nlohmann::json& config, const M1Options& options = {});
// From a hybrid's config.json with mamba_config.json merged under "mamba_config"
// (read_hf_config_beside): d_inner, d_xb, ssm_cfg {expand, ngroups, d_state, d_conv}.
Result<M1Dims> m1_dims_from_hybrid_config(const nlohmann::json& config);

// The freshly initialised parts of an M1 Mamba layer and their distributions (PyTorch
// defaults as M1 leaves them; facts/mamba-megatron.md §1.2–1.3):
//   InProjZ, InProjDt  nn.Linear kaiming_uniform(a=√5): U(−1/√hidden, +1/√hidden)
//   ConvWeight         nn.Conv1d depthwise, fan_in = d_conv: U(−1/√d_conv, +1/√d_conv)
//   ConvBias           same bound as the weight
//   ALog               log(U(1, 16))
//   DtBias             inverse softplus of dt = exp(U(ln 0.001, ln 0.1)) clamped ≥ 1e-4
//   D, NormWeight      ones
enum class M1Fresh { InProjZ, InProjDt, ConvWeight, ConvBias, ALog, DtBias, D, NormWeight };
const char* m1_fresh_name(M1Fresh part);  // "in_proj.z", "in_proj.dt", "conv1d.weight", ...

// Fills `out` (float values before rounding to the tensor's dtype), deterministic in
// (seed, name, part). `name` is the output tensor's name.
void m1_fill(M1Fresh part, uint64_t seed, std::string_view name, const M1Dims& dims, std::span<float> out);
// The bound b of the uniform parts (InProjZ/InProjDt/ConvWeight/ConvBias): values lie in [−b, b].
double m1_uniform_bound(M1Fresh part, const M1Dims& dims);

inline constexpr double kM1DtMin = 0.001, kM1DtMax = 0.1, kM1DtFloor = 1e-4;
inline constexpr double kM1ALow = 1.0, kM1AHigh = 16.0;

}  // namespace strata
