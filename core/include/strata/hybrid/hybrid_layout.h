// M1 hybrids in the conversion engine: the canonical HF tensor list of a hybrid (config.json
// + mamba_config.json), the ModelSpec the m1_hybrid mapping table expands against (it counts
// Megatron decoder layers: HF layer i = mixer slot 2i + MoE/MLP slot 2i+1), the Megatron args
// of a hybrid (pattern, mamba_* sizes) and their inverse, and layout detection from names.
// The engine calls these where a config holds "mamba_config" or args hold a hybrid pattern.
// Usage: if (is_m1_hybrid_config(cfg)) STRATA_TRY(auto entries, m1_hybrid_tensor_entries(cfg, DType::BF16));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint.h"
#include "strata/formats/tensor_entry.h"
#include "strata/hybrid/m1_mamba.h"
#include "strata/mapping/canonical_view.h"
#include "strata/mapping/layout.h"
#include "strata/model/model_spec.h"
#include "strata/status.h"

namespace strata {

constexpr const char* kM1HybridModelType = "m1_hybrid";  // the mapping table's name

const char* mamba_layout_name(MambaLayout layout);  // "m1", "exact"
std::optional<MambaLayout> parse_mamba_layout(std::string_view name);

// True when config.json came with M1's mamba_config.json (merged under "mamba_config").
bool is_m1_hybrid_config(const nlohmann::json& config);
// HF layers kept as attention (mamba_config.attn_layers), validated against n_layer.
Result<std::vector<int>> m1_attn_layers(const nlohmann::json& config);

// The tensors of an M1 mamba layer, in Mamba2's state-dict order (dt_bias, A_log, D, in_proj,
// conv1d.weight, conv1d.bias, norm.weight, out_proj); D is float32 as M1 saves it.
std::vector<TensorEntry> m1_mamba_layer_entries(int layer, const M1Dims& dims, DType dtype);
// Every tensor of the hybrid HF checkpoint (what hybridize writes), in state-dict order.
Result<std::vector<TensorEntry>> m1_hybrid_tensor_entries(const nlohmann::json& config, DType dtype);

// The spec the m1_hybrid table expands against: the Qwen3 dims, model_type "m1_hybrid",
// layers = 2 * HF layers (Megatron decoder layers), layer_kinds per HF layer, mamba dims
// (n_groups = heads, x_db = d_xb) and megatron_pattern.
Result<ModelSpec> m1_hybrid_mapping_spec(const nlohmann::json& config);

// The hybrid's Megatron pattern for a layout ('*'/'M' then 'E', or '-' without moe_symbol_e).
Result<std::string> m1_hybrid_pattern(const ModelSpec& spec, const LayoutOptions& options);

// Megatron args of a hybrid, added to the GPT args megatron_args_for() builds: the pattern
// (hybrid_override_pattern and hybrid_layer_pattern, ratios 0 so any pattern is accepted),
// mamba_num_heads/head_dim/state_dim/num_groups/d_conv/expand, the Strata layout marker and
// M1's mamba_config.json text so the way back is exact.
void add_m1_hybrid_megatron_args(const nlohmann::json& hf_config, const Layout& layout, nlohmann::json& args);
// True when args describe a hybrid (a hybrid pattern, or Strata's M1 marker).
bool is_m1_hybrid_megatron_args(const nlohmann::json& args);
// config.json (with "mamba_config") of a hybrid from its args; the GPT part comes from
// hf_config_from_megatron_args over the args with num_layers = HF layers.
Result<nlohmann::json> m1_hybrid_config_from_megatron_args(const nlohmann::json& args);
// Sets the hybrid layout options of a Megatron hybrid checkpoint from its names and args:
// mamba row layout, conv1d parameter names, 'E' or '-' MoE slots, TE or local norms.
Status detect_m1_hybrid_options(const Checkpoint& ckpt, LayoutOptions& options);

// Lines to print for a Megatron hybrid target (empty for other layouts): the hybrid pattern
// written into args, then "warning: ..." with the reason when the Mamba layout is not
// function-preserving in stock Megatron (the m1 layout has stock row counts, not its split).
std::vector<std::string> m1_hybrid_layout_messages(const Layout& layout);
// --megatron-version for hybrids: "0.15", "core_v0.16.0", "0.19", "main". Sets conv1d_params
// (mixer.conv1d_weight from core v0.19) and moe_symbol_e ('E' from v0.16).
Status apply_megatron_version(std::string_view text, LayoutOptions& options);

// Reading an exact-layout Megatron hybrid keeps one x/B block per KV group (M1's canonical form),
// which is exact only while the repeated per-head copies are still equal. Checks every copy
// against the one read; InvalidArgument naming the tensor, file and head when they differ.
Status check_m1_tied_replicas(const CanonicalView& view);

// config.json plus mamba_config.json (when the config carries "mamba_config") into `folder`.
Status write_hf_config_files(const std::filesystem::path& folder, const nlohmann::json& config);

}  // namespace strata
