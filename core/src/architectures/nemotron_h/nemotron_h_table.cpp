// Nemotron-H <-> Megatron-Core's hybrid model (MambaModel; --hybrid-override-pattern /
// --hybrid-layer-pattern), HF layer i = Megatron layer i. Source: Megatron-Bridge
// models/nemotronh/nemotron_h_bridge.py (facts bridge-mappings §3b): the Mamba mixer's in_proj and
// conv1d split per TP rank block by block (mamba2_in_proj / mamba2_conv1d), A_log, D, dt_bias and
// the gated norm column-parallel, out_proj row-parallel; attention as the GPT QKV mapping; the
// squared-ReLU MLP's up_proj = linear_fc1 (no gate), down_proj = linear_fc2. The one per-layer
// norm goes where the layer's module fuses it (LayerNormByKindMapping below).
#include <string>

#include "nemotron_h.h"
#include "strata/mapping/mamba_mappings.h"

namespace strata {
namespace {

int layer_index(const std::string& name) {
    const size_t at = name.find("layers.");
    if (at == std::string::npos) return -1;
    size_t i = at + 7, j = i;
    while (j < name.size() && name[j] >= '0' && name[j] <= '9' && j - i < 7) ++j;
    return j > i ? std::stoi(name.substr(i, j - i)) : -1;
}

// backbone.layers.N.norm.weight, named in Megatron by the module of layer N and the norm layout:
//   Mamba      TE mixer.in_proj.layer_norm_weight               local norm.weight (MambaLayer.norm)
//   attention  TE self_attention.linear_qkv.layer_norm_weight   local input_layernorm.weight
//   MLP        TE mlp.linear_fc1.layer_norm_weight              local pre_mlp_layernorm.weight
//   MoE        pre_mlp_layernorm.weight (both)
// Replicated on every TP rank of its stage.
class LayerNormByKindMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "replicated"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        static const MappingPtr kReplicated = replicated();
        if (ctx.options().kind != LayoutKind::Megatron) return kReplicated->expand(g, ctx);
        const int layer = layer_index(g.layout_name);
        const auto& kinds = ctx.spec().layer_kinds;
        if (layer < 0 || static_cast<size_t>(layer) >= kinds.size())
            return Status::invalid_argument("layer index outside the model's " + std::to_string(kinds.size()) +
                                            " layers")
                .in_tensor(g.layout_name);
        const LayerKind k = kinds[static_cast<size_t>(layer)];
        const bool te = ctx.options().norms == NormLayout::Te;
        const char* suffix = nullptr;
        if (k.mixer == MixerKind::Mamba2) suffix = te ? "mixer.in_proj.layer_norm_weight" : "norm.weight";
        else if (k.mixer == MixerKind::Attention)
            suffix = te ? "self_attention.linear_qkv.layer_norm_weight" : "input_layernorm.weight";
        else if (k.mlp == MlpKind::Dense) suffix = te ? "mlp.linear_fc1.layer_norm_weight" : "pre_mlp_layernorm.weight";
        else if (k.mlp == MlpKind::MoE) {
            // Hybrid MoE layers ('E') exist from Megatron-Core 0.16; before, the pattern has no symbol for them.
            if (!ctx.options().moe_symbol_e)
                return Status::unsupported("Nemotron-H MoE layers ('E') need Megatron-Core 0.16 or later "
                                           "(--megatron-version)")
                    .in_tensor(g.layout_name);
            suffix = "pre_mlp_layernorm.weight";  // MoE layers never fuse it
        }
        if (!suffix)
            return Status::unsupported(std::string("Nemotron-H layer of kind ") + mixer_kind_name(k.mixer) + "/" +
                                       mlp_kind_name(k.mlp) + " has no Megatron mapping")
                .in_tensor(g.layout_name);
        MappingGroup moved = g;
        moved.layout_name = "decoder.layers." + std::to_string(layer) + "." + suffix;
        return kReplicated->expand(moved, ctx);
    }
};

}  // namespace

MappingRegistry build_nemotron_h_registry() {
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const std::string L = "backbone.layers.*.";
    const std::string X = "backbone.layers.*.mixer.";

    MappingRegistry r("nemotron_h", "Megatron-Bridge nemotronh/nemotron_h_bridge.py (facts bridge-mappings §3b)");
    r.add(mg, "embedding.word_embeddings.weight", {{"", "backbone.embeddings.weight"}}, vocab(), Placement::FirstStage);
    r.add(mg, "output_layer.weight", {{"", "lm_head.weight"}}, vocab(), Placement::LastStage);
    r.add(mg, "decoder.final_norm.weight", {{"", "backbone.norm_f.weight"}}, replicated(), Placement::LastStage);
    r.add(mg, "decoder.layers.*.norm.weight", {{"", L + "norm.weight"}}, std::make_shared<LayerNormByKindMapping>());
    // 'M' layers.
    r.add(mg, "decoder.layers.*.mixer.in_proj.weight", {{"", X + "in_proj.weight"}}, mamba2_in_proj());
    r.add(mg, "decoder.layers.*.mixer.conv1d.weight", {{"", X + "conv1d.weight"}}, mamba2_conv1d());
    r.add(mg, "decoder.layers.*.mixer.conv1d.bias", {{"", X + "conv1d.bias"}}, mamba2_conv1d());
    r.add(mg, "decoder.layers.*.mixer.A_log", {{"", X + "A_log"}}, column());
    r.add(mg, "decoder.layers.*.mixer.D", {{"", X + "D"}}, column());
    r.add(mg, "decoder.layers.*.mixer.dt_bias", {{"", X + "dt_bias"}}, column());
    r.add(mg, "decoder.layers.*.mixer.norm.weight", {{"", X + "norm.weight"}}, column());
    r.add(mg, "decoder.layers.*.mixer.out_proj.weight", {{"", X + "out_proj.weight"}}, row());
    // '*' layers.
    r.add(mg, "decoder.layers.*.self_attention.linear_qkv.weight",
          {{"q", X + "q_proj.weight"}, {"k", X + "k_proj.weight"}, {"v", X + "v_proj.weight"}}, qkv());
    r.add(mg, "decoder.layers.*.self_attention.linear_proj.weight", {{"", X + "o_proj.weight"}}, row());
    // '-' layers.
    r.add(mg, "decoder.layers.*.mlp.linear_fc1.weight", {{"", X + "up_proj.weight"}}, column());
    r.add(mg, "decoder.layers.*.mlp.linear_fc2.weight", {{"", X + "down_proj.weight"}}, row());
    // 'E' layers: the router (and its expert bias), the experts as TEGroupedMLP or SequentialMLP
    // (linear_fc1 = up_proj, no gate), the shared expert.
    using E = ExpertLayout;
    const RuleCondition grouped{LayoutKind::Megatron, E::Grouped, {}};
    const RuleCondition sequential{LayoutKind::Megatron, E::Sequential, {}};
    const std::string EX = X + "experts.*.";
    r.add(mg, "decoder.layers.*.mlp.router.weight", {{"", X + "gate.weight"}}, replicated());
    r.add(mg, "decoder.layers.*.mlp.router.expert_bias", {{"", X + "gate.e_score_correction_bias"}}, replicated());
    r.add(grouped, "decoder.layers.*.mlp.experts.linear_fc1.weight*", {{"", EX + "up_proj.weight"}}, column());
    r.add(grouped, "decoder.layers.*.mlp.experts.linear_fc2.weight*", {{"", EX + "down_proj.weight"}}, row());
    r.add(sequential, "decoder.layers.*.mlp.experts.local_experts.*.linear_fc1.weight", {{"", EX + "up_proj.weight"}},
          column());
    r.add(sequential, "decoder.layers.*.mlp.experts.local_experts.*.linear_fc2.weight",
          {{"", EX + "down_proj.weight"}}, row());
    r.add(mg, "decoder.layers.*.mlp.shared_experts.linear_fc1.weight", {{"", X + "shared_experts.up_proj.weight"}},
          column());
    r.add(mg, "decoder.layers.*.mlp.shared_experts.linear_fc2.weight", {{"", X + "shared_experts.down_proj.weight"}},
          row());
    return r;
}

}  // namespace strata
