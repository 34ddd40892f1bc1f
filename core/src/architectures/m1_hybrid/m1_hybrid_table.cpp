// M1 hybrid (Qwen3-MoE with Mamba2 mixers, jingshenghang/M1 transformer_to_mamba2.py) <->
// Megatron-Core MambaModel / HybridModel. Sources: facts/mamba-megatron.md §2.1 (MambaMixer
// parameters and TP split, megatron/core/ssm/mamba_mixer.py), §2.2 (hybrid state-dict keys of
// mamba_stack_spec / hybrid_stack_spec: mixer.*, pre_mlp_layernorm, mlp.router, decoder.final_norm),
// §2.3 (expert modules), §5b (the recipe: HF layer i -> mixer slot 2i, MoE slot 2i+1); attention
// and expert entries as Megatron-Bridge qwen3_moe_bridge.py (facts bridge-mappings §2.1).
#include "strata/mapping/mamba_mappings.h"
#include "strata/mapping/mapping_registry.h"

namespace strata {

MappingRegistry build_m1_hybrid_registry() {
    using E = ExpertLayout;
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const RuleCondition grouped{LayoutKind::Megatron, E::Grouped, {}};
    const RuleCondition legacy{LayoutKind::Megatron, E::LegacyGrouped, {}};
    const RuleCondition sequential{LayoutKind::Megatron, E::Sequential, {}};
    const std::string L = "model.layers.*.";
    const std::string X = "model.layers.*.mlp.experts.*.";
    const std::string M = "model.layers.*.mamba.";
    auto mixer = [](MappingPtr k) { return hybrid_slot(std::move(k), HybridSlot::Mixer); };
    auto mlp = [](MappingPtr k) { return hybrid_slot(std::move(k), HybridSlot::Mlp); };

    MappingRegistry r("m1_hybrid", "Megatron-Core mamba_mixer.py / hybrid stack spec (facts mamba-megatron §2.1-2.3, "
                                   "§5b); Megatron-Bridge qwen3_moe_bridge.py");
    r.add(mg, "embedding.word_embeddings.weight", {{"", "model.embed_tokens.weight"}}, vocab(), Placement::FirstStage);
    r.add(mg, "output_layer.weight", {{"", "lm_head.weight"}}, vocab(), Placement::LastStage);
    r.add(mg, "decoder.final_norm.weight", {{"", "model.norm.weight"}}, replicated(), Placement::LastStage);
    // Mixer slot 2i: the pre-mixer norm is named by the mixer (TE fuses it into linear_qkv / in_proj).
    r.add(mg, "decoder.layers.*.input_layernorm.weight", {{"", L + "input_layernorm.weight"}}, hybrid_input_norm());
    r.add(mg, "decoder.layers.*.self_attention.linear_qkv.weight",
          {{"q", L + "self_attn.q_proj.weight"}, {"k", L + "self_attn.k_proj.weight"},
           {"v", L + "self_attn.v_proj.weight"}},
          mixer(qkv()));
    r.add(mg, "decoder.layers.*.self_attention.linear_proj.weight", {{"", L + "self_attn.o_proj.weight"}}, mixer(row()));
    // Qwen3 qk-norm: the stock hybrid attention spec has none, a custom spec names them so (§2.2).
    r.add(mg, "decoder.layers.*.self_attention.q_layernorm.weight", {{"", L + "self_attn.q_norm.weight"}},
          mixer(replicated()));
    r.add(mg, "decoder.layers.*.self_attention.k_layernorm.weight", {{"", L + "self_attn.k_norm.weight"}},
          mixer(replicated()));
    r.add(mg, "decoder.layers.*.mixer.in_proj.weight", {{"", M + "in_proj.weight"}}, mixer(mamba_in_proj()));
    r.add(mg, "decoder.layers.*.mixer.conv1d.weight", {{"", M + "conv1d.weight"}}, mixer(mamba_conv1d()));
    r.add(mg, "decoder.layers.*.mixer.conv1d.bias", {{"", M + "conv1d.bias"}}, mixer(mamba_conv1d()));
    r.add(mg, "decoder.layers.*.mixer.A_log", {{"", M + "A_log"}}, mixer(column()));
    r.add(mg, "decoder.layers.*.mixer.D", {{"", M + "D"}}, mixer(column()));
    r.add(mg, "decoder.layers.*.mixer.dt_bias", {{"", M + "dt_bias"}}, mixer(column()));
    r.add(mg, "decoder.layers.*.mixer.norm.weight", {{"", M + "norm.weight"}}, mixer(column()));
    r.add(mg, "decoder.layers.*.mixer.out_proj.weight", {{"", M + "out_proj.weight"}}, mixer(row()));
    // MoE slot 2i+1.
    r.add(mg, "decoder.layers.*.pre_mlp_layernorm.weight", {{"", L + "post_attention_layernorm.weight"}},
          mlp(replicated()));
    r.add(mg, "decoder.layers.*.mlp.router.weight", {{"", L + "mlp.gate.weight"}}, mlp(replicated()));
    r.add(grouped, "decoder.layers.*.mlp.experts.linear_fc1.weight*",
          {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}}, mlp(gated_mlp()));
    r.add(grouped, "decoder.layers.*.mlp.experts.linear_fc2.weight*", {{"", X + "down_proj.weight"}}, mlp(row()));
    r.add(sequential, "decoder.layers.*.mlp.experts.local_experts.*.linear_fc1.weight",
          {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}}, mlp(gated_mlp()));
    r.add(sequential, "decoder.layers.*.mlp.experts.local_experts.*.linear_fc2.weight", {{"", X + "down_proj.weight"}},
          mlp(row()));
    r.add(legacy, "decoder.layers.*.mlp.experts.weight1",
          {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}}, mlp(legacy_grouped_fc1()));
    r.add(legacy, "decoder.layers.*.mlp.experts.weight2", {{"", X + "down_proj.weight"}}, mlp(legacy_grouped_fc2()));
    return r;
}

}  // namespace strata
