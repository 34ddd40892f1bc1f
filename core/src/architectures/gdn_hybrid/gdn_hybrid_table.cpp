// Shared GDN hybrid rules. Source: NVIDIA-NeMo/Megatron-Bridge models/qwen/qwen3_next_bridge.py
// and qwen35_bridge.py registries (facts bridge-mappings §3.7, §3.8: attention, GDN, routed and
// shared experts, shared-expert gate, MTP mtp.layers.0.{eh_proj, enorm, hnorm, final_layernorm,
// mtp_model_layer.*}), the TE / local-spec norm aliases of mapping_registry.py (§1.2), and
// transformers v5 conversion_mapping.py packed experts (§6.2; Qwen3.6 MTP packed, #4329).
#include "gdn_hybrid_table.h"

#include "strata/mapping/gdn_mappings.h"

namespace strata {
namespace {

using E = ExpertLayout;
using N = NormLayout;

// Routed experts, shared experts and router of one MoE block; `mg`/`hf` are the Megatron
// module prefix ("decoder.layers.*." / "mtp.layers.*.mtp_model_layer.") and the HF layer prefix.
void add_moe(MappingRegistry& r, const std::string& mg, const std::string& hf, Placement at) {
    const RuleCondition any{LayoutKind::Megatron, {}, {}};
    const RuleCondition grouped{LayoutKind::Megatron, E::Grouped, {}};
    const RuleCondition legacy{LayoutKind::Megatron, E::LegacyGrouped, {}};
    const RuleCondition sequential{LayoutKind::Megatron, E::Sequential, {}};
    const std::string X = hf + "mlp.experts.*.";
    const std::vector<std::pair<std::string, std::string>> gate_up{{"gate", X + "gate_proj.weight"},
                                                                   {"up", X + "up_proj.weight"}};
    r.add(any, mg + "mlp.router.weight", {{"", hf + "mlp.gate.weight"}}, replicated(), at);
    r.add(grouped, mg + "mlp.experts.linear_fc1.weight*", gate_up, gated_mlp(), at);
    r.add(grouped, mg + "mlp.experts.linear_fc2.weight*", {{"", X + "down_proj.weight"}}, row(), at);
    r.add(sequential, mg + "mlp.experts.local_experts.*.linear_fc1.weight", gate_up, gated_mlp(), at);
    r.add(sequential, mg + "mlp.experts.local_experts.*.linear_fc2.weight", {{"", X + "down_proj.weight"}}, row(), at);
    r.add(legacy, mg + "mlp.experts.weight1", gate_up, legacy_grouped_fc1(), at);
    r.add(legacy, mg + "mlp.experts.weight2", {{"", X + "down_proj.weight"}}, legacy_grouped_fc2(), at);
    // Shared experts are TP-split like a dense MLP (not expert params: no ETP, no EP).
    const std::string S = hf + "mlp.shared_expert.";
    r.add(any, mg + "mlp.shared_experts.linear_fc1.weight",
          {{"gate", S + "gate_proj.weight"}, {"up", S + "up_proj.weight"}}, gated_mlp(), at);
    r.add(any, mg + "mlp.shared_experts.linear_fc2.weight", {{"", S + "down_proj.weight"}}, row(), at);
    r.add(any, mg + "mlp.shared_experts.gate_weight", {{"", hf + "mlp.shared_expert_gate.weight"}}, replicated(), at);
}

void add_dense_mlp(MappingRegistry& r, const std::string& mg, const std::string& hf, Placement at) {
    const RuleCondition any{LayoutKind::Megatron, {}, {}};
    r.add(any, mg + "mlp.linear_fc1.weight", {{"gate", hf + "mlp.gate_proj.weight"}, {"up", hf + "mlp.up_proj.weight"}},
          gated_mlp(), at);
    r.add(any, mg + "mlp.linear_fc2.weight", {{"", hf + "mlp.down_proj.weight"}}, row(), at);
}

// Gated attention of one layer.
void add_attention(MappingRegistry& r, const std::string& mg, const std::string& hf, Placement at) {
    const RuleCondition any{LayoutKind::Megatron, {}, {}};
    r.add(any, mg + "self_attention.q_layernorm.weight", {{"", hf + "self_attn.q_norm.weight"}}, replicated(), at);
    r.add(any, mg + "self_attention.k_layernorm.weight", {{"", hf + "self_attn.k_norm.weight"}}, replicated(), at);
    r.add(any, mg + "self_attention.linear_proj.weight", {{"", hf + "self_attn.o_proj.weight"}}, row(), at);
    r.add(any, mg + "self_attention.linear_qkv.weight",
          {{"q", hf + "self_attn.q_proj.weight"},
           {"k", hf + "self_attn.k_proj.weight"},
           {"v", hf + "self_attn.v_proj.weight"}},
          gated_qkv(), at);
}

// HF packed experts (transformers v5 gate_up_proj [E, 2I, H], down_proj [E, H, I]).
void add_packed(MappingRegistry& r, RuleCondition when, const std::string& hf) {
    const std::string X = hf + "mlp.experts.*.";
    r.add(when, hf + "mlp.experts.gate_up_proj", {{"gate", X + "gate_proj.weight"}, {"up", X + "up_proj.weight"}},
          fused_gate_up());
    r.add(when, hf + "mlp.experts.down_proj", {{"", X + "down_proj.weight"}}, fused_stack());
}

// The decoder of the text model under `m`: "model." (Qwen3NextForCausalLM,
// Qwen3_5(Moe)ForCausalLM) or "model.language_model." (the VL wrappers
// Qwen3_5(Moe)ForConditionalGeneration, transformers models/qwen3_5/modeling_qwen3_5.py
// Qwen3_5Model.language_model; Megatron-Bridge qwen_vl/qwen35_vl_bridge.py hf_prefix). Both map
// to the same GPTModel names: Strata writes the language model alone, without Bridge's
// Qwen3VLModel "language_model." module prefix.
void add_decoder(MappingRegistry& r, const GdnTable& table, const std::string& m) {
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const RuleCondition te{LayoutKind::Megatron, {}, N::Te}, local{LayoutKind::Megatron, {}, N::Local};
    const Placement layer = Placement::Layer, last = Placement::LastStage;
    const std::string D = "decoder.layers.*.", L = m + "layers.*.", A = L + "linear_attn.";

    r.add(mg, "embedding.word_embeddings.weight", {{"", m + "embed_tokens.weight"}}, vocab(), Placement::FirstStage);
    r.add(mg, "decoder.final_layernorm.weight", {{"", m + "norm.weight"}}, replicated(), last);
    // Layer input norm: TE fuses it into the mixer's first linear (linear_qkv or GDN in_proj).
    r.add(te, D + "self_attention.linear_qkv.layer_norm_weight", {{"", L + "input_layernorm.weight"}},
          layer_named(replicated(), LayerSelect::GdnMixer, "linear_qkv.", "in_proj."));
    r.add(local, D + "input_layernorm.weight", {{"", L + "input_layernorm.weight"}}, replicated());
    // Pre-MLP norm: its own module in MoE layers; TE fuses it into a dense linear_fc1.
    r.add(
        te, D + "mlp.linear_fc1.layer_norm_weight", {{"", L + "post_attention_layernorm.weight"}},
        layer_named(replicated(), LayerSelect::MoeMlp, "mlp.linear_fc1.layer_norm_weight", "pre_mlp_layernorm.weight"));
    r.add(local, D + "pre_mlp_layernorm.weight", {{"", L + "post_attention_layernorm.weight"}}, replicated());
    add_attention(r, D, L, layer);
    // Gated DeltaNet (Megatron-Core GatedDeltaNet under self_attention).
    std::vector<std::pair<std::string, std::string>> in_proj;
    for (const auto& [role, name] : table.in_proj) in_proj.emplace_back(role, A + name);
    r.add(mg, D + "self_attention.in_proj.weight", in_proj, table.in_proj_kind);
    r.add(mg, D + "self_attention.conv1d.weight", {{"", A + "conv1d.weight"}}, gdn_conv1d());
    r.add(mg, D + "self_attention.A_log", {{"", A + "A_log"}}, column());
    r.add(mg, D + "self_attention.dt_bias", {{"", A + "dt_bias"}}, column());
    // HF's gated norm is a plain RMSNorm (w), Megatron's zero-centred ((1 + w)): stored w - 1.
    r.add(mg, D + "self_attention.out_norm.weight", {{"", A + "norm.weight"}}, zero_centered_norm());
    r.add(mg, D + "self_attention.out_proj.weight", {{"", A + "out_proj.weight"}}, row());
    if (table.moe) add_moe(r, D, L, layer);
    add_dense_mlp(r, D, L, layer);  // Qwen3.5 dense; Qwen3-Next mlp_only_layers
    // HF packed experts of the decoder.
    if (table.moe) add_packed(r, {LayoutKind::HfFusedV5, {}, {}}, L);
}

}  // namespace

void add_gdn_hybrid_rules(MappingRegistry& r, const GdnTable& table) {
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const RuleCondition te{LayoutKind::Megatron, {}, N::Te}, local{LayoutKind::Megatron, {}, N::Local};
    const Placement last = Placement::LastStage;
    add_decoder(r, table, "model.");
    if (table.vl_wrapper) add_decoder(r, table, "model.language_model.");
    // lm_head and MTP stay top-level in the VL wrappers too (facts bridge-mappings §3.8).
    r.add(mg, "output_layer.weight", {{"", "lm_head.weight"}}, vocab(), last);

    // MTP (one layer, on the last pipeline stage): fc over [embedding; hidden], then a
    // full-attention decoder layer.
    const std::string M = "mtp.layers.*.mtp_model_layer.", H = "mtp.layers.*.";
    r.add(mg, "mtp.layers.0.eh_proj.weight", {{"", "mtp.fc.weight"}}, column(), last);
    r.add(mg, "mtp.layers.0.enorm.weight", {{"", "mtp.pre_fc_norm_embedding.weight"}}, replicated(), last);
    r.add(mg, "mtp.layers.0.hnorm.weight", {{"", "mtp.pre_fc_norm_hidden.weight"}}, replicated(), last);
    r.add(mg, "mtp.layers.0.final_layernorm.weight", {{"", "mtp.norm.weight"}}, replicated(), last);
    r.add(te, M + "self_attention.linear_qkv.layer_norm_weight", {{"", H + "input_layernorm.weight"}}, replicated(),
          last);
    r.add(local, M + "input_layernorm.weight", {{"", H + "input_layernorm.weight"}}, replicated(), last);
    add_attention(r, M, H, last);
    if (table.moe) {
        r.add(mg, M + "pre_mlp_layernorm.weight", {{"", H + "post_attention_layernorm.weight"}}, replicated(), last);
        add_moe(r, M, H, last);
    } else {
        r.add(te, M + "mlp.linear_fc1.layer_norm_weight", {{"", H + "post_attention_layernorm.weight"}}, replicated(),
              last);
        r.add(local, M + "pre_mlp_layernorm.weight", {{"", H + "post_attention_layernorm.weight"}}, replicated(), last);
        add_dense_mlp(r, M, H, last);
    }

    if (!table.moe) return;
    // HF packed MTP experts only when packed like the decoder's (Qwen3.6 style); otherwise
    // the MTP experts stay per expert (Qwen3.5).
    RuleCondition v5_mtp{LayoutKind::HfFusedV5, {}, {}};
    v5_mtp.mtp_packed = true;
    add_packed(r, v5_mtp, H);
}

}  // namespace strata
