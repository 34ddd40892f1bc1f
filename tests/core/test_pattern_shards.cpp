// pattern_shard_layout: the per-rank shards a hybrid pattern implies. A pattern with the
// model's own layer kinds lays out the model (the same ShardLayout as shard_layout); a
// pattern that swaps attention for Mamba2 lays out the M1 hybrid, byte for byte what
// `strata hybridize` and then shard_layout_for that folder give; anything else, and a
// pipeline split the Megatron layout does not make, is refused with the reason. The hybrid's
// ranks x layers grid has a column per HF layer.
#include <catch2/catch.hpp>

#include "strata/hybrid/hybridize.h"
#include "strata/model/hf_config.h"
#include "strata/parallel/pattern_shards.h"
#include "strata/parallel/shard_grid.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

using namespace strata;

namespace {

LayerPattern pattern_ok(const std::string& text, MegatronVersion version = MegatronVersion::V0_16) {
    auto p = parse_layer_pattern(text, version);
    INFO(text);
    REQUIRE(p.is_ok());
    return *p;
}

ShardLayoutOptions plan_options(int tp, int pp, int ep) {
    ShardLayoutOptions o;
    o.layout.plan.tp = tp;
    o.layout.plan.pp = pp;
    o.layout.plan.ep = ep;
    return o;
}

const nlohmann::json& preset_config(const std::string& name) {
    const SynthPreset* p = find_synth_preset(name);
    REQUIRE(p);
    return p->config;
}

// Same rank files with the same parameters and bytes, in the same order.
void require_same_ranks(const ShardLayout& a, const ShardLayout& b) {
    REQUIRE(a.ranks.size() == b.ranks.size());
    for (size_t i = 0; i < a.ranks.size(); ++i) {
        INFO(a.ranks[i].file);
        CHECK(a.ranks[i].file == b.ranks[i].file);
        CHECK(a.ranks[i].parameters == b.ranks[i].parameters);
        CHECK(a.ranks[i].expert_parameters == b.ranks[i].expert_parameters);
        CHECK(a.ranks[i].bytes == b.ranks[i].bytes);
        CHECK(a.ranks[i].slices.size() == b.ranks[i].slices.size());
    }
}

std::filesystem::path hybridize_ok(const std::filesystem::path& src, const std::filesystem::path& out,
                                   const std::string& attn_layers) {
    HybridizeOptions o;
    o.source = src;
    o.out = out;
    o.attn_layers = attn_layers;
    NullProgress p;
    CancelToken c;
    const Status s = hybridize(o, p, c);
    INFO(s.to_string());
    REQUIRE(s.is_ok());
    return out;
}

}  // namespace

TEST_CASE("a pattern with the model's own layer kinds lays out the model itself", "[pattern_shards]") {
    const auto o = plan_options(2, 2, 2);
    // tiny: 4 Qwen3-MoE layers = attention + MoE each.
    auto ps = pattern_shard_layout(preset_config("tiny"), pattern_ok("*E*E*E*E"), o);
    INFO(ps.status().to_string());
    REQUIRE(ps.is_ok());
    CHECK(ps->basis == "the model's own layers");
    auto plain = shard_layout(preset_config("tiny"), o);
    REQUIRE(plain.is_ok());
    require_same_ranks(ps->layout, *plain);
    // Before 'E' existed a MoE slot was written '-': the same model.
    auto dash = pattern_shard_layout(preset_config("tiny"), pattern_ok("*-*-*-*-", MegatronVersion::V0_15), o,
                                     MegatronVersion::V0_15);
    REQUIRE(dash.is_ok());
    CHECK(dash->basis == "the model's own layers");

    // A GDN hybrid with its own schedule (GGG* twice): the Megatron layout Strata writes for it.
    auto gdn = pattern_shard_layout(preset_config("qwen3-next-tiny"),
                                    pattern_ok("GEGEGE*EGEGEGE*E", MegatronVersion::V0_17), o, MegatronVersion::V0_17);
    INFO(gdn.status().to_string());
    REQUIRE(gdn.is_ok());
    auto gdn_plain = shard_layout(preset_config("qwen3-next-tiny"), o);
    REQUIRE(gdn_plain.is_ok());
    require_same_ranks(gdn->layout, *gdn_plain);
}

TEST_CASE("a pattern with Mamba2 where the model has attention lays out its M1 hybrid", "[pattern_shards]") {
    test::TempDir dir;
    const auto tiny = test::synth_ok(dir / "tiny");
    const auto hybrid = hybridize_ok(tiny, dir / "tiny-hybrid", "0,3");
    const auto o = plan_options(2, 2, 2);

    auto ps = pattern_shard_layout(preset_config("tiny"), pattern_ok("*EMEME*E"), o);
    INFO(ps.status().to_string());
    REQUIRE(ps.is_ok());
    CHECK(ps->basis == "the M1 hybrid of the model with attn_layers 0,3, as `strata hybridize` writes it");
    auto written = shard_layout_for(hybrid.string(), o);  // what `strata plan tiny-hybrid` prints
    REQUIRE(written.is_ok());
    require_same_ranks(ps->layout, *written);
    // Not the transformer's bytes: Mamba in_proj/conv1d/etc. replace q/k/v/o on layers 1 and 2.
    auto transformer = shard_layout(preset_config("tiny"), o);
    REQUIRE(transformer.is_ok());
    CHECK(ps->layout.ranks[0].bytes != transformer->ranks[0].bytes);
    // Its ranks x layers grid has a column per HF layer (not per Megatron layer: 8 here), each
    // held by some rank.
    const ShardGrid grid = shard_grid(ps->layout);
    REQUIRE(grid.columns.size() == 4 + 2);
    for (size_t c = 1; c <= 4; ++c) {
        uint64_t bytes = 0;
        for (const auto& row : grid.cells) bytes += row[c].bytes;
        CHECK(bytes > 0);
    }

    // The hybrid's own pattern: its own layout. Another attn_layers: re-hybridized from the
    // transformer under it, as hybridize of the source with that list writes it.
    auto hybrid_config = read_hf_config_beside(hybrid);
    REQUIRE(hybrid_config.is_ok());
    auto own = pattern_shard_layout(*hybrid_config, pattern_ok("*EMEME*E"), o);
    REQUIRE(own.is_ok());
    CHECK(own->basis == "the model's own layers");
    require_same_ranks(own->layout, *written);
    const auto other = hybridize_ok(tiny, dir / "tiny-hybrid-023", "0,2,3");
    auto re = pattern_shard_layout(*hybrid_config, pattern_ok("*EME*E*E"), o);
    INFO(re.status().to_string());
    REQUIRE(re.is_ok());
    auto other_written = shard_layout_for(other.string(), o);
    REQUIRE(other_written.is_ok());
    require_same_ranks(re->layout, *other_written);
}

TEST_CASE("patterns no checkpoint of the model has are refused with the reason", "[pattern_shards]") {
    const auto o = plan_options(1, 1, 1);
    const auto& tiny = preset_config("tiny");
    struct Case {
        const char* pattern;
        MegatronVersion version;
        StatusCode code;
        const char* message;
    };
    const Case cases[] = {
        {"*E*E", MegatronVersion::V0_16, StatusCode::InvalidArgument, "the pattern has 2 HF layers"},
        {"*EE*E*E", MegatronVersion::V0_16, StatusCode::InvalidArgument, "no per-HF-layer form"},
        {"GE*E*E*E", MegatronVersion::V0_17, StatusCode::Unsupported,
         "HF layer 0 is gdn + moe MLP in the pattern but attention + moe MLP in the model"},
        {"*-*E*E*E", MegatronVersion::V0_16, StatusCode::Unsupported,
         "HF layer 0 is attention + dense MLP in the pattern"},
        {"MEMEMEME", MegatronVersion::V0_16, StatusCode::Unsupported, "the pattern has no attention layer"},
    };
    for (const Case& c : cases) {
        INFO(c.pattern);
        auto ps = pattern_shard_layout(tiny, pattern_ok(c.pattern, c.version), o, c.version);
        REQUIRE_FALSE(ps.is_ok());
        CHECK(ps.status().code() == c.code);
        CHECK_THAT(ps.status().message(), Catch::Contains(c.message));
    }
    // A dense model has no M1 hybrid mapping table: shard_layout's own refusal comes through.
    auto dense = pattern_shard_layout(preset_config("tiny-dense"), pattern_ok("*-M-M-*-"), o);
    REQUIRE_FALSE(dense.is_ok());
    CHECK_THAT(dense.status().message(), Catch::Contains("dense M1 hybrids"));
}

TEST_CASE("'|' segments that split stages elsewhere than the Megatron layout are refused", "[pattern_shards]") {
    const auto o = plan_options(1, 2, 1);
    const auto& tiny = preset_config("tiny");
    // 4 + 4 Megatron layers: the even split the layout makes too.
    auto even = pattern_shard_layout(tiny, pattern_ok("*EME|ME*E", MegatronVersion::V0_17), o, MegatronVersion::V0_17);
    INFO(even.status().to_string());
    REQUIRE(even.is_ok());
    // 3 + 5: stage 1 would start with the MoE of HF layer 1.
    auto uneven =
        pattern_shard_layout(tiny, pattern_ok("*EM|EME*E", MegatronVersion::V0_17), o, MegatronVersion::V0_17);
    REQUIRE_FALSE(uneven.is_ok());
    CHECK(uneven.status().code() == StatusCode::Unsupported);
    CHECK_THAT(uneven.status().message(),
               Catch::Contains("start at Megatron layers {0, 3, 8}") && Catch::Contains("starts them at {0, 4, 8}"));
}
