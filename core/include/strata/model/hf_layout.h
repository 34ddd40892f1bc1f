// HF tensor layout of an architecture: the exact tensor names, shapes and order
// transformers' save_pretrained writes for a config.json (state-dict order).
// This is the canonical naming every other layout maps to.
// Usage: STRATA_TRY(auto entries, hf_tensor_entries(config, DType::BF16));
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/formats/tensor_entry.h"
#include "strata/status.h"

namespace strata {

// Supported model_type values: qwen3_moe, qwen3, qwen3_next, qwen3_5(_text), qwen3_5_moe(_text).
Result<std::vector<TensorEntry>> hf_tensor_entries(const nlohmann::json& config, DType dtype);

// Gated DeltaNet hybrids (hf_layout_gdn.cpp): Qwen3-Next and Qwen3.5 dense / MoE, VL
// wrappers' model.language_model. prefix and the top-level mtp.* layers included.
bool is_gdn_hybrid_model_type(std::string_view model_type);
Result<std::vector<TensorEntry>> gdn_hybrid_tensor_entries(const nlohmann::json& config, DType dtype);

// The vision tower (model.visual.*) of a Qwen3.5 VL wrapper config (its vision_config); empty
// without one. Not part of the canonical model: no mapping table covers it (hf_layout_vision.cpp).
Result<std::vector<TensorEntry>> vision_tower_tensor_entries(const nlohmann::json& config, DType dtype);

}  // namespace strata
