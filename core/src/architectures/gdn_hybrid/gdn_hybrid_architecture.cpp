// Gated DeltaNet hybrids as an Architecture: transformers' Qwen3NextForCausalLM,
// Qwen3_5(Moe)ForCausalLM and the Qwen3_5(Moe)ForConditionalGeneration wrappers (language model
// only). The knowledge lives beside this file: hf_layout_gdn.cpp (HF tensor list),
// gdn_hybrid_args.cpp (Megatron args, layout detection), gdn_hybrid_table.cpp + qwen3_next.cpp +
// qwen3_5.cpp (mapping tables), presets.cpp; facts/bridge-mappings.md §3.
#include "gdn_hybrid.h"

#include "strata/convert/gdn_hybrid_args.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/hf_config_fields.h"
#include "strata/model/hf_layout.h"

namespace strata {
namespace {

using nlohmann::json;

class GdnHybridArchitecture final : public Architecture {
public:
    const char* name() const override { return "gdn_hybrid"; }
    std::string supported_text() const override { return "qwen3_next, qwen3_5, qwen3_5_moe (and their VL wrappers)"; }
    bool owns_model_type(std::string_view t) const override { return is_gdn_hybrid_model_type(t); }

    ArchMatch match_hf_config(const json&, std::string_view type) const override {
        return is_gdn_hybrid_model_type(type) ? ArchMatch::kFallback : ArchMatch::kNone;
    }

    Result<ModelSpec> spec_from_hf_config(const json& config) const override {
        STRATA_TRY(ModelSpec spec, read_hf_common_spec(config));
        spec.qk_norm = true;  // every Qwen3-family attention has q_norm/k_norm
        if (spec.model_type == "qwen3_5") {
            if (spec.ffn == 0) return hf_missing_field(config, "intermediate_size");
            spec.experts = 0;
        }
        STRATA_RETURN_IF_ERROR(read_hf_mlp_kinds(config, spec, spec.model_type == "qwen3_5_moe"));
        spec.attention_output_gate = true;
        STRATA_RETURN_IF_ERROR(read_hf_gdn_fields(config, spec));
        if (spec.has_mlp(MlpKind::Dense) && spec.ffn == 0) return hf_missing_field(config, "intermediate_size");
        return spec;
    }
    Result<ModelSpec> mapping_spec_from_hf_config(const json& config) const override {
        return gdn_hybrid_mapping_spec(config);
    }
    Result<std::vector<TensorEntry>> hf_tensor_entries(const json& config, DType dtype) const override {
        return gdn_hybrid_tensor_entries(config, dtype);
    }
    Status detect_hf_options(const Checkpoint& ckpt, LayoutOptions& options) const override {
        return detect_gdn_hybrid_hf_options(ckpt, options);
    }

    ArchMatch match_megatron_args(const json& args) const override {
        return is_gdn_hybrid_megatron_args(args) ? ArchMatch::kExact : ArchMatch::kNone;
    }
    Result<json> hf_config_from_megatron_args(const json& args) const override {
        return gdn_hybrid_config_from_megatron_args(args);
    }
    void add_megatron_args(const json& hf_config, const Layout& layout, json& args) const override {
        add_gdn_hybrid_megatron_args(hf_config, layout, args);
    }

    const MappingRegistry* mapping_registry(std::string_view model_type) const override {
        static const MappingRegistry kQwen3Next = build_qwen3_next_registry();
        static const MappingRegistry kQwen35 = build_qwen3_5_registry();
        static const MappingRegistry kQwen35Moe = build_qwen3_5_moe_registry();
        for (const MappingRegistry* r : {&kQwen3Next, &kQwen35, &kQwen35Moe})
            if (model_type == r->model_type()) return r;
        return nullptr;
    }
    std::vector<std::string> mapping_table_names() const override { return {"qwen3_next", "qwen3_5", "qwen3_5_moe"}; }

    // Qwen3NextRMSNorm and its Qwen3.5 subclasses store every RMSNorm weight zero-centred;
    // Qwen3-Next groups in_proj_qkvz / in_proj_ba per key head, Qwen3.5 keeps them separate.
    ForwardTraits forward_traits(const ModelSpec& spec) const override {
        ForwardTraits t;
        t.supported = true;
        t.zero_centred_norms = true;
        t.gated_modules = true;
        t.grouped_gdn_projection = spec.model_type == "qwen3_next";
        return t;
    }
    // Qwen3.5-MoE's router (Qwen3VLMoeTextTopKRouter) always renormalises; its config has no such field.
    void adjust_forward_spec(ModelSpec& spec, const json&, bool) const override {
        if (spec.model_type == "qwen3_5_moe") spec.norm_topk_prob = true;
    }

    void add_synth_presets(std::vector<SynthPreset>& out) const override { add_gdn_hybrid_presets(out); }
};

}  // namespace

const Architecture& gdn_hybrid_architecture() {
    static const GdnHybridArchitecture kArch;
    return kArch;
}

}  // namespace strata
