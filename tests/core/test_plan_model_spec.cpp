// ModelSpec from HF configs (Qwen3 family, M1 hybrid) and Megatron args.
#include <catch2/catch.hpp>

#include "strata/model/model_spec.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/synth/synth.h"

using namespace strata;
using nlohmann::json;

namespace {

json qwen3_30b_config() {
    const SynthPreset* p = find_synth_preset("qwen3-30b-a3b");
    REQUIRE(p != nullptr);
    return p->config;
}

// Qwen3-Next-80B-A3B as in Megatron-Bridge's test fixture (facts/bridge-mappings.md §3.9).
json qwen3_next_config() {
    return json{{"model_type", "qwen3_next"},
                {"hidden_size", 2048},
                {"num_hidden_layers", 48},
                {"num_attention_heads", 16},
                {"num_key_value_heads", 2},
                {"head_dim", 256},
                {"intermediate_size", 5120},
                {"moe_intermediate_size", 512},
                {"shared_expert_intermediate_size", 512},
                {"num_experts", 512},
                {"num_experts_per_tok", 10},
                {"decoder_sparse_step", 1},
                {"mlp_only_layers", json::array()},
                {"norm_topk_prob", true},
                {"full_attention_interval", 4},
                {"partial_rotary_factor", 0.25},
                {"linear_num_key_heads", 16},
                {"linear_num_value_heads", 32},
                {"linear_key_head_dim", 128},
                {"linear_value_head_dim", 128},
                {"linear_conv_kernel_dim", 4},
                {"rope_theta", 1e7},
                {"rms_norm_eps", 1e-6},
                {"vocab_size", 151936},
                {"tie_word_embeddings", false}};
}

}  // namespace

TEST_CASE("Qwen3-30B-A3B config.json gives the reference dims", "[plan][spec]") {
    auto spec = model_spec_from_hf_config(qwen3_30b_config());
    REQUIRE(spec.is_ok());
    CHECK(spec->model_type == "qwen3_moe");
    CHECK(spec->hidden == 2048);
    CHECK(spec->layers == 48);
    CHECK(spec->heads == 32);
    CHECK(spec->kv_heads == 4);
    CHECK(spec->head_dim == 128);
    CHECK(spec->experts == 128);
    CHECK(spec->experts_per_token == 8);
    CHECK(spec->expert_ffn == 768);
    CHECK(spec->vocab == 151936);
    CHECK(spec->rope_theta == 1e6);
    CHECK_FALSE(spec->tied_embeddings);
    CHECK(spec->qk_norm);
    REQUIRE(spec->layer_kinds.size() == 48);
    CHECK(spec->layer_kinds[17] == LayerKind{MixerKind::Attention, MlpKind::MoE});
}

TEST_CASE("decoder_sparse_step and mlp_only_layers make dense layers", "[plan][spec]") {
    auto cfg = qwen3_30b_config();
    cfg["decoder_sparse_step"] = 2;
    cfg["mlp_only_layers"] = {5};
    auto spec = model_spec_from_hf_config(cfg);
    REQUIRE(spec.is_ok());
    CHECK(spec->layer_kinds[0].mlp == MlpKind::Dense);  // (0+1) % 2 != 0
    CHECK(spec->layer_kinds[1].mlp == MlpKind::MoE);
    CHECK(spec->layer_kinds[5].mlp == MlpKind::Dense);  // listed
}

TEST_CASE("missing and bad fields are named", "[plan][spec]") {
    auto cfg = qwen3_30b_config();
    cfg.erase("hidden_size");
    auto r = model_spec_from_hf_config(cfg);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == StatusCode::InvalidArgument);
    CHECK(r.status().message() == "config.json: missing field 'hidden_size'");
    cfg = qwen3_30b_config();
    cfg["num_key_value_heads"] = "four";
    CHECK(model_spec_from_hf_config(cfg).status().message() ==
          "config.json: field 'num_key_value_heads' must be a non-negative integer, got \"four\"");
    cfg = qwen3_30b_config();
    cfg["model_type"] = "gpt_neox";  // no family claims it (llama is a family now)
    CHECK(model_spec_from_hf_config(cfg).status().code() == StatusCode::Unsupported);
}

TEST_CASE("Qwen3-Next: GDN dims and full attention every 4th layer", "[plan][spec]") {
    auto spec = model_spec_from_hf_config(qwen3_next_config());
    REQUIRE(spec.is_ok());
    CHECK(spec->gdn.key_heads == 16);
    CHECK(spec->gdn.value_heads == 32);
    CHECK(spec->shared_expert_ffn == 512);
    CHECK(spec->partial_rotary_factor == 0.25);
    CHECK(spec->attention_output_gate);
    CHECK(spec->layer_kinds[3].mixer == MixerKind::Attention);
    CHECK(spec->layer_kinds[4].mixer == MixerKind::GatedDeltaNet);
    auto p = megatron_pattern_from_layers(spec->layer_kinds, {MegatronVersion::V0_17, false});
    REQUIRE(p.is_ok());
    CHECK(p->substr(0, 8) == "GEGEGE*E");
}

TEST_CASE("Qwen3.5 VL wrapper: the text_config with layer_types", "[plan][spec]") {
    json text = qwen3_next_config();
    text["model_type"] = "qwen3_5_moe_text";
    text.erase("full_attention_interval");
    text["hidden_size"] = 4096;
    text["num_hidden_layers"] = 8;
    text["layer_types"] = layer_types_from_mixers(gdn_mixers_from_interval(8, 4));
    const json cfg{{"model_type", "qwen3_5_moe"}, {"text_config", text}, {"vision_config", json::object()}};
    auto spec = model_spec_from_hf_config(cfg);
    REQUIRE(spec.is_ok());
    CHECK(spec->model_type == "qwen3_5_moe");
    CHECK(spec->hidden == 4096);
    CHECK(attn_layers_from_mixers([&] {
              std::vector<MixerKind> m;
              for (const auto& k : spec->layer_kinds) m.push_back(k.mixer);
              return m;
          }()) == std::vector<int>{3, 7});
    text["layer_types"][2] = "sliding";
    const json bad{{"model_type", "qwen3_5_moe"}, {"text_config", text}};
    CHECK(model_spec_from_hf_config(bad).status().message().find("layer_types[2]") != std::string::npos);
}

TEST_CASE("M1 hybrid: mamba_config.json beside config.json", "[plan][spec]") {
    auto cfg = qwen3_30b_config();
    cfg["mamba_config"] = json{{"d_model", 2048}, {"ssm_cfg", {{"expand", 2}, {"ngroups", 32}}},
                               {"d_inner", 4096}, {"d_xb", 512},
                               {"n_layer", 48},   {"attn_layers", *parse_index_list("0,2,4,...,44,46,47", 48)}};
    auto spec = model_spec_from_hf_config(cfg);
    REQUIRE(spec.is_ok());
    CHECK(spec->model_type == "m1_hybrid");
    CHECK(spec->mamba.d_inner == 4096);
    CHECK(spec->mamba.n_heads == 32);
    CHECK(spec->mamba.head_dim == 128);
    CHECK(spec->mamba.d_state == 128);
    CHECK(spec->mamba.x_db == 512);
    CHECK(spec->layer_kinds[1].mixer == MixerKind::Mamba2);
    CHECK(spec->layer_kinds[47].mixer == MixerKind::Attention);
    cfg["mamba_config"]["attn_layers"] = {0, 0, 47};
    CHECK(model_spec_from_hf_config(cfg).status().message() == "mamba_config: attn_layers: index 0 is listed twice");
}

TEST_CASE("Megatron args: the workflow's hybrid and a GPT MoE", "[plan][spec]") {
    std::string pattern;
    for (int i = 0; i < 23; ++i) pattern += "*-M-";
    pattern += "*-*-";
    const json args{{"num_layers", 96},
                    {"hidden_size", 2048},
                    {"num_attention_heads", 32},
                    {"group_query_attention", true},
                    {"num_query_groups", 4},
                    {"kv_channels", 128},
                    {"ffn_hidden_size", 6144},
                    {"num_experts", 128},
                    {"moe_router_topk", 8},
                    {"moe_ffn_hidden_size", 768},
                    {"padded_vocab_size", 151936},
                    {"untie_embeddings_and_output_weights", true},
                    {"mamba_ngroups", 4},
                    {"mamba_d_state", 128},
                    {"mamba_headdim", 128},
                    {"mamba_expand", 2},
                    {"hybrid_attention_ratio", 0.26},
                    {"hybrid_mlp_ratio", 0.5},
                    {"hybrid_override_pattern", pattern}};
    auto spec = model_spec_from_megatron_args(args);
    REQUIRE(spec.is_ok());
    CHECK(spec->model_type == "megatron_hybrid");
    CHECK(spec->layers == 48);                                                  // HF layers: mixer + MLP pairs
    CHECK(spec->layer_kinds[1] == LayerKind{MixerKind::Mamba2, MlpKind::MoE});  // '-' is the MoE MLP here
    CHECK(spec->mamba.n_heads == 32);
    CHECK(spec->mamba.n_groups == 4);
    CHECK(spec->mamba.d_inner == 4096);
    CHECK(spec->megatron_pattern == pattern);
    CHECK_FALSE(spec->tied_embeddings);

    json gpt = args;
    for (const char* k : {"mamba_ngroups", "mamba_d_state", "mamba_headdim", "mamba_expand", "hybrid_attention_ratio",
                          "hybrid_mlp_ratio", "hybrid_override_pattern"})
        gpt.erase(k);
    gpt["num_layers"] = 48;
    auto g = model_spec_from_megatron_args(gpt);
    REQUIRE(g.is_ok());
    CHECK(g->model_type == "megatron_gpt");
    CHECK(g->layers == 48);
    CHECK(g->kv_heads == 4);
    CHECK(g->layer_kinds[0] == LayerKind{MixerKind::Attention, MlpKind::MoE});

    json wrong = args;
    wrong["num_layers"] = 94;
    CHECK(model_spec_from_megatron_args(wrong).status().message() ==
          "Megatron args: hybrid pattern has 96 layers but num_layers is 94");
    json ratios_only = args;
    ratios_only.erase("hybrid_override_pattern");
    ratios_only["hybrid_attention_ratio"] = 0.08;
    ratios_only["num_layers"] = 56;
    ratios_only.erase("num_experts");
    auto r = model_spec_from_megatron_args(ratios_only);
    REQUIRE(r.is_ok());
    CHECK(r->megatron_pattern == "M-M-M--M-M*-M-M-M-M--M*-M-M-M-M-M*--M-M-M-M-M*-M--M-M-M-");
    CHECK(r->layers == 56);  // "--" has no per-HF-layer form
    CHECK(r->layer_kinds.empty());
}
