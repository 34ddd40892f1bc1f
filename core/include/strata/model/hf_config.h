// HF config files: config.json (and M1's mamba_config.json) read as JSON from a
// checkpoint folder. Structured access lives in ModelSpec; this is only the I/O.
// Usage: STRATA_TRY(auto cfg, read_hf_config_beside(folder));  // null if absent
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "strata/status.h"

namespace strata {

// Reads a JSON file; NotFound if missing, Corrupt (with the parser's message) if malformed.
Result<nlohmann::json> read_json_file(const std::filesystem::path& path);

// config.json in `folder`, with mamba_config.json merged under "mamba_config" when present.
// Returns null JSON when the folder has no config.json.
Result<nlohmann::json> read_hf_config_beside(const std::filesystem::path& folder);

// Writes JSON with 2-space indent and a trailing newline, as transformers does.
Status write_json_file(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace strata
