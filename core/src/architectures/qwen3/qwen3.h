// The Qwen3 family (Qwen3ForCausalLM, Qwen3MoeForCausalLM): internal declarations shared by
// the files of this folder.
#pragma once

#include <vector>

#include "strata/model/architecture.h"

namespace strata {

void add_qwen3_presets(std::vector<SynthPreset>& out);

}  // namespace strata
