// Architecture: everything one model family knows, behind one interface, the way
// FormatHandler is for formats. A family is one folder core/src/architectures/<family>/
// (HF config.json <-> ModelSpec, HF tensor list, Megatron args both ways, mapping tables,
// forward wiring, synth presets) plus one line in core/src/architectures/list.inc.
// Engine code asks the registry below and never compares a model_type itself.
// Usage: STRATA_TRY(const Architecture* arch, architecture_for_hf_config(config));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/dtype.h"
#include "strata/formats/tensor_entry.h"
#include "strata/model/model_spec.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/status.h"

namespace strata {

class Checkpoint;
class CanonicalView;
class MappingRegistry;
struct Layout;
struct LayoutOptions;
struct SynthPreset;

// The HF tensor names the reference forward reads: layer l's tensors are under
// `layers + l + "."`; each block's module sits under the layer (Qwen3: self_attn., mlp.;
// Nemotron-H: mixer. for every block, one norm.weight per layer).
struct ForwardNames {
    std::string embed = "model.embed_tokens.weight";
    std::string final_norm = "model.norm.weight";
    std::string lm_head = "lm_head.weight";
    std::string layers = "model.layers.";
    std::string mixer_norm = "input_layernorm.weight";
    std::string mlp_norm = "post_attention_layernorm.weight";
    std::string attention = "self_attn.";
    std::string mamba = "mamba.";
    std::string mlp = "mlp.";
    std::string shared_expert = "shared_expert.";  // under the MoE block's module
};

// How the reference forward runs a family's blocks (forward/forward.cpp reads these).
struct ForwardTraits {
    bool supported = false;
    // RMSNorm weights stored zero-centred: input, post-attention, final, q/k norms apply (1 + w).
    bool zero_centred_norms = false;
    // The family's modules include gated DeltaNet mixers, gated attention and shared experts.
    bool gated_modules = false;
    // Gated DeltaNet in_proj_qkvz / in_proj_ba grouped per key head (else separate projections).
    bool grouped_gdn_projection = false;
    // When no canonical view can be built, an HF folder may still be read by its stored names.
    bool hf_names_fallback = false;
    // Mamba2 mixers in the standard layout (in_proj [z | x | B | C | dt], n_groups B/C groups)
    // rather than M1's (KV-sized x/B repeated per head).
    bool standard_mamba2 = false;
    // The shared expert's output is added as is (Nemotron-H), not through a sigmoid gate (Qwen3-Next).
    bool ungated_shared_expert = false;
    ForwardNames names;
};

// How well a config or args match a family: the registry takes the highest, the first
// registered on ties. Generic families (a plain GPT) answer kFallback, specific ones kExact.
enum class ArchMatch { kNone = 0, kFallback = 1, kExact = 2 };

class Architecture {
public:
    virtual ~Architecture() = default;

    // The folder name ("qwen3", "m1_hybrid", "gdn_hybrid") and the model types it owns, for
    // messages ("qwen3, qwen3_moe").
    virtual const char* name() const = 0;
    virtual std::string supported_text() const = 0;
    // True when spec.model_type (as the HF reader or a mapping spec sets it) is this family's.
    virtual bool owns_model_type(std::string_view model_type) const = 0;

    // --- HF config.json (VL wrappers included) ---
    virtual ArchMatch match_hf_config(const nlohmann::json& config, std::string_view model_type) const = 0;
    // The full ModelSpec (strict: every field checked, errors name it).
    virtual Result<ModelSpec> spec_from_hf_config(const nlohmann::json& config) const = 0;
    // The ModelSpec the mapping tables expand against (model_type = the table's name).
    virtual Result<ModelSpec> mapping_spec_from_hf_config(const nlohmann::json& config) const = 0;
    // The tensors transformers' save_pretrained writes, in state-dict order.
    virtual Result<std::vector<TensorEntry>> hf_tensor_entries(const nlohmann::json& config, DType dtype) const = 0;
    // Layout details only the stored names tell (packed experts...), for an HF checkpoint.
    virtual Status detect_hf_options(const Checkpoint&, LayoutOptions&) const { return Status::ok(); }

    // --- Megatron args ---
    virtual ArchMatch match_megatron_args(const nlohmann::json& args) const = 0;
    virtual Result<nlohmann::json> hf_config_from_megatron_args(const nlohmann::json& args) const = 0;
    // The spec plan and inspect use for a Megatron checkpoint: the generic reading of GPT and
    // hybrid args (read_megatron_args_spec) unless the family knows better.
    virtual Result<ModelSpec> spec_from_megatron_args(const nlohmann::json& args) const {
        return read_megatron_args_spec(args);
    }
    // Adds the family's fields to the GPT args convert/megatron_args.cpp builds.
    virtual void add_megatron_args(const nlohmann::json& /*hf_config*/, const Layout& /*layout*/,
                                   nlohmann::json& /*args*/) const {}
    virtual Status detect_megatron_options(const Checkpoint&, LayoutOptions&) const { return Status::ok(); }

    // --- Mapping tables ---
    // The table named `model_type` when it is this family's, else nullptr.
    virtual const MappingRegistry* mapping_registry(std::string_view model_type) const = 0;
    virtual std::vector<std::string> mapping_table_names() const = 0;
    // Checks on a source view before it is converted, and lines to log about a target layout.
    virtual Status check_source_view(const CanonicalView&) const { return Status::ok(); }
    virtual std::vector<std::string> layout_messages(const Layout&) const { return {}; }

    // --- Forward ---
    virtual ForwardTraits forward_traits(const ModelSpec& /*spec*/) const { return {}; }
    // Family defaults transformers applies that config.json does not spell (norm_topk_prob...).
    virtual void adjust_forward_spec(ModelSpec& /*spec*/, const nlohmann::json& /*hf_config*/,
                                     bool /*megatron_source*/) const {}

    // --- Layer pattern ---
    // How the family's HF layers sit on a Megatron pattern: a mixer slot plus an MLP slot each,
    // unless the family stores one module per layer (Nemotron-H: one HF layer per symbol).
    virtual HfLayerConvention hf_layer_convention() const { return HfLayerConvention::MixerThenMlp; }

    // --- Transformer -> M1 hybrid (strata hybridize) ---
    virtual bool m1_hybridize_source() const { return false; }

    // --- Synth presets (appended in registration order) ---
    virtual void add_synth_presets(std::vector<SynthPreset>& /*out*/) const {}
};

// Every registered family, in the order of core/src/architectures/list.inc.
const std::vector<const Architecture*>& architectures();
// The family of a config.json; Unsupported lists the supported model types.
Result<const Architecture*> architecture_for_hf_config(const nlohmann::json& config,
                                                       const Architecture* exclude = nullptr);
// The family of Megatron args; Unsupported when no family claims them.
Result<const Architecture*> architecture_for_megatron_args(const nlohmann::json& args);
// The family owning spec.model_type (a mapping table name or an HF model type).
Result<const Architecture*> architecture_for_model_type(std::string_view model_type);

// The HF layer convention of spec's family (hf_layer_convention()); MixerThenMlp when no family
// owns spec.model_type (a spec built by hand, a model read from Megatron args alone).
HfLayerConvention hf_layer_convention_for(const ModelSpec& spec);

// The model type of a config.json as families see it: the text config's for a VL wrapper
// (Qwen3_5ForConditionalGeneration keeps the LM under text_config), without a "_text" suffix.
// InvalidArgument ("config.json: missing field 'model_type'") when there is none.
Result<std::string> hf_model_type(const nlohmann::json& config);

}  // namespace strata
