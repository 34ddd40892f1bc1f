// Qwen3-MoE (Qwen3MoeForCausalLM) <-> Megatron GPTModel and HF fused-expert layouts.
// Source: NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/models/qwen/qwen3_moe_bridge.py
// (registry table, facts bridge-mappings §2.1), the TE/local spec aliases of
// mapping_registry.py (§1.2), legacy GroupedMLP weight1/weight2 (mamba-megatron §2.3,
// NVIDIA/Megatron-LM#909), Qwen3-30B-A3B-fused (facts README §5) and transformers v5
// conversion_mapping.py qwen2_moe (§6.2).
#include "../gpt_rules.h"
#include "strata/mapping/gdn_mappings.h"  // layer_named

namespace strata {

MappingRegistry build_qwen3_moe_registry() {
    using E = ExpertLayout;
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const RuleCondition grouped{LayoutKind::Megatron, E::Grouped, {}};
    const RuleCondition legacy{LayoutKind::Megatron, E::LegacyGrouped, {}};
    const RuleCondition sequential{LayoutKind::Megatron, E::Sequential, {}};
    const RuleCondition fused{LayoutKind::HfFused, {}, {}}, v5{LayoutKind::HfFusedV5, {}, {}};
    const std::string L = "model.layers.*.";
    const std::string X = "model.layers.*.mlp.experts.*.";

    MappingRegistry r("qwen3_moe", "Megatron-Bridge qwen3_moe_bridge.py; transformers v5 conversion_mapping.py");
    add_gpt_attention_rules(r, GptQkNorm::Yes);
    // --- Megatron GPTModel (layout name | canonical | kind) ---
    r.add(mg, "decoder.layers.*.mlp.router.weight", {{"", L + "mlp.gate.weight"}}, replicated());
    // Pre-MLP norm: its own module in MoE layers; TE fuses it into linear_fc1 in the dense
    // layers of a mixed stack (mlp_only_layers / moe_layer_freq), the local spec never does.
    const RuleCondition te{LayoutKind::Megatron, {}, NormLayout::Te}, local{LayoutKind::Megatron, {}, NormLayout::Local};
    r.add(te, "decoder.layers.*.mlp.linear_fc1.layer_norm_weight", {{"", L + "post_attention_layernorm.weight"}},
          layer_named(replicated(), LayerSelect::MoeMlp, "mlp.linear_fc1.layer_norm_weight", "pre_mlp_layernorm.weight"));
    r.add(local, "decoder.layers.*.pre_mlp_layernorm.weight", {{"", L + "post_attention_layernorm.weight"}},
          replicated());
    // The dense layers' SwiGLU MLP.
    r.add(mg, "decoder.layers.*.mlp.linear_fc1.weight",
          {{"gate", L + "mlp.gate_proj.weight"}, {"up", L + "mlp.up_proj.weight"}}, gated_mlp());
    r.add(mg, "decoder.layers.*.mlp.linear_fc2.weight", {{"", L + "mlp.down_proj.weight"}}, row());
    // TEGroupedMLP: weight<local expert>, ETP split.
    r.add(grouped, "decoder.layers.*.mlp.experts.linear_fc1.weight*",
          {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}}, gated_mlp());
    r.add(grouped, "decoder.layers.*.mlp.experts.linear_fc2.weight*", {{"", X + "down_proj.weight"}}, row());
    // SequentialMLP.
    r.add(sequential, "decoder.layers.*.mlp.experts.local_experts.*.linear_fc1.weight",
          {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}}, gated_mlp());
    r.add(sequential, "decoder.layers.*.mlp.experts.local_experts.*.linear_fc2.weight", {{"", X + "down_proj.weight"}},
          row());
    // Legacy GroupedMLP: one tensor per layer and rank (the expert wildcard is unused on this side).
    r.add(legacy, "decoder.layers.*.mlp.experts.weight1",
          {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}}, legacy_grouped_fc1());
    r.add(legacy, "decoder.layers.*.mlp.experts.weight2", {{"", X + "down_proj.weight"}}, legacy_grouped_fc2());

    // --- HF fused experts (Qwen3-30B-A3B-fused): gate/up [E, I, H], down [E, H, I] ---
    r.add(fused, "model.layers.*.mlp.experts.gate_proj", {{"", X + "gate_proj.weight"}}, fused_stack());
    r.add(fused, "model.layers.*.mlp.experts.up_proj", {{"", X + "up_proj.weight"}}, fused_stack());
    r.add(fused, "model.layers.*.mlp.experts.down_proj", {{"", X + "down_proj.weight"}}, fused_stack());
    // --- transformers v5: gate_up_proj [E, 2I, H] = [gate; up] per expert, down_proj [E, H, I] ---
    r.add(v5, "model.layers.*.mlp.experts.gate_up_proj",
          {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}}, fused_gate_up());
    r.add(v5, "model.layers.*.mlp.experts.down_proj", {{"", X + "down_proj.weight"}}, fused_stack());
    return r;
}

}  // namespace strata
