// The blocks of one decoder layer for the reference forward. Each takes the normed
// hidden states h [tokens, hidden] and returns the block's output (before the residual add).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "forward/forward_internal.h"

namespace strata::fwd {

struct LayerCtx {
    const ModelSpec& spec;
    const WeightSource& w;
    Exec& ex;
    Residency& res;
    const CancelToken& cancel;
    std::span<const int32_t> positions;  // 0..tokens-1
    int64_t tokens = 0;
};

Status attention_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
Status dense_mlp_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
Status moe_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
Status mamba_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out);
// down(silu(gate(x)) * up(x)) with the weights under prefix `p` (".gate_proj.weight"...).
Status swiglu(const LayerCtx& c, const std::string& p, std::span<const float> x, int64_t rows, uint64_t ffn,
              std::vector<float>& out);

}  // namespace strata::fwd
