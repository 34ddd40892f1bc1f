// JSON files read and written whole (config.json, index files, manifests).
// Usage: STRATA_TRY(auto j, read_json_file(path)); STRATA_RETURN_IF_ERROR(write_json_file(path, j));
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "strata/status.h"

namespace strata {

// Reads a JSON file; NotFound if missing, Corrupt (with the parser's message) if malformed.
Result<nlohmann::json> read_json_file(const std::filesystem::path& path);

// Writes JSON with 2-space indent and a trailing newline, as transformers does.
Status write_json_file(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace strata
