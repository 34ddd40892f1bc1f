#include "qwen3_gpt_rules.h"

namespace strata {

void add_qwen3_gpt_rules(MappingRegistry& r) {
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const RuleCondition te{LayoutKind::Megatron, {}, NormLayout::Te}, local{LayoutKind::Megatron, {}, NormLayout::Local};
    const std::string L = "model.layers.*.";
    r.add(mg, "embedding.word_embeddings.weight", {{"", "model.embed_tokens.weight"}}, vocab(), Placement::FirstStage);
    r.add(mg, "output_layer.weight", {{"", "lm_head.weight"}}, vocab(), Placement::LastStage);
    r.add(mg, "decoder.final_layernorm.weight", {{"", "model.norm.weight"}}, replicated(), Placement::LastStage);
    r.add(te, "decoder.layers.*.self_attention.linear_qkv.layer_norm_weight", {{"", L + "input_layernorm.weight"}},
          replicated());
    r.add(local, "decoder.layers.*.input_layernorm.weight", {{"", L + "input_layernorm.weight"}}, replicated());
    r.add(mg, "decoder.layers.*.self_attention.q_layernorm.weight", {{"", L + "self_attn.q_norm.weight"}},
          replicated());
    r.add(mg, "decoder.layers.*.self_attention.k_layernorm.weight", {{"", L + "self_attn.k_norm.weight"}},
          replicated());
    r.add(mg, "decoder.layers.*.self_attention.linear_proj.weight", {{"", L + "self_attn.o_proj.weight"}}, row());
    r.add(mg, "decoder.layers.*.self_attention.linear_qkv.weight",
          {{"q", L + "self_attn.q_proj.weight"},
           {"k", L + "self_attn.k_proj.weight"},
           {"v", L + "self_attn.v_proj.weight"}},
          qkv());
}

}  // namespace strata
