// Gated DeltaNet hybrid synth presets (Qwen3-Next, Qwen3.5 dense / MoE and their VL wrappers).
#include "gdn_hybrid.h"
#include "strata/synth/synth.h"

namespace strata {
namespace {

using nlohmann::json;

// Gated DeltaNet hybrids. Field names are transformers' Qwen3NextConfig and
// Qwen3_5(Moe)TextConfig; the real-dims values are facts bridge-mappings §3.9 (Qwen3-Next-80B-A3B
// from Megatron-Bridge's unit-test fixture, Qwen3.5-397B-A17B text_config from transcriptions;
// its shared_expert_intermediate_size 1024 is unverified against the hub).
struct GdnShape {
    int hidden, layers, heads, kv_heads, head_dim;
    int key_heads, value_heads, key_dim, value_dim;
    int experts, topk, moe_ffn, shared_ffn, dense_ffn, vocab, mtp;
};

json gdn_config(const char* type, const GdnShape& d) {
    const bool moe = d.experts > 0;
    json c{
        {"attention_bias", false},
        {"attention_dropout", 0.0},
        {"head_dim", d.head_dim},
        {"hidden_act", "silu"},
        {"hidden_size", d.hidden},
        {"initializer_range", 0.02},
        {"linear_conv_kernel_dim", 4},
        {"linear_key_head_dim", d.key_dim},
        {"linear_num_key_heads", d.key_heads},
        {"linear_num_value_heads", d.value_heads},
        {"linear_value_head_dim", d.value_dim},
        {"max_position_embeddings", 262144},
        {"model_type", type},
        {"mtp_num_hidden_layers", d.mtp},
        {"num_attention_heads", d.heads},
        {"num_hidden_layers", d.layers},
        {"num_key_value_heads", d.kv_heads},
        {"rms_norm_eps", 1e-06},
        {"tie_word_embeddings", false},
        {"torch_dtype", "bfloat16"},
        {"use_cache", true},
        {"vocab_size", d.vocab},
    };
    if (d.dense_ffn) c["intermediate_size"] = d.dense_ffn;
    if (moe) {
        c["moe_intermediate_size"] = d.moe_ffn;
        c["norm_topk_prob"] = true;
        c["num_experts"] = d.experts;
        c["num_experts_per_tok"] = d.topk;
        c["router_aux_loss_coef"] = 0.001;
        c["shared_expert_intermediate_size"] = d.shared_ffn;
    }
    return c;
}

// Qwen3-Next: full_attention_interval (transformers < 5.5 style), rope fields at top level.
json qwen3_next_config(const GdnShape& d) {
    json c = gdn_config("qwen3_next", d);
    c["architectures"] = {"Qwen3NextForCausalLM"};
    c["bos_token_id"] = 151643;
    c["eos_token_id"] = 151645;
    c["decoder_sparse_step"] = 1;
    c["mlp_only_layers"] = json::array();
    c["full_attention_interval"] = 4;
    c["partial_rotary_factor"] = 0.25;
    c["rope_theta"] = 10000000.0;
    c["output_router_logits"] = false;
    return c;
}

// Qwen3.5 text configs: layer_types (transformers >= 5.5 style) and rope_parameters.
json qwen3_5_config(const GdnShape& d) {
    const bool moe = d.experts > 0;
    json c = gdn_config(moe ? "qwen3_5_moe_text" : "qwen3_5_text", d);
    c["architectures"] = {moe ? "Qwen3_5MoeForCausalLM" : "Qwen3_5ForCausalLM"};
    c["bos_token_id"] = 248045;
    c["eos_token_id"] = 248046;
    json types = json::array();
    for (int i = 0; i < d.layers; ++i) types.push_back((i + 1) % 4 == 0 ? "full_attention" : "linear_attention");
    c["layer_types"] = types;
    c["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000000.0}, {"partial_rotary_factor", 0.25}};
    return c;
}

// Qwen3.5 VL wrappers (Qwen3_5(Moe)ForConditionalGeneration, transformers
// models/qwen3_5/configuration_qwen3_5.py Qwen3_5Config): the text config nested under
// text_config, a tiny vision_config (Qwen3_5VisionConfig fields; out_hidden_size = the LM width),
// the image / video token ids and the tie flag at the top level.
json qwen3_5_vl_config(const GdnShape& d) {
    const bool moe = d.experts > 0;
    json text = qwen3_5_config(d);
    text.erase("architectures");
    text.erase("torch_dtype");
    const json vision{
        {"depth", 2},
        {"hidden_act", "gelu_pytorch_tanh"},
        {"hidden_size", 32},
        {"in_channels", 3},
        {"initializer_range", 0.02},
        {"intermediate_size", 64},
        {"model_type", moe ? "qwen3_5_moe_vision" : "qwen3_5_vision"},
        {"num_heads", 2},
        {"num_position_embeddings", 16},
        {"out_hidden_size", d.hidden},
        {"patch_size", 4},
        {"spatial_merge_size", 2},
        {"temporal_patch_size", 2},
    };
    return json{
        {"architectures", {moe ? "Qwen3_5MoeForConditionalGeneration" : "Qwen3_5ForConditionalGeneration"}},
        {"image_token_id", 248056},
        {"model_type", moe ? "qwen3_5_moe" : "qwen3_5"},
        {"text_config", text},
        {"tie_word_embeddings", false},
        {"torch_dtype", "bfloat16"},
        {"video_token_id", 248057},
        {"vision_config", vision},
        {"vision_end_token_id", 248054},
        {"vision_start_token_id", 248053},
    };
}

}  // namespace

void add_gdn_hybrid_presets(std::vector<SynthPreset>& out) {
    const std::vector<SynthPreset> presets = {
        // Tiny GDN hybrids: 4 key / 8 value heads (ratio 2) of different dims, 4 query groups, so
        // TP 2 puts 2 key + 4 value heads on a rank and TP 4 one key + 2 value heads.
        {"qwen3-next-tiny",
         "Qwen3-Next, hidden 64, 8 layers (GGG* x2), 8/4 heads of 16, GDN 4/8 heads of 8/16, 8 experts top-2 "
         "+ shared, 1 MTP layer, vocab 256",
         qwen3_next_config({64, 8, 8, 4, 16, 4, 8, 8, 16, 8, 2, 32, 48, 128, 256, 1})},
        {"qwen3.5-tiny",
         "dense Qwen3.5, hidden 64, 4 layers (GGG*), 8/4 heads of 16, GDN 4/8 heads of 16/8, FFN 96, 1 MTP layer, "
         "vocab 256",
         qwen3_5_config({64, 4, 8, 4, 16, 4, 8, 16, 8, 0, 0, 0, 0, 96, 256, 1})},
        {"qwen3.5-moe-tiny",
         "Qwen3.5-MoE, hidden 64, 8 layers (GGG* x2), 8/4 heads of 16, GDN 4/8 heads of 8/16, 8 experts top-2 "
         "+ shared, 1 MTP layer, vocab 256",
         qwen3_5_config({64, 8, 8, 4, 16, 4, 8, 8, 16, 8, 2, 32, 64, 0, 256, 1})},
        {"qwen3.5-vl-tiny",
         "qwen3.5-tiny inside its VL wrapper (Qwen3_5ForConditionalGeneration): text_config, "
         "model.language_model.* names, a 2-block model.visual.* tower",
         qwen3_5_vl_config({64, 4, 8, 4, 16, 4, 8, 16, 8, 0, 0, 0, 0, 96, 256, 1})},
        {"qwen3.5-moe-vl-tiny",
         "qwen3.5-moe-tiny inside its VL wrapper (Qwen3_5MoeForConditionalGeneration): text_config, "
         "model.language_model.* names, a 2-block model.visual.* tower",
         qwen3_5_vl_config({64, 8, 8, 4, 16, 4, 8, 8, 16, 8, 2, 32, 64, 0, 256, 1})},
        {"qwen3-next-80b-a3b", "Qwen3-Next-80B-A3B at real dims: 48 layers (36 GDN + 12 attention), 512 experts",
         qwen3_next_config({2048, 48, 16, 2, 256, 16, 32, 128, 128, 512, 10, 512, 512, 5120, 151936, 1})},
        {"qwen3.5-397b-a17b",
         "Qwen3.5-397B-A17B text model at real dims: 60 layers (45 GDN + 15 attention), 512 experts",
         qwen3_5_config({4096, 60, 32, 2, 256, 16, 64, 128, 128, 512, 10, 1024, 1024, 0, 248320, 1})},
    };
    out.insert(out.end(), presets.begin(), presets.end());
}

}  // namespace strata
