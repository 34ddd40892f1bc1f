// The Megatron GPTModel rules dense Qwen3 and Qwen3-MoE share: embeddings, final
// norm, the input norm (TE-fused or local) and the attention block with QK norms
// (Megatron-Bridge qwen3_bridge.py / qwen3_moe_bridge.py, facts bridge-mappings §2.1).
// Usage: MappingRegistry r("qwen3", "..."); add_qwen3_gpt_rules(r); r.add(... MLP rules ...);
#pragma once

#include "strata/mapping/mapping_registry.h"

namespace strata {

void add_qwen3_gpt_rules(MappingRegistry& r);

}  // namespace strata
