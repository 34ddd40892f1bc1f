// Llama / Mistral (LlamaForCausalLM, MistralForCausalLM) <-> Megatron GPTModel.
// Source: NVIDIA-NeMo/Megatron-Bridge models/llama/llama_bridge.py (and mistral_bridge.py, the
// same entries): the GPT attention rules without q/k layernorms and the dense SwiGLU MLP
// (architectures/gpt_rules.h; facts bridge-mappings §2.1, §1.10).
#include "../gpt_rules.h"
#include "llama.h"

namespace strata {

MappingRegistry build_llama_registry() {
    MappingRegistry r("llama", "Megatron-Bridge llama_bridge.py / mistral_bridge.py");
    add_gpt_attention_rules(r, GptQkNorm::No);
    add_gpt_dense_mlp_rules(r);
    return r;
}

}  // namespace strata
