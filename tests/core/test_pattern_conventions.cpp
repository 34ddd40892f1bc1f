// HF layer conventions: the same Megatron pattern read as M1 layer pairs (a mixer slot then an
// MLP slot) or one HF layer per symbol (Nemotron-H), which one a family uses (asked of the
// architecture, never by model_type), and what the plan check and pattern shards make of a
// Nemotron-H pattern that is, or is not, the model's own.
#include <catch2/catch.hpp>

#include "strata/model/architecture.h"
#include "strata/model/hf_config.h"
#include "strata/parallel/checks.h"
#include "strata/parallel/pattern_shards.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/synth/synth.h"

using namespace strata;

namespace {

// Nemotron-H-8B's hybrid_override_pattern (nvidia/Nemotron-H-8B-Base-8K config.json).
constexpr const char* kNemotron8B = "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-";

ModelSpec preset_spec(const std::string& name) {
    const SynthPreset* p = find_synth_preset(name);
    REQUIRE(p);
    auto spec = model_spec_from_hf_config(p->config);
    INFO(spec.status().to_string());
    REQUIRE(spec.is_ok());
    return *spec;
}

LayerPattern pattern_ok(const std::string& text) {
    auto p = parse_layer_pattern(text, MegatronVersion::V0_16);
    INFO(text);
    REQUIRE(p.is_ok());
    return *p;
}

const PlanCheck* find_check(const std::vector<PlanCheck>& checks, const std::string& name) {
    for (const PlanCheck& c : checks)
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace

TEST_CASE("one pattern, two HF layer conventions", "[pattern][conventions]") {
    auto pairs = hf_layers_from_pattern("M-M*-", HfLayerConvention::MixerThenMlp);
    REQUIRE(pairs.is_ok());
    CHECK(*pairs == std::vector<LayerKind>{{MixerKind::Mamba2, MlpKind::Dense},
                                           {MixerKind::Mamba2, MlpKind::None},
                                           {MixerKind::Attention, MlpKind::Dense}});
    auto single = hf_layers_from_pattern("M-M*-", HfLayerConvention::OnePerSymbol);
    REQUIRE(single.is_ok());
    CHECK(*single == std::vector<LayerKind>{{MixerKind::Mamba2, MlpKind::None},
                                            {MixerKind::None, MlpKind::Dense},
                                            {MixerKind::Mamba2, MlpKind::None},
                                            {MixerKind::Attention, MlpKind::None},
                                            {MixerKind::None, MlpKind::Dense}});
    // '-' as MoE applies to pairs only: a one-per-symbol family writes MoE as 'E'.
    CHECK((*hf_layers_from_pattern("*-", HfLayerConvention::MixerThenMlp, MlpKind::MoE))[0].mlp == MlpKind::MoE);
    CHECK((*hf_layers_from_pattern("*-", HfLayerConvention::OnePerSymbol, MlpKind::MoE))[1].mlp == MlpKind::Dense);

    // Megatron-8B's "--" has no pair form but is two layers of its own.
    CHECK_FALSE(hf_layers_from_pattern("M--M-", HfLayerConvention::MixerThenMlp).is_ok());
    REQUIRE(hf_layers_from_pattern("M--M-", HfLayerConvention::OnePerSymbol).is_ok());

    // Nemotron-H-8B: 52 symbols = 52 HF layers, and megatron_pattern_from_layers is the way back.
    auto nemo = hf_layers_from_pattern(kNemotron8B, HfLayerConvention::OnePerSymbol);
    REQUIRE(nemo.is_ok());
    CHECK(nemo->size() == 52);
    CHECK(megatron_pattern_from_layers(*nemo).value() == kNemotron8B);
    CHECK(hf_layers_from_pattern(kNemotron8B, HfLayerConvention::MixerThenMlp).value().size() == 28);

    CHECK(std::string(hf_layer_convention_name(HfLayerConvention::MixerThenMlp)) == "mixer + MLP");
    CHECK(std::string(hf_layer_convention_name(HfLayerConvention::OnePerSymbol)) == "one per symbol");
}

TEST_CASE("a designer cycles a one-per-symbol layer M, *, -, E", "[pattern][conventions]") {
    const auto v16 = MegatronVersion::V0_16, v15 = MegatronVersion::V0_15;
    CHECK(next_one_per_symbol_layer('M', v16) == '*');
    CHECK(next_one_per_symbol_layer('*', v16) == '-');
    CHECK(next_one_per_symbol_layer('-', v16) == 'E');
    CHECK(next_one_per_symbol_layer('-', v15) == 'M');  // no 'E' before 0.16
    CHECK(next_one_per_symbol_layer('E', v16) == 'M');
    CHECK(next_one_per_symbol_layer('G', v16) == 'M');
}

TEST_CASE("the family says which convention its layers follow", "[pattern][conventions][nemotron_h]") {
    CHECK(hf_layer_convention_for(preset_spec("nemotron-h-tiny")) == HfLayerConvention::OnePerSymbol);
    CHECK(hf_layer_convention_for(preset_spec("nemotron-h-8b")) == HfLayerConvention::OnePerSymbol);
    CHECK(hf_layer_convention_for(preset_spec("tiny")) == HfLayerConvention::MixerThenMlp);
    CHECK(hf_layer_convention_for(preset_spec("qwen3-next-tiny")) == HfLayerConvention::MixerThenMlp);
    CHECK(hf_layer_convention_for(ModelSpec{}) == HfLayerConvention::MixerThenMlp);  // no family owns ""
    // The 8B preset's own pattern, as the Studio's preset derives it.
    const ModelSpec spec = preset_spec("nemotron-h-8b");
    CHECK(megatron_pattern_from_layers(spec.layer_kinds).value() == kNemotron8B);
}

TEST_CASE("plan check counts a Nemotron-H pattern one HF layer per symbol", "[pattern][conventions][plan]") {
    const ModelSpec spec = preset_spec("nemotron-h-8b");
    ParallelPlan plan;
    plan.tp = 8;
    // The model's own pattern, and one with a layer changed: still 52 HF layers, one each.
    std::string changed = kNemotron8B;
    changed[0] = next_one_per_symbol_layer(changed[0], MegatronVersion::V0_16);  // M -> *
    for (const std::string& text : {std::string(kNemotron8B), changed}) {
        INFO(text);
        const auto checks = check(spec, pattern_ok(text), plan);
        const PlanCheck* c = find_check(checks, "pattern vs model");
        REQUIRE(c);
        INFO(c->message);
        CHECK(c->ok);
        CHECK(c->message == "52 Megatron layers = 52 HF layers (one each)");
        CHECK(plan_passes(checks));
    }
    // A shorter pattern is 50 layers, not the 27 M1 pairs it would be.
    const auto short_checks = check(spec, pattern_ok(std::string(kNemotron8B).substr(0, 50)), plan);
    const PlanCheck* c = find_check(short_checks, "pattern vs model");
    REQUIRE(c);
    CHECK_FALSE(c->ok);
    CHECK(c->severity == Severity::Warning);
    CHECK(c->message == "the pattern has 50 layers (HF layers, one each) but the model has 52");
    // TP 16 splits 8 Mamba groups and 8 KV heads: the pattern changes nothing there.
    plan.tp = 16;
    const auto tp16 = check(spec, pattern_ok(kNemotron8B), plan);
    REQUIRE(find_check(tp16, "Mamba groups % TP"));
    CHECK_FALSE(find_check(tp16, "Mamba groups % TP")->ok);
    CHECK_FALSE(plan_passes(tp16));
}

TEST_CASE("pattern shards of a Nemotron-H pattern: its own layers, or why not", "[pattern][conventions][shards]") {
    const SynthPreset* p = find_synth_preset("nemotron-h-tiny");
    REQUIRE(p);
    ShardLayoutOptions o;
    o.layout.plan.tp = 2;
    o.layout.plan.pp = 2;
    auto own = pattern_shard_layout(p->config, pattern_ok("M-M*-M*-"), o);
    INFO(own.status().to_string());
    REQUIRE(own.is_ok());
    CHECK(own->basis == "the model's own layers");
    CHECK(own->layout.ranks.size() == 4);
    // Layer 1 turned from MLP to Mamba2: no checkpoint of the model has those tensors.
    auto other = pattern_shard_layout(p->config, pattern_ok("MMM*-M*-"), o);
    REQUIRE_FALSE(other.is_ok());
    INFO(other.status().message());
    CHECK(other.status().message().find("HF layer 1 is mamba2 + none MLP in the pattern but none + dense MLP in "
                                        "the model; a model with one HF layer per pattern symbol") !=
          std::string::npos);
}
