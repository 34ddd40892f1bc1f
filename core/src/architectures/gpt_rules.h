// The Megatron GPTModel rules the GPT-style families share (Megatron-Bridge qwen3_bridge.py,
// qwen3_moe_bridge.py, llama_bridge.py; facts bridge-mappings §2.1): embeddings, output layer and
// final norm; the input norm (TE-fused into linear_qkv or local) and the attention block, with
// Qwen3's q/k layernorms when the family has them; the dense SwiGLU MLP with its pre-MLP norm.
// Usage: MappingRegistry r("llama", "..."); add_gpt_attention_rules(r, GptQkNorm::No); add_gpt_dense_mlp_rules(r);
#pragma once

#include "strata/mapping/mapping_registry.h"

namespace strata {

enum class GptQkNorm { No, Yes };

void add_gpt_attention_rules(MappingRegistry& r, GptQkNorm qk_norm);
void add_gpt_dense_mlp_rules(MappingRegistry& r);

}  // namespace strata
