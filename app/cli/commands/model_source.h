// Resolving a MODEL argument for `strata pattern` and `strata plan`: a synth preset name
// ("qwen3-30b-a3b") or a checkpoint file/folder whose config (HF config.json or Megatron
// args) becomes a ModelSpec.
// Usage: auto spec = load_model_spec("qwen3-30b-a3b"); check(spec.status());
#pragma once

#include <string>

#include "strata/model/model_spec.h"

namespace strata::cli {

struct ModelSource {
    ModelSpec spec;
    nlohmann::json config;  // the HF config.json (or Megatron args) it was read from
    bool megatron_args = false;
};

Result<ModelSource> load_model_source(const std::string& model);
Result<ModelSpec> load_model_spec(const std::string& model);

}  // namespace strata::cli
