// CheckpointSummary: the numbers `strata inspect` and the Studio's summary panel
// show: tensor and parameter counts, bytes, parameters per dtype, and the config
// fields users look for first. One function serves both clients.
// Usage: auto s = summarize(ckpt); nlohmann::json j = inspect_json(ckpt, "*.experts.*");
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint.h"

namespace strata {

struct CheckpointSummary {
    std::string format;
    size_t file_count = 0;
    size_t tensor_count = 0;
    uint64_t parameter_count = 0;
    uint64_t total_bytes = 0;
    std::map<std::string, uint64_t> parameters_by_dtype;  // "BF16" -> count
    nlohmann::json config_summary;                       // model_type, hidden_size, ...
};

CheckpointSummary summarize(const Checkpoint& ckpt);

// Shell-style glob over tensor names: '*' any run, '?' one char, '[abc]' a set.
bool glob_match(std::string_view pattern, std::string_view text);

// The `strata inspect --json` document: format, files, tensor_count, parameter_count,
// total_bytes, dtypes, config, tensors [{name, dtype, shape, bytes, file[, rank]}].
// `filter` (a glob, empty = all) limits the tensor list, not the totals.
nlohmann::json inspect_json(const Checkpoint& ckpt, const std::string& filter = "");

}  // namespace strata
