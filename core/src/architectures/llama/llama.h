// The Llama family (LlamaForCausalLM, MistralForCausalLM): internal declarations shared by the
// files of this folder.
#pragma once

#include <vector>

#include "strata/mapping/mapping_registry.h"
#include "strata/model/architecture.h"

namespace strata {

MappingRegistry build_llama_registry();
void add_llama_presets(std::vector<SynthPreset>& out);

}  // namespace strata
