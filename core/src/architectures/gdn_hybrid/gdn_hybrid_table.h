// The rules Qwen3-Next and Qwen3.5 (dense, MoE) share: Megatron GPTModel with the
// gated_delta_net attention variant, shared experts and MTP, plus the HF packed-expert
// layouts. Each architecture file passes its GDN in_proj rule and MLP kind.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "strata/mapping/mapping_registry.h"

namespace strata {

struct GdnTable {
    // The in_proj rule: canonical roles (relative to "model.layers.*.linear_attn.") and kind.
    std::vector<std::pair<std::string, std::string>> in_proj;
    MappingPtr in_proj_kind;
    bool moe = true;  // routed + shared experts; false: the dense SwiGLU MLP
    // Also map the VL wrapper's decoder under "model.language_model." (Qwen3.5 dense / MoE
    // ForConditionalGeneration; Qwen3-Next has no VL wrapper).
    bool vl_wrapper = false;
};

void add_gdn_hybrid_rules(MappingRegistry& r, const GdnTable& table);

}  // namespace strata
