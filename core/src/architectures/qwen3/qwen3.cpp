// Dense Qwen3 (Qwen3ForCausalLM) <-> Megatron GPTModel.
// Source: NVIDIA-NeMo/Megatron-Bridge models/qwen/qwen3_bridge.py (same attention
// entries as qwen3_moe_bridge.py, facts bridge-mappings §2.1) with the dense MLP of
// GatedMLPMapping (§1.10); TE fuses the pre-MLP norm into linear_fc1 (§1.2 aliases).
#include "qwen3_gpt_rules.h"

namespace strata {

MappingRegistry build_qwen3_registry() {
    using N = NormLayout;
    const RuleCondition mg{LayoutKind::Megatron, {}, {}};
    const RuleCondition te{LayoutKind::Megatron, {}, N::Te}, local{LayoutKind::Megatron, {}, N::Local};
    const std::string L = "model.layers.*.";

    MappingRegistry r("qwen3", "Megatron-Bridge qwen3_bridge.py");
    add_qwen3_gpt_rules(r);
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
