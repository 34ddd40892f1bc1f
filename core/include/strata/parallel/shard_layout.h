// ShardLayout: which Megatron rank file holds which slice of each canonical tensor,
// the bytes and parameters per rank, and a per-rank training memory estimate. It is
// the Megatron layout's pieces (mapping/layout.h) summed instead of executed, so the
// numbers are exactly what `strata convert --to megatron` would write.
// Usage: STRATA_TRY(auto sl, shard_layout(hf_config, plan)); std::cout << shard_layout_text(sl);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/mapping/layout.h"
#include "strata/status.h"

namespace strata {

struct ShardSlice {
    uint32_t canonical = 0;  // index into ShardLayout::layout.canonical
    Box box;
    uint32_t tensor = 0;  // the stored tensor (index into layout.tensors)
};

// Training memory per rank (bytes). Weights in the checkpoint dtype; grads as fp32
// main grads (4 B/param); Adam as fp32 master + m + v (12 B/param), divided by the
// data-parallel size (expert params: the expert-data-parallel size) with the
// distributed optimizer.
struct RankMemory {
    uint64_t weights = 0;
    uint64_t grads = 0;
    uint64_t optimizer = 0;
    uint64_t total() const { return weights + grads + optimizer; }
};

struct RankShard {
    RankCoord rank;
    std::string file;         // "mp_rank_00_001/model_optim_rng.pt"
    uint64_t parameters = 0;  // elements stored in this rank's file (padding included)
    uint64_t expert_parameters = 0;
    uint64_t bytes = 0;
    std::vector<ShardSlice> slices;
    RankMemory memory;              // plain Adam
    RankMemory memory_distributed;  // with --use-distributed-optimizer
};

struct ShardLayoutOptions {
    LayoutOptions layout;  // kind is forced to Megatron; plan, experts, norms, padding used
    int dp = 1;            // data-parallel size for the distributed-optimizer estimate
};

struct ShardLayout {
    Layout layout;
    std::vector<RankShard> ranks;  // one per rank file, in file order
    uint64_t max_rank_bytes() const;
};

// For an HF config.json of an architecture with a mapping table.
Result<ShardLayout> shard_layout(const nlohmann::json& hf_config, const ShardLayoutOptions& options);

// The same sums over any layout already built (a checkpoint's own, an HF one: one rank file "").
ShardLayout shard_layout_of(Layout layout, int dp = 1);

// Same, for a synth preset name ("qwen3-30b-a3b") or a checkpoint path (HF config.json
// or Megatron args are read; no tensor data is touched).
Result<ShardLayout> shard_layout_for(const std::string& model_or_preset, const ShardLayoutOptions& options);
// The HF config shard_layout_for lays out: a preset's, or the one a checkpoint's layout detects.
Result<nlohmann::json> model_hf_config(const std::string& model_or_preset);

// A table: rank, file, params, bytes, weights+grads+Adam (plain / distributed).
std::string shard_layout_text(const ShardLayout& layout);
nlohmann::json shard_layout_json(const ShardLayout& layout, bool slices = false);

}  // namespace strata
