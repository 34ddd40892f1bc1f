// Nemotron-H (NemotronHForCausalLM, transformers models/nemotron_h): internal declarations shared
// by the files of this folder.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "strata/mapping/mapping_registry.h"
#include "strata/model/architecture.h"

namespace strata {

// The spec of a nemotron_h config.json (the one parse every entry point uses).
Result<ModelSpec> nemotron_h_spec(const nlohmann::json& config);
MappingRegistry build_nemotron_h_registry();
void add_nemotron_h_presets(std::vector<SynthPreset>& out);

}  // namespace strata
