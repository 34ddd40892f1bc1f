// Qwen3-Next (Qwen3NextForCausalLM) <-> Megatron GPTModel with Gated DeltaNet layers.
// Source: NVIDIA-NeMo/Megatron-Bridge models/qwen/qwen3_next_bridge.py (facts bridge-mappings
// §3.7); in_proj from the per-key-head grouped in_proj_qkvz / in_proj_ba (GDNLinearMapping, §3.4).
#include "gdn_hybrid_table.h"
#include "strata/mapping/gdn_mappings.h"

namespace strata {

MappingRegistry build_qwen3_next_registry() {
    MappingRegistry r("qwen3_next", "Megatron-Bridge qwen3_next_bridge.py");
    add_gdn_hybrid_rules(r, {{{"qkvz", "in_proj_qkvz.weight"}, {"ba", "in_proj_ba.weight"}},
                             gdn_in_proj_grouped(),
                             true,
                             /*vl_wrapper=*/false});
    return r;
}

}  // namespace strata
