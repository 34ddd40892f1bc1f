// Llama / Mistral (LlamaForCausalLM, MistralForCausalLM) <-> Megatron GPTModel.
// Source: NVIDIA-NeMo/Megatron-Bridge models/llama/llama_bridge.py (and mistral_bridge.py, the
// same entries): the Qwen3 GPT rules without q/k layernorms (facts bridge-mappings §2.1),
// QKVMapping for linear_qkv, GatedMLPMapping for linear_fc1 (§1.10); TE fuses the input norm
// into linear_qkv and the pre-MLP norm into linear_fc1 (§1.2 aliases).
#include "llama.h"

namespace strata {

MappingRegistry build_llama_registry() {
    using N = NormLayout;
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const RuleCondition te{LayoutKind::Megatron, {}, N::Te}, local{LayoutKind::Megatron, {}, N::Local};
    const std::string L = "model.layers.*.";

    MappingRegistry r("llama", "Megatron-Bridge llama_bridge.py / mistral_bridge.py");
    r.add(mg, "embedding.word_embeddings.weight", {{"", "model.embed_tokens.weight"}}, vocab(), Placement::FirstStage);
    r.add(mg, "output_layer.weight", {{"", "lm_head.weight"}}, vocab(), Placement::LastStage);
    r.add(mg, "decoder.final_layernorm.weight", {{"", "model.norm.weight"}}, replicated(), Placement::LastStage);
    r.add(te, "decoder.layers.*.self_attention.linear_qkv.layer_norm_weight", {{"", L + "input_layernorm.weight"}},
          replicated());
    r.add(local, "decoder.layers.*.input_layernorm.weight", {{"", L + "input_layernorm.weight"}}, replicated());
    r.add(mg, "decoder.layers.*.self_attention.linear_proj.weight", {{"", L + "self_attn.o_proj.weight"}}, row());
    r.add(mg, "decoder.layers.*.self_attention.linear_qkv.weight",
          {{"q", L + "self_attn.q_proj.weight"},
           {"k", L + "self_attn.k_proj.weight"},
           {"v", L + "self_attn.v_proj.weight"}},
          qkv());
    r.add(te, "decoder.layers.*.mlp.linear_fc1.layer_norm_weight", {{"", L + "post_attention_layernorm.weight"}},
          replicated());
    r.add(local, "decoder.layers.*.pre_mlp_layernorm.weight", {{"", L + "post_attention_layernorm.weight"}},
          replicated());
    r.add(mg, "decoder.layers.*.mlp.linear_fc1.weight",
          {{"gate", L + "mlp.gate_proj.weight"}, {"up", L + "mlp.up_proj.weight"}}, gated_mlp());
    r.add(mg, "decoder.layers.*.mlp.linear_fc2.weight", {{"", L + "mlp.down_proj.weight"}}, row());
    return r;
}

}  // namespace strata
