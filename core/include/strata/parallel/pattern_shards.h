// Pattern shards: the per-rank shards of a model trained with a Megatron hybrid pattern.
// shard_layout() lays out the model its config.json describes, whatever pattern a plan is
// checked against, so a pattern that turns attention layers into Mamba2 (a Pattern-tab
// design) would be shown the transformer's bytes. Here the pattern decides what is laid out:
// the model itself when the pattern has the model's layer kinds, or the M1 hybrid that
// `strata hybridize --attn-layers` makes of it when the pattern only swaps attention and
// Mamba2 mixers; any other difference is refused with the layer and both kinds. The layout's
// pipeline stages must then be the pattern's (even split, or its '|' segments).
// Usage: STRATA_TRY(auto ps, pattern_shard_layout(hf_config, pattern, options, version));
//        show(ps.layout, ps.basis);
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "strata/parallel/shard_layout.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/status.h"

namespace strata {

struct PatternShardLayout {
    ShardLayout layout;
    // What was laid out, one line: "the model's own layers", or "the M1 hybrid of the model
    // with attn_layers 0,3, as `strata hybridize` writes it".
    std::string basis;
};

// `hf_config` as shard_layout takes it (config.json, with M1's mamba_config.json merged under
// "mamba_config"). Errors: InvalidArgument when the pattern has no per-HF-layer form or another
// layer count; Unsupported when no checkpoint of this model has the pattern's tensors, or when
// the Megatron layout splits pipeline stages elsewhere than the pattern; shard_layout's own.
Result<PatternShardLayout> pattern_shard_layout(const nlohmann::json& hf_config, const LayerPattern& pattern,
                                                const ShardLayoutOptions& options,
                                                MegatronVersion version = kDefaultMegatronVersion);

}  // namespace strata
