// Dense Qwen3 (Qwen3ForCausalLM) <-> Megatron GPTModel.
// Source: NVIDIA-NeMo/Megatron-Bridge models/qwen/qwen3_bridge.py: the GPT attention rules with
// q/k layernorms and the dense SwiGLU MLP (architectures/gpt_rules.h).
#include "../gpt_rules.h"

namespace strata {

MappingRegistry build_qwen3_registry() {
    MappingRegistry r("qwen3", "Megatron-Bridge qwen3_bridge.py");
    add_gpt_attention_rules(r, GptQkNorm::Yes);
    add_gpt_dense_mlp_rules(r);
    return r;
}

}  // namespace strata
