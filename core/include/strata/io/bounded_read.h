// Bounded readers for the small files around a checkpoint (config.json, index.json,
// latest_checkpointed_iteration.txt) and for every JSON text Strata parses: regular
// files only (a FIFO or device is refused, never waited on), a size cap checked before
// reading, a nesting limit checked before parsing, and number overflow (1e400) turned
// into a Corrupt status instead of an exception.
// Usage: STRATA_TRY(auto text, read_small_file(p, kMaxSmallTextBytes));
//        STRATA_TRY(auto j, parse_json_bounded(text));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "strata/size_limits.h"
#include "strata/status.h"

namespace strata {

// Whole file as bytes; NotFound if missing, InvalidArgument if not a regular file or larger than max_bytes.
Result<std::string> read_small_file(const std::filesystem::path& path, uint64_t max_bytes);

// Parses JSON with at most max_depth nested arrays/objects; every parser error (syntax,
// number overflow, depth) is a Corrupt status. `cb` as nlohmann's parser callback.
Result<nlohmann::json> parse_json_bounded(std::string_view text, uint64_t max_depth = kMaxJsonDepth,
                                          const nlohmann::json::parser_callback_t& cb = nullptr);

// Opens path read-only without blocking (O_NONBLOCK: a FIFO must not hang the open) and
// refuses anything but a regular file. Returns the fd (caller closes).
Result<int> open_regular_file(const std::filesystem::path& path);

}  // namespace strata
