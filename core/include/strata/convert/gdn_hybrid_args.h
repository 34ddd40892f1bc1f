// Gated DeltaNet hybrids (Qwen3-Next, Qwen3.5 dense / MoE) in the conversion engine: the
// ModelSpec their tables expand against, the Megatron args of a GDN model (the
// gated_delta_net attention variant, linear_attention_freq, GDN dims, gated attention,
// zero-centred norms, shared expert, MTP) and their inverse, and HF layout detection
// (packed vs per-expert experts in the decoder and in MTP). The engine calls these where a
// config's model_type or the args name a GDN hybrid.
// Usage: if (is_gdn_hybrid_config(cfg)) STRATA_TRY(auto spec, gdn_hybrid_mapping_spec(cfg));
#pragma once

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint.h"
#include "strata/mapping/layout.h"
#include "strata/model/model_spec.h"
#include "strata/status.h"

namespace strata {

// model_type qwen3_next, qwen3_5(_text), qwen3_5_moe(_text), or a VL wrapper of them.
bool is_gdn_hybrid_config(const nlohmann::json& config);
// model_spec_from_hf_config with model_type without "_text" (the table's name).
Result<ModelSpec> gdn_hybrid_mapping_spec(const nlohmann::json& config);

// Adds the GDN fields to the GPT args megatron_args_for() builds (Megatron-Bridge
// qwen3_next / qwen35 providers, facts bridge-mappings §3.7-3.8), and config.json itself
// (strata_hf_config) so the way back is exact.
void add_gdn_hybrid_megatron_args(const nlohmann::json& hf_config, const Layout& layout, nlohmann::json& args);
// True when args name experimental_attention_variant = gated_delta_net.
bool is_gdn_hybrid_megatron_args(const nlohmann::json& args);
// config.json from args: Strata's saved copy when present, else rebuilt from the fields
// (model_type from hf_model_type, or qwen3_5 / qwen3_5_moe).
Result<nlohmann::json> gdn_hybrid_config_from_megatron_args(const nlohmann::json& args);

// HF layout of a GDN checkpoint from its names: decoder experts packed (gate_up_proj,
// LayoutKind::HfFusedV5) or per expert (Hf), MTP experts packed (Qwen3.6) or per expert
// (Qwen3.5). A decoder or MTP block holding both forms is an error naming one of each.
Status detect_gdn_hybrid_hf_options(const Checkpoint& ckpt, LayoutOptions& options);

}  // namespace strata
