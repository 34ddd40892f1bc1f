// Megatron args <-> HF config.json for the architectures with mapping tables.
// megatron_args_for() builds the args Namespace a legacy checkpoint carries (the
// fields Megatron's check_checkpoint_args and model builders read: parallel sizes,
// num_layers, hidden/ffn/moe sizes, heads, query groups, kv_channels, padded vocab,
// normalization, swiglu, qk_layernorm, num_experts, moe_router_topk, ...), with the
// HF -> Megatron names of Megatron-Bridge CONFIG_MAPPING (facts bridge-mappings §2.2).
// hf_config_from_megatron_args() is the inverse (megatron_to_hf_config).
// Usage: auto args = megatron_args_for(hf_config, layout); STRATA_TRY(auto cfg, hf_config_from_megatron_args(args));
#pragma once

#include <nlohmann/json.hpp>

#include "strata/mapping/layout.h"
#include "strata/megatron/megatron_rules.h"  // parallel_plan_from_megatron_args
#include "strata/model/model_spec.h"
#include "strata/status.h"

namespace strata {

// The ModelSpec fields the mapping tables use (dims, experts, vocab, tied embeddings),
// from an HF config.json of a model_type with a mapping table.
Result<ModelSpec> mapping_spec_from_hf_config(const nlohmann::json& config);

// Args for a Megatron layout of the model described by `hf_config`.
nlohmann::json megatron_args_for(const nlohmann::json& hf_config, const Layout& layout, int iteration);

// Rebuilds config.json from args; Unsupported when the args describe no known architecture.
Result<nlohmann::json> hf_config_from_megatron_args(const nlohmann::json& args);

}  // namespace strata
