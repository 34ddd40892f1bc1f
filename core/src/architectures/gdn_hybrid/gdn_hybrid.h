// Gated DeltaNet hybrids (Qwen3-Next, Qwen3.5 dense / MoE and their VL wrappers): internal
// declarations shared by the files of this folder.
#pragma once

#include <vector>

#include "strata/model/architecture.h"

namespace strata {

void add_gdn_hybrid_presets(std::vector<SynthPreset>& out);

}  // namespace strata
