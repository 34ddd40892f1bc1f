// HF config files: config.json (and M1's mamba_config.json) read as JSON from a checkpoint
// folder. Structured access lives in ModelSpec (model/); this is only the I/O, which the
// safetensors reader does at open.
// Usage: STRATA_TRY(auto cfg, read_hf_config_beside(folder));  // null if absent
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "strata/io/json_file.h"
#include "strata/status.h"

namespace strata {

// config.json in `folder`, with mamba_config.json merged under "mamba_config" when present.
// Returns null JSON when the folder has no config.json.
Result<nlohmann::json> read_hf_config_beside(const std::filesystem::path& folder);

}  // namespace strata
