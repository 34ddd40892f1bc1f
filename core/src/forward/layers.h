// The blocks of one decoder layer for the reference forward. Each takes the normed
// hidden states h [tokens, hidden] and returns the block's output (before the residual add).
// layers.cpp: attention (plain or gated, with or without RoPE), dense MLP (SwiGLU or squared
// ReLU), MoE (+ shared expert), Mamba2 (M1's layout and the standard one);
// gdn_layers.cpp: Gated DeltaNet.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "forward/forward_internal.h"
#include "strata/model/architecture.h"

namespace strata::fwd {

inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }


template <class T>
std::span<const T> cs(const std::vector<T>& v) {
    return {v.data(), v.size()};
}

struct LayerCtx {
    const ModelSpec& spec;
    const WeightSource& w;
    Exec& ex;
    Residency& res;
    const CancelToken& cancel;
    std::span<const int32_t> positions;  // 0..tokens-1
    int64_t tokens = 0;
    // Qwen3-Next family: input/post-attention/final/q/k norms apply (1 + w).
    bool zero_centred_norms = false;
    // Qwen3-Next: GDN in_proj_qkvz / in_proj_ba grouped per key head (ForwardTraits).
    bool grouped_gdn_projection = false;
    const ForwardNames& names;
    bool ungated_shared_expert = false;  // ForwardTraits
};

// "model.layers.<layer>." (the family's ForwardNames::layers) followed by `module`.
inline std::string layer_prefix(const LayerCtx& c, int layer, const std::string& module = {}) {
    return c.names.layers + std::to_string(layer) + "." + module;
}

Status attention_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
Status dense_mlp_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
Status moe_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
// M1's Mamba2 layout (KV-sized x/B repeated per head) and the standard one (n_groups B/C groups).
Status mamba_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
Status mamba2_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
// Qwen3-Next / Qwen3.5 Gated DeltaNet mixer (gdn_layers.cpp).
Status gdn_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
// down(silu(gate(x)) * up(x)) with the weights under prefix `p` (".gate_proj.weight"...).
Status swiglu(const LayerCtx& c, const std::string& p, std::span<const float> x, int64_t rows, uint64_t ffn,
              std::vector<float>& out);
// down(relu(up(x))^2) with the weights under prefix `p` (Nemotron-H MLPs and experts).
Status squared_relu_mlp(const LayerCtx& c, const std::string& p, std::span<const float> x, int64_t rows, uint64_t ffn,
                        std::vector<float>& out);

}  // namespace strata::fwd
