// Qwen3 / Qwen3-MoE synth presets: HF config.json values. Qwen3-30B-A3B values are the
// published config of Qwen/Qwen3-30B-A3B (facts README "Reference model configs").
#include "qwen3.h"
#include "strata/synth/synth.h"

namespace strata {
namespace {

using nlohmann::json;

json qwen3_moe_config(int hidden, int layers, int heads, int kv_heads, int head_dim, int experts, int topk, int moe_ffn,
                      int dense_ffn, int vocab) {
    return json{
        {"architectures", {"Qwen3MoeForCausalLM"}},
        {"attention_bias", false},
        {"attention_dropout", 0.0},
        {"bos_token_id", 151643},
        {"decoder_sparse_step", 1},
        {"eos_token_id", 151645},
        {"head_dim", head_dim},
        {"hidden_act", "silu"},
        {"hidden_size", hidden},
        {"initializer_range", 0.02},
        {"intermediate_size", dense_ffn},
        {"max_position_embeddings", 40960},
        {"max_window_layers", layers},
        {"mlp_only_layers", json::array()},
        {"model_type", "qwen3_moe"},
        {"moe_intermediate_size", moe_ffn},
        {"norm_topk_prob", true},
        {"num_attention_heads", heads},
        {"num_experts", experts},
        {"num_experts_per_tok", topk},
        {"num_hidden_layers", layers},
        {"num_key_value_heads", kv_heads},
        {"output_router_logits", false},
        {"rms_norm_eps", 1e-06},
        {"rope_scaling", nullptr},
        {"rope_theta", 1000000.0},
        {"router_aux_loss_coef", 0.001},
        {"sliding_window", nullptr},
        {"tie_word_embeddings", false},
        {"torch_dtype", "bfloat16"},
        {"transformers_version", "4.51.0"},
        {"use_cache", true},
        {"use_sliding_window", false},
        {"vocab_size", vocab},
    };
}

json qwen3_dense_config(int hidden, int layers, int heads, int kv_heads, int head_dim, int ffn, int vocab) {
    json c = qwen3_moe_config(hidden, layers, heads, kv_heads, head_dim, 1, 1, 1, ffn, vocab);
    for (const char* k : {"decoder_sparse_step", "mlp_only_layers", "moe_intermediate_size", "norm_topk_prob",
                          "num_experts", "num_experts_per_tok", "output_router_logits", "router_aux_loss_coef"})
        c.erase(k);
    c["architectures"] = {"Qwen3ForCausalLM"};
    c["model_type"] = "qwen3";
    return c;
}

json tied(json c) {
    c["tie_word_embeddings"] = true;
    return c;
}

}  // namespace

void add_qwen3_presets(std::vector<SynthPreset>& out) {
    out.push_back({"tiny", "Qwen3-MoE, hidden 64, 4 layers, 8/2 heads of 16, 8 experts top-2, vocab 256",
                   qwen3_moe_config(64, 4, 8, 2, 16, 8, 2, 32, 128, 256)});
    out.push_back({"tiny-dense", "dense Qwen3, hidden 64, 4 layers, 8/2 heads of 16, FFN 128, vocab 256",
                   qwen3_dense_config(64, 4, 8, 2, 16, 128, 256)});
    out.push_back({"tiny-dense-tied",
                   "tiny-dense with tied embeddings (no lm_head, as Qwen3-0.6B/1.7B/4B): Megatron PP > 1 stores a copy "
                   "on the last stage",
                   tied(qwen3_dense_config(64, 4, 8, 2, 16, 128, 256))});
    out.push_back({"qwen3-30b-a3b", "Qwen3-30B-A3B at real dims: 48 layers, 128 experts, 30.5 B parameters",
                   qwen3_moe_config(2048, 48, 32, 4, 128, 128, 8, 768, 6144, 151936)});
}

}  // namespace strata
