// Nemotron-H synth presets: config.json as transformers 5.23 reads it (hybrid_override_pattern is
// the published checkpoints' spelling; transformers turns it into layers_block_type).
// nemotron-h-8b has the dims of nvidia/Nemotron-H-8B-Base-8K (hidden 4096, 52 layers: 24 Mamba2 of
// 128 heads x 64 with 8 groups and state 128, 4 attention of 32 / 8 heads x 128, 24 MLP of 21504;
// vocab 131072, untied): its in_proj is 18560 x 4096 and its parameter count 8,100,852,736, the
// published figure. The layer order is the 52-layer pattern of Megatron-Bridge's Nemotron-H docs
// (docs/models/llm/nemotronh.md), which has the same 24 / 4 / 24 counts.
#include "nemotron_h.h"
#include "strata/synth/synth.h"

namespace strata {
namespace {

using nlohmann::json;

struct Dims {
    int hidden, heads, kv_heads, head_dim, ffn, mamba_heads, mamba_head_dim, groups, state, vocab;
    const char* pattern;
};

// Nemotron 3 style 'E' layers: routed experts, top-k by the sigmoid group router, a shared expert.
struct MoeDims {
    int experts, top_k, expert_ffn, shared_ffn, groups, top_groups;
    double scaling;
};

json with_moe(json c, const MoeDims& m) {
    c["n_routed_experts"] = m.experts;
    c["num_experts_per_tok"] = m.top_k;
    c["moe_intermediate_size"] = m.expert_ffn;
    c["n_shared_experts"] = 1;
    c["moe_shared_expert_intermediate_size"] = m.shared_ffn;
    c["n_group"] = m.groups;
    c["topk_group"] = m.top_groups;
    c["routed_scaling_factor"] = m.scaling;
    c["norm_topk_prob"] = true;
    return c;
}

json nemotron_h_config(const Dims& d) {
    return json{
        {"architectures", {"NemotronHForCausalLM"}},
        {"attention_bias", false},
        {"bos_token_id", 1},
        {"chunk_size", 128},
        {"conv_kernel", 4},
        {"eos_token_id", 2},
        {"expand", 2},
        {"head_dim", d.head_dim},
        {"hidden_size", d.hidden},
        {"hybrid_override_pattern", d.pattern},
        {"initializer_range", 0.02},
        {"intermediate_size", d.ffn},
        {"layer_norm_epsilon", 1e-05},
        {"mamba_head_dim", d.mamba_head_dim},
        {"mamba_hidden_act", "silu"},
        {"mamba_num_heads", d.mamba_heads},
        {"max_position_embeddings", 8192},
        {"mlp_bias", false},
        {"mlp_hidden_act", "relu2"},
        {"model_type", "nemotron_h"},
        {"n_groups", d.groups},
        {"num_attention_heads", d.heads},
        {"num_hidden_layers", std::string(d.pattern).size()},
        {"num_key_value_heads", d.kv_heads},
        {"pad_token_id", 0},
        {"residual_in_fp32", false},
        {"ssm_state_size", d.state},
        {"tie_word_embeddings", false},
        {"time_step_max", 0.1},
        {"time_step_min", 0.001},
        {"torch_dtype", "bfloat16"},
        {"use_bias", false},
        {"use_conv_bias", true},
        {"vocab_size", d.vocab},
    };
}

}  // namespace

void add_nemotron_h_presets(std::vector<SynthPreset>& out) {
    // Tiny: the fixture's dims (tests/reference/make_nemotron_h_fixtures.py); 8 heads, 4 KV heads,
    // 8 Mamba heads and 4 groups so TP 2 and 4 split all of them.
    out.push_back({"nemotron-h-tiny",
                   "Nemotron-H, hidden 64, pattern M-M*-M*- (3 Mamba2 8x16 with 4 groups, 2 attention 8/4 heads, "
                   "3 squared-ReLU MLP 128), vocab 256",
                   nemotron_h_config({64, 8, 4, 8, 128, 8, 16, 4, 16, 256, "M-M*-M*-"})});
    out.push_back({"nemotron-h-moe-tiny",
                   "Nemotron 3 style MoE, hidden 64, pattern ME*EM-*E: 8 squared-ReLU experts of 32, top-2 by a "
                   "sigmoid router over 2 groups (1 kept, scaling 2.5), a shared expert of 48",
                   with_moe(nemotron_h_config({64, 8, 4, 8, 128, 8, 16, 4, 16, 256, "ME*EM-*E"}),
                            {8, 2, 32, 48, 2, 1, 2.5})});
    out.push_back({"nemotron-h-8b",
                   "Nemotron-H-8B at real dims: 52 layers (24 Mamba2, 4 attention, 24 MLP), 8.1 B parameters",
                   nemotron_h_config({4096, 32, 8, 128, 21504, 128, 64, 8, 128, 131072,
                                      "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-"})});
}

}  // namespace strata
