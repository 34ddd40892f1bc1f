#include "model_source.h"

#include <filesystem>

#include "strata/formats/format_registry.h"
#include "strata/model/hf_config.h"
#include "strata/synth/synth.h"

namespace strata::cli {

Result<ModelSpec> load_model_spec(const std::string& model) {
    STRATA_TRY(auto source, load_model_source(model));
    return source.spec;
}

Result<ModelSource> load_model_source(const std::string& model) {
    if (const SynthPreset* preset = find_synth_preset(model)) {
        STRATA_TRY(auto spec, model_spec_from_hf_config(preset->config));
        return ModelSource{spec, preset->config, false};
    }
    std::error_code ec;
    if (!std::filesystem::exists(model, ec)) {
        std::string names;
        for (const auto& p : synth_presets()) names += (names.empty() ? "" : ", ") + p.name;
        return Status::not_found("'" + model + "' is neither a checkpoint path nor a preset (" + names + ")");
    }
    nlohmann::json config;
    // A folder's config.json (with M1's mamba_config.json merged) needs no tensor parsing.
    if (std::filesystem::is_directory(model, ec)) {
        STRATA_TRY(config, read_hf_config_beside(model));
    }
    if (config.is_null()) {
        STRATA_TRY(auto ckpt, open_checkpoint(model));
        config = ckpt.config;
    }
    if (config.is_null()) return Status::not_found("no config.json or Megatron args").in_file(model);
    // Megatron args name the depth num_layers; HF configs num_hidden_layers (or a text_config).
    const bool megatron = config.contains("num_layers") && !config.contains("num_hidden_layers");
    auto spec = megatron ? model_spec_from_megatron_args(config) : model_spec_from_hf_config(config);
    if (!spec) return spec.status().in_file(model);
    return ModelSource{*spec, config, megatron};
}

}  // namespace strata::cli
