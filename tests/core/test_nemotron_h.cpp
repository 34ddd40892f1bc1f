// The Nemotron-H family (core/src/architectures/nemotron_h): fp32 logits against transformers 5.23
// (fixture from tests/reference/make_nemotron_h_fixtures.py), HF -> Megatron hybrid -> HF bit for
// bit over TP x PP and both norm layouts, the Megatron layout's logits equal to the HF layout's,
// config.json spellings and refusals, Megatron args rebuilt without Strata's saved config, and the
// real-dims preset with its plan checks.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "strata/convert/convert.h"
#include "strata/convert/megatron_args.h"
#include "strata/formats/checkpoint_summary.h"
#include "strata/forward/forward.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/hf_layout.h"
#include "strata/model/model_spec.h"
#include "strata/parallel/checks.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace strata;
using namespace strata::test;
using nlohmann::json;

TEST_CASE("nemotron_h: fp32 CPU logits match transformers", "[nemotron_h][forward][reference]") {
    // nemotron_h: M / * / - layers; nemotron_h_moe: Nemotron 3's E layers (sigmoid group router).
    const std::string name = GENERATE("nemotron_h", "nemotron_h_moe");
    check_against_fixture_logits(name, "nemotron_h");
}

TEST_CASE("nemotron_h: HF -> Megatron hybrid -> HF is bit-identical over TP x PP", "[nemotron_h][convert][roundtrip]") {
    TempDir tmp;
    const fs::path hf = synth_ok(tmp / "hf", "nemotron-h-tiny", false, 5);
    const Checkpoint source = open_ok(hf);
    for (int tp : {1, 2, 4})
        for (int pp : {1, 2})
            for (NormLayout norms : {NormLayout::Te, NormLayout::Local}) {
                if (norms == NormLayout::Local && tp != 2) continue;
                INFO("tp " << tp << " pp " << pp << " norms " << norm_layout_name(norms));
                const std::string tag = "tp" + std::to_string(tp) + "pp" + std::to_string(pp) + norm_layout_name(norms);
                LayoutOptions mg = target(LayoutKind::Megatron, tp, pp);
                mg.norms = norms;
                const Checkpoint back = megatron_round_trip(hf, tmp.path(), tag, mg);
                require_same_tensors(source, back);
                CHECK(back.config.value("model_type", "") == "nemotron_h");
                fs::remove_all(tmp / (tag + "-hf"));
            }
}

TEST_CASE("nemotron_h MoE: HF -> Megatron hybrid -> HF is bit-identical over TP x PP x EP",
          "[nemotron_h][convert][roundtrip]") {
    TempDir tmp;
    const fs::path hf = synth_ok(tmp / "hf", "nemotron-h-moe-tiny", false, 6);
    const Checkpoint source = open_ok(hf);
    for (int tp : {1, 2, 4})
        for (int pp : {1, 2})
            for (int ep : {1, 2}) {
                INFO("tp " << tp << " pp " << pp << " ep " << ep);
                const std::string tag = "tp" + std::to_string(tp) + "pp" + std::to_string(pp) + "ep" + std::to_string(ep);
                LayoutOptions mg = target(LayoutKind::Megatron, tp, pp, ep);
                if (tp == 2 && ep == 2) mg.experts = ExpertLayout::Sequential;  // SequentialMLP names once
                const Checkpoint back = megatron_round_trip(hf, tmp.path(), tag, mg);
                require_same_tensors(source, back);
                fs::remove_all(tmp / (tag + "-hf"));
            }
}

TEST_CASE("nemotron_h: the Megatron layout gives bit-identical logits to the HF layout", "[nemotron_h][forward][layouts]") {
    TempDir tmp;
    const fs::path hf = forward_fixture("nemotron_h");
    const auto tokens = fixture_tokens(hf);
    const ForwardResult a = forward_ok(hf, tokens);
    for (int tp : {2, 4}) {
        INFO("tp " << tp);
        const fs::path mg = tmp / ("mg" + std::to_string(tp));
        convert_ok(hf, mg, target(LayoutKind::Megatron, tp, 2));
        const ForwardResult b = forward_ok(mg, tokens);
        CHECK(b.layout == "megatron");
        CHECK(bit_identical(a.logits, b.logits));
    }
}

TEST_CASE("nemotron_h MoE: the Megatron TP2 PP2 EP2 layout gives bit-identical logits", "[nemotron_h][forward][layouts]") {
    TempDir tmp;
    const fs::path hf = forward_fixture("nemotron_h_moe");
    const auto tokens = fixture_tokens(hf);
    convert_ok(hf, tmp / "mg", target(LayoutKind::Megatron, 2, 2, 2));
    const Checkpoint mg = open_ok(tmp / "mg");
    CHECK(mg.find("decoder.layers.1.mlp.router.expert_bias", RankCoord{0, 0, 1}));
    CHECK(mg.find("decoder.layers.1.pre_mlp_layernorm.weight", RankCoord{0, 0, 0}));
    CHECK(mg.config.value("moe_router_score_function", "") == "sigmoid");
    CHECK(mg.config.value("moe_router_num_groups", 0) == 2);
    CHECK(bit_identical(forward_ok(hf, tokens).logits, forward_ok(tmp / "mg", tokens).logits));
}

TEST_CASE("nemotron_h: Megatron versions: 0.19's conv1d_weight reads back, MoE layers refused before 0.16",
          "[nemotron_h][convert]") {
    TempDir tmp;
    const fs::path hf = forward_fixture("nemotron_h");
    LayoutOptions v19 = target(LayoutKind::Megatron, 2, 1);
    v19.conv1d_params = true;  // what --megatron-version 0.19 sets
    const Checkpoint back = megatron_round_trip(hf, tmp.path(), "v19", v19);
    require_same_tensors(open_ok(hf), back);

    LayoutOptions v15 = target(LayoutKind::Megatron, 1, 1);
    v15.moe_symbol_e = false;  // --megatron-version 0.15
    ConvertOptions o;
    o.source = forward_fixture("nemotron_h_moe");
    o.out = tmp / "v15";
    o.target = v15;
    NullProgress progress;
    CancelToken cancel;
    auto r = convert_checkpoint(o, progress, cancel);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("need Megatron-Core 0.16 or later") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "v15"));
}

TEST_CASE("nemotron_h: the Megatron in_proj holds each TP rank's z, x, B, C and dt blocks", "[nemotron_h][convert]") {
    TempDir tmp;
    const fs::path mg = tmp / "mg";
    convert_ok(forward_fixture("nemotron_h"), mg, target(LayoutKind::Megatron, 4, 1));
    const Checkpoint c = open_ok(mg);
    // 8 heads x 16, 4 groups x 16 state: [z 128 | x 128 | B 64 | C 64 | dt 8] / 4 ranks = 98 rows.
    const TensorInfo* in_proj = c.find("decoder.layers.0.mixer.in_proj.weight", RankCoord{3, 0, 0});
    REQUIRE(in_proj);
    CHECK(in_proj->shape == Shape{98, 64});
    const TensorInfo* conv = c.find("decoder.layers.0.mixer.conv1d.weight", RankCoord{3, 0, 0});
    REQUIRE(conv);
    CHECK(conv->shape == Shape{64, 1, 4});  // [x 128 | B 64 | C 64] / 4
    CHECK(c.config.value("hybrid_override_pattern", "") == "M-M*-M*-");
    CHECK(c.config.value("squared_relu", false));
    CHECK(c.config.value("position_embedding_type", "") == "none");
    CHECK(c.config.value("mamba_num_groups", 0) == 4);
}

TEST_CASE("nemotron_h: both pattern spellings give one layer per symbol", "[nemotron_h][spec]") {
    const Checkpoint fixture = open_ok(forward_fixture("nemotron_h"));
    REQUIRE(fixture.config.contains("layers_block_type"));  // transformers 5 writes the list
    auto from_list = model_spec_from_hf_config(fixture.config);
    INFO(from_list.status().message());
    REQUIRE(from_list.is_ok());
    auto from_pattern = model_spec_from_hf_config(find_synth_preset("nemotron-h-tiny")->config);
    REQUIRE(from_pattern.is_ok());
    CHECK(from_list->layer_kinds == from_pattern->layer_kinds);
    REQUIRE(from_list->layers == 8);
    CHECK(from_list->layer_kinds[0] == LayerKind{MixerKind::Mamba2, MlpKind::None});
    CHECK(from_list->layer_kinds[1] == LayerKind{MixerKind::None, MlpKind::Dense});
    CHECK(from_list->layer_kinds[3] == LayerKind{MixerKind::Attention, MlpKind::None});
    CHECK(megatron_pattern_from_layers(from_list->layer_kinds).value() == "M-M*-M*-");
    CHECK_FALSE(from_list->rotary);
    CHECK(from_list->mlp_activation == MlpActivation::SquaredReLU);
    CHECK(from_list->mamba.n_groups == 4);
    CHECK(from_list->mamba.d_inner == 128);
    CHECK(from_list->mamba.dt_min == Approx(0.001));
}

TEST_CASE("nemotron_h: configs Strata cannot run are refused, naming the field", "[nemotron_h][spec]") {
    json base = find_synth_preset("nemotron-h-tiny")->config;
    const auto [key, value, expect] = GENERATE(table<std::string, json, std::string>({
        {"moe_latent_size", 16, "moe_latent_size (latent MoE projections) is not supported"},
        {"hybrid_override_pattern", "M-E*-", "'n_routed_experts' must be a positive integer"},
        {"hybrid_override_pattern", "M-X", "'X'"},
        {"num_hidden_layers", 7, "num_hidden_layers 7 differs from the pattern's 8 layers"},
        {"n_groups", 3, "n_groups must divide mamba_num_heads"},
        {"mlp_hidden_act", "silu", "mlp_hidden_act 'silu'"},
        {"use_bias", true, "'use_bias' true is not supported"},
    }));
    json c = base;
    c[key] = value;
    if (key == "hybrid_override_pattern") c.erase("num_hidden_layers");
    if (key == "moe_latent_size") c["hybrid_override_pattern"] = "M-E*-", c.erase("num_hidden_layers");
    auto spec = model_spec_from_hf_config(c);
    REQUIRE_FALSE(spec.is_ok());
    INFO(spec.status().message());
    CHECK(spec.status().message().find(expect) != std::string::npos);
}

TEST_CASE("nemotron_h: Megatron args rebuild config.json without Strata's saved copy", "[nemotron_h][plan]") {
    const std::string preset = GENERATE("nemotron-h-tiny", "nemotron-h-moe-tiny");
    INFO(preset);
    const auto& hf = find_synth_preset(preset)->config;
    auto spec = mapping_spec_from_hf_config(hf);
    REQUIRE(spec.is_ok());
    auto canonical = hf_tensor_entries(hf, DType::BF16);
    REQUIRE(canonical.is_ok());
    auto reg = mapping_registry_for(spec->model_type);
    REQUIRE(reg.is_ok());
    LayoutOptions o;
    o.kind = LayoutKind::Megatron;
    o.plan.tp = 2;
    auto layout = build_layout(*spec, *canonical, **reg, o);
    INFO(layout.status().message());
    REQUIRE(layout.is_ok());
    auto args = megatron_args_for(hf, *layout, 1);
    CHECK(args["swiglu"] == false);
    // What plan and inspect read from a Megatron checkpoint: one Megatron layer per HF layer.
    auto from_args = model_spec_from_megatron_args(args);
    REQUIRE(from_args.is_ok());
    CHECK(from_args->model_type == "nemotron_h");
    CHECK(from_args->layer_kinds == spec->layer_kinds);
    args.erase("strata_hf_config");
    args.erase("hf_model_type");  // as a Megatron-trained checkpoint has them: squared_relu decides
    auto rebuilt = hf_config_from_megatron_args(args);
    INFO(rebuilt.status().message());
    REQUIRE(rebuilt.is_ok());
    CHECK((*rebuilt)["model_type"] == "nemotron_h");
    auto spec_again = model_spec_from_hf_config(*rebuilt);
    REQUIRE(spec_again.is_ok());
    CHECK(spec_again->router_groups == spec->router_groups);
    CHECK(spec_again->routed_scaling_factor == spec->routed_scaling_factor);
    CHECK(spec_again->shared_expert_ffn == spec->shared_expert_ffn);
    auto trained = model_spec_from_megatron_args(args);  // squared_relu + pattern, no saved config
    REQUIRE(trained.is_ok());
    CHECK(trained->layer_kinds == spec->layer_kinds);
    auto again = hf_tensor_entries(*rebuilt, DType::BF16);
    REQUIRE(again.is_ok());
    REQUIRE(again->size() == canonical->size());
    for (size_t i = 0; i < again->size(); ++i) {
        CHECK((*again)[i].name == (*canonical)[i].name);
        CHECK((*again)[i].shape == (*canonical)[i].shape);
    }
}

TEST_CASE("nemotron_h: the 8B preset has the published parameter count and plan checks", "[nemotron_h][synth][plan]") {
    TempDir tmp;
    const fs::path dir = synth_ok(tmp / "8b", "nemotron-h-8b", true);
    const Checkpoint c = open_ok(dir);
    CHECK(summarize(c).parameter_count == 8100852736ull);  // nvidia/Nemotron-H-8B-Base-8K
    auto spec = model_spec_from_hf_config(c.config);
    REQUIRE(spec.is_ok());
    auto verdict = [&](int tp, const std::string& name) {
        ParallelPlan plan;
        plan.tp = tp;
        plan.pp = 4;
        for (const PlanCheck& pc : check(*spec, std::nullopt, plan))
            if (pc.name == name) return std::optional<bool>(pc.ok);
        return std::optional<bool>();
    };
    CHECK(verdict(8, "Mamba heads % TP") == true);    // 128 heads
    CHECK(verdict(8, "Mamba groups % TP") == true);   // 8 groups
    CHECK(verdict(16, "Mamba groups % TP") == false);  // 8 groups over 16 ranks
    CHECK(verdict(16, "Mamba heads % TP") == true);
    CHECK(verdict(16, "KV groups % TP") == false);  // 8 KV heads
    // The pattern the model itself writes checks as one Megatron layer per HF layer.
    ParallelPlan plan;
    plan.tp = 8;
    auto pattern = parse_layer_pattern(megatron_pattern_from_layers(spec->layer_kinds).value(), MegatronVersion::V0_16);
    REQUIRE(pattern.is_ok());
    bool seen = false;
    for (const PlanCheck& pc : check(*spec, *pattern, plan))
        if (pc.name == "pattern vs model") {
            seen = true;
            INFO(pc.message);
            CHECK(pc.ok);
            CHECK(pc.message.find("52 Megatron layers = 52 HF layers") != std::string::npos);
        }
    CHECK(seen);
}
