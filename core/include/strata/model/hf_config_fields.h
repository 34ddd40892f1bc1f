// Readers of the config.json fields several architecture families share (the decoder dims,
// Qwen3-MoE's sparse-layer rule, Gated DeltaNet dims and layer types, M1's mamba_config),
// each error naming the field. Families (core/src/architectures/) compose them into their
// Architecture::spec_from_hf_config; the VL wrapper's text_config is resolved here.
// Usage: STRATA_TRY(ModelSpec s, read_hf_common_spec(cfg)); STRATA_RETURN_IF_ERROR(read_hf_mlp_kinds(cfg, s, false));
#pragma once

#include <nlohmann/json.hpp>

#include "strata/model/model_spec.h"
#include "strata/status.h"

namespace strata {

// Dims, heads, vocab, experts, norms, rope, MTP and tied embeddings; model_type is the
// language model's type without "_text"; layer_kinds = attention + dense per layer.
Result<ModelSpec> read_hf_common_spec(const nlohmann::json& config);
// transformers' Qwen3-MoE rule: layer i is sparse iff not in mlp_only_layers and
// (i + 1) % decoder_sparse_step == 0; every layer when all_moe.
Status read_hf_mlp_kinds(const nlohmann::json& config, ModelSpec& spec, bool all_moe);
// linear_* GDN dims and the mixers from layer_types or full_attention_interval.
Status read_hf_gdn_fields(const nlohmann::json& config, ModelSpec& spec);
// M1's mamba_config (merged under "mamba_config" by read_hf_config_beside): Mamba dims and mixers.
Status read_hf_m1_fields(const nlohmann::json& config, ModelSpec& spec);
// "config.json: missing field 'KEY'" (or "config.json text_config: ...").
Status hf_missing_field(const nlohmann::json& config, const char* key);

}  // namespace strata
