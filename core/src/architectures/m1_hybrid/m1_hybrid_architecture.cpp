// M1 hybrids (jingshenghang/M1: a Qwen3(-MoE) whose attention layers outside attn_layers became
// Mamba2 mixers; config.json + mamba_config.json) as an Architecture. The knowledge itself lives
// beside this file: hybrid_layout.cpp (HF tensor list, Megatron args, layout detection) and
// m1_hybrid_table.cpp (the mapping table); facts/mamba-megatron.md.
#include "strata/hybrid/hybrid_layout.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/architecture.h"
#include "strata/model/hf_config_fields.h"

namespace strata {
namespace {

using nlohmann::json;

class M1HybridArchitecture final : public Architecture {
public:
    const char* name() const override { return "m1_hybrid"; }
    std::string supported_text() const override { return "M1 hybrids of those with mamba_config.json"; }
    bool owns_model_type(std::string_view t) const override { return t == kM1HybridModelType; }

    // config.json of the source transformer plus mamba_config.json: more specific than the base.
    ArchMatch match_hf_config(const json& config, std::string_view) const override {
        return is_m1_hybrid_config(config) ? ArchMatch::kExact : ArchMatch::kNone;
    }

    Result<ModelSpec> spec_from_hf_config(const json& config) const override {
        STRATA_TRY(const Architecture* base, architecture_for_hf_config(config, this));
        STRATA_TRY(ModelSpec spec, base->spec_from_hf_config(config));
        STRATA_RETURN_IF_ERROR(read_hf_m1_fields(config, spec));
        spec.model_type = kM1HybridModelType;
        return spec;
    }
    Result<ModelSpec> mapping_spec_from_hf_config(const json& config) const override {
        return m1_hybrid_mapping_spec(config);
    }
    Result<std::vector<TensorEntry>> hf_tensor_entries(const json& config, DType dtype) const override {
        return m1_hybrid_tensor_entries(config, dtype);
    }

    ArchMatch match_megatron_args(const json& args) const override {
        return is_m1_hybrid_megatron_args(args) ? ArchMatch::kExact : ArchMatch::kNone;
    }
    Result<json> hf_config_from_megatron_args(const json& args) const override {
        return m1_hybrid_config_from_megatron_args(args);
    }
    void add_megatron_args(const json& hf_config, const Layout& layout, json& args) const override {
        add_m1_hybrid_megatron_args(hf_config, layout, args);
    }
    Status detect_megatron_options(const Checkpoint& ckpt, LayoutOptions& options) const override {
        return detect_m1_hybrid_options(ckpt, options);
    }

    const MappingRegistry* mapping_registry(std::string_view model_type) const override {
        static const MappingRegistry kM1Hybrid = build_m1_hybrid_registry();
        return model_type == kM1Hybrid.model_type() ? &kM1Hybrid : nullptr;
    }
    std::vector<std::string> mapping_table_names() const override { return {kM1HybridModelType}; }
    Status check_source_view(const CanonicalView& view) const override { return check_m1_tied_replicas(view); }
    std::vector<std::string> layout_messages(const Layout& layout) const override {
        return m1_hybrid_layout_messages(layout);
    }

    ForwardTraits forward_traits(const ModelSpec&) const override {
        ForwardTraits t;
        t.supported = true;
        t.hf_names_fallback = true;
        return t;
    }
};

}  // namespace

const Architecture& m1_hybrid_architecture() {
    static const M1HybridArchitecture kArch;
    return kArch;
}

}  // namespace strata
