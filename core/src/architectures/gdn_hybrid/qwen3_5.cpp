// Qwen3.5 dense (Qwen3_5ForCausalLM) and MoE (Qwen3_5MoeForCausalLM) <-> Megatron GPTModel with
// Gated DeltaNet layers. Source: NVIDIA-NeMo/Megatron-Bridge models/qwen/qwen35_bridge.py
// (Qwen35Bridge, Qwen35MoEBridge; facts bridge-mappings §3.8); in_proj from the separate
// in_proj_qkv / z / b / a (GDNLinearMappingSeparate, §3.5). The VL wrappers
// (Qwen3_5(Moe)ForConditionalGeneration, model.language_model.*) map through the same rules
// (qwen_vl/qwen35_vl_bridge.py); their vision tower is left unmapped.
#include "gdn_hybrid_table.h"
#include "strata/mapping/gdn_mappings.h"

namespace strata {
namespace {

GdnTable qwen3_5_table(bool moe) {
    return {{{"qkv", "in_proj_qkv.weight"},
             {"z", "in_proj_z.weight"},
             {"b", "in_proj_b.weight"},
             {"a", "in_proj_a.weight"}},
            gdn_in_proj_separate(),
            moe,
            /*vl_wrapper=*/true};
}

}  // namespace

MappingRegistry build_qwen3_5_registry() {
    MappingRegistry r("qwen3_5", "Megatron-Bridge qwen35_bridge.py (Qwen35Bridge)");
    add_gdn_hybrid_rules(r, qwen3_5_table(false));
    return r;
}

MappingRegistry build_qwen3_5_moe_registry() {
    MappingRegistry r("qwen3_5_moe", "Megatron-Bridge qwen35_bridge.py (Qwen35MoEBridge)");
    add_gdn_hybrid_rules(r, qwen3_5_table(true));
    return r;
}

}  // namespace strata
