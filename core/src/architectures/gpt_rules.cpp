#include "gpt_rules.h"

namespace strata {
namespace {

const RuleCondition kMegatron{LayoutKind::Megatron, {}, {}};
const RuleCondition kTe{LayoutKind::Megatron, {}, NormLayout::Te};
const RuleCondition kLocal{LayoutKind::Megatron, {}, NormLayout::Local};
const std::string kLayer = "model.layers.*.";

}  // namespace

void add_gpt_attention_rules(MappingRegistry& r, GptQkNorm qk_norm) {
    const std::string& L = kLayer;
    r.add(kMegatron, "embedding.word_embeddings.weight", {{"", "model.embed_tokens.weight"}}, vocab(),
          Placement::FirstStage);
    r.add(kMegatron, "output_layer.weight", {{"", "lm_head.weight"}}, vocab(), Placement::LastStage);
    r.add(kMegatron, "decoder.final_layernorm.weight", {{"", "model.norm.weight"}}, replicated(), Placement::LastStage);
    r.add(kTe, "decoder.layers.*.self_attention.linear_qkv.layer_norm_weight", {{"", L + "input_layernorm.weight"}},
          replicated());
    r.add(kLocal, "decoder.layers.*.input_layernorm.weight", {{"", L + "input_layernorm.weight"}}, replicated());
    if (qk_norm == GptQkNorm::Yes) {
        r.add(kMegatron, "decoder.layers.*.self_attention.q_layernorm.weight", {{"", L + "self_attn.q_norm.weight"}},
              replicated());
        r.add(kMegatron, "decoder.layers.*.self_attention.k_layernorm.weight", {{"", L + "self_attn.k_norm.weight"}},
              replicated());
    }
    r.add(kMegatron, "decoder.layers.*.self_attention.linear_proj.weight", {{"", L + "self_attn.o_proj.weight"}},
          row());
    r.add(kMegatron, "decoder.layers.*.self_attention.linear_qkv.weight",
          {{"q", L + "self_attn.q_proj.weight"},
           {"k", L + "self_attn.k_proj.weight"},
           {"v", L + "self_attn.v_proj.weight"}},
          qkv());
}

// GatedMLPMapping for linear_fc1 (facts §1.10); TE fuses the pre-MLP norm into linear_fc1 (§1.2 aliases).
void add_gpt_dense_mlp_rules(MappingRegistry& r) {
    const std::string& L = kLayer;
    r.add(kTe, "decoder.layers.*.mlp.linear_fc1.layer_norm_weight", {{"", L + "post_attention_layernorm.weight"}},
          replicated());
    r.add(kLocal, "decoder.layers.*.pre_mlp_layernorm.weight", {{"", L + "post_attention_layernorm.weight"}},
          replicated());
    r.add(kMegatron, "decoder.layers.*.mlp.linear_fc1.weight",
          {{"gate", L + "mlp.gate_proj.weight"}, {"up", L + "mlp.up_proj.weight"}}, gated_mlp());
    r.add(kMegatron, "decoder.layers.*.mlp.linear_fc2.weight", {{"", L + "mlp.down_proj.weight"}}, row());
}

}  // namespace strata
