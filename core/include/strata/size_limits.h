// Upper bounds on what a model description may declare, checked before anything is
// allocated from it: a hostile config.json or Megatron args (num_hidden_layers = 1e9,
// TP = 2^32+1) must give a one-line error, not a 24 GB allocation or a silent wrap.
// The bounds are far above any published model (the largest have ~100 layers, 512 experts).
// Usage: STRATA_RETURN_IF_ERROR(check_size_limit("num_hidden_layers", n, kMaxLayers));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

constexpr uint64_t kMaxLayers = 10'000;               // decoder layers (HF) or Megatron layers
constexpr uint64_t kMaxExperts = 65'536;              // routed experts per MoE layer
constexpr uint64_t kMaxDim = uint64_t{1} << 24;       // hidden, FFN, head dims, head counts
constexpr uint64_t kMaxVocab = uint64_t{1} << 28;     // vocabulary rows
constexpr uint64_t kMaxParallel = 1'000'000;          // any one parallel size (TP, PP, EP...)
constexpr uint64_t kMaxJsonDepth = 64;                // nesting of any JSON file Strata reads
constexpr uint64_t kMaxJsonFileBytes = 256ull << 20;  // config.json, index.json, mamba_config.json
constexpr uint64_t kMaxSmallTextBytes = 4096;         // latest_checkpointed_iteration.txt and similar

// InvalidArgument "<what> <value> exceeds the limit of <limit>" when value > limit.
inline Status check_size_limit(std::string_view what, uint64_t value, uint64_t limit) {
    if (value <= limit) return Status::ok();
    return Status::invalid_argument(std::string(what) + " " + std::to_string(value) + " exceeds the limit of " +
                                    std::to_string(limit));
}

}  // namespace strata
