// HF tensor layout of an architecture: the exact tensor names, shapes and order
// transformers' save_pretrained writes for a config.json (state-dict order).
// This is the canonical naming every other layout maps to.
// Usage: STRATA_TRY(auto entries, hf_tensor_entries(config, DType::BF16));
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "strata/formats/tensor_entry.h"
#include "strata/status.h"

namespace strata {

// Supported model_type values: qwen3_moe, qwen3.
Result<std::vector<TensorEntry>> hf_tensor_entries(const nlohmann::json& config, DType dtype);

}  // namespace strata
