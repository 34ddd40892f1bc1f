// attn_layers lists ↔ per-HF-layer kinds ↔ Megatron patterns, M1 rules, GDN schedules.
#include <catch2/catch.hpp>

#include "strata/pattern/layer_pattern.h"

using namespace strata;

namespace {

std::vector<LayerKind> kinds(const std::vector<MixerKind>& mixers, MlpKind mlp) {
    std::vector<LayerKind> out;
    for (MixerKind m : mixers) out.push_back({m, mlp});
    return out;
}

}  // namespace

TEST_CASE("the source workflow: attn_layers over 48 layers gives the 96-symbol pattern and back", "[pattern]") {
    auto attn = parse_index_list("0,2,4,...,44,46,47", 48);
    REQUIRE(attn.is_ok());
    REQUIRE(attn->size() == 25);
    CHECK(attn->front() == 0);
    CHECK((*attn)[23] == 46);
    CHECK(attn->back() == 47);
    CHECK(validate_attn_layers(*attn, 48).empty());

    const auto layers = kinds(mixers_from_attn_layers(*attn, 48), MlpKind::Dense);
    auto pattern = megatron_pattern_from_layers(layers, {MegatronVersion::V0_16, false});
    REQUIRE(pattern.is_ok());
    std::string expected;
    for (int i = 0; i < 23; ++i) expected += "*-M-";
    expected += "*-*-";
    CHECK(*pattern == expected);
    const auto c = count_layers(*pattern);
    CHECK(c.attention == 25);
    CHECK(c.mamba == 23);
    CHECK(c.mlp == 48);
    CHECK(check_override_pattern(*pattern, 0.26, 0.5, MegatronVersion::V0_16).ok);

    // Reverse: pattern → HF layers → attn_layers → the same list and the same text.
    auto back = layers_from_megatron_pattern(*pattern);
    REQUIRE(back.is_ok());
    CHECK(*back == layers);
    std::vector<MixerKind> mixers;
    for (const auto& k : *back) mixers.push_back(k.mixer);
    CHECK(attn_layers_from_mixers(mixers) == *attn);
    CHECK(format_index_list(*attn) == "0,2,4,...,44,46,47");
}

TEST_CASE("MoE layers become 'E' from v0.16 unless written as '-'", "[pattern]") {
    const std::vector<LayerKind> layers = {{MixerKind::Attention, MlpKind::MoE}, {MixerKind::Mamba2, MlpKind::MoE}};
    CHECK(*megatron_pattern_from_layers(layers, {MegatronVersion::V0_15, false}) == "*-M-");
    CHECK(*megatron_pattern_from_layers(layers, {MegatronVersion::V0_16, false}) == "*EME");
    CHECK(*megatron_pattern_from_layers(layers, {MegatronVersion::V0_16, true}) == "*-M-");
    auto back = layers_from_megatron_pattern("*EME");
    REQUIRE(back.is_ok());
    CHECK(*back == layers);
    auto dash_moe = layers_from_megatron_pattern("*-M-", MlpKind::MoE);
    REQUIRE(dash_moe.is_ok());
    CHECK(*dash_moe == layers);
    // GDN needs 'G' (0.17+).
    const std::vector<LayerKind> gdn = {{MixerKind::GatedDeltaNet, MlpKind::MoE}};
    CHECK(megatron_pattern_from_layers(gdn, {MegatronVersion::V0_16, false}).status().message().find("0.17") !=
          std::string::npos);
    CHECK(*megatron_pattern_from_layers(gdn, {MegatronVersion::V0_17, false}) == "GE");
}

TEST_CASE("patterns that do not pair mixers with MLPs are named", "[pattern]") {
    auto p = layers_from_megatron_pattern("M--M");
    REQUIRE_FALSE(p.is_ok());
    CHECK(p.status().message().find("position 2") != std::string::npos);
    auto mamba_only = layers_from_megatron_pattern("MMM*");
    REQUIRE(mamba_only.is_ok());
    CHECK(mamba_only->size() == 4);
    CHECK((*mamba_only)[0].mlp == MlpKind::None);
}

TEST_CASE("index lists: ellipsis, ranges, brackets and errors", "[pattern]") {
    CHECK(*parse_index_list("1,5,9", 12) == std::vector<int>{1, 5, 9});
    CHECK(*parse_index_list("[0-3, 8]", 12) == std::vector<int>{0, 1, 2, 3, 8});
    CHECK(*parse_index_list("0,3,...", 12) == std::vector<int>{0, 3, 6, 9});
    CHECK(*parse_index_list("0,4,...,12", 16) == std::vector<int>{0, 4, 8, 12});
    CHECK(parse_index_list("", 4)->empty());
    CHECK(parse_index_list("0,2,...,7", 8).status().message().find("does not reach 7") != std::string::npos);
    CHECK(parse_index_list("0,...,4", 8).status().message().find("two numbers") != std::string::npos);
    CHECK(parse_index_list("0,x", 8).status().message().find("'x'") != std::string::npos);
    CHECK(format_index_list({0, 1, 2, 3, 4, 5, 9}) == "0,1,2,...,4,5,9");
    CHECK(format_index_list({1, 3, 5}) == "1,3,5");
    for (const auto& text : {"0,1,2,...,4,5,9", "3,7,11,...,43,47", "0,2,4,...,44,46,47"}) {
        auto v = parse_index_list(text, 48);
        REQUIRE(v.is_ok());
        CHECK(format_index_list(*v) == text);
    }
}

TEST_CASE("M1 rules: range, unique, sorted, first and last attention", "[pattern]") {
    auto msgs = validate_attn_layers({0, 5, 5, 3, 48}, 48);
    std::string all;
    for (const auto& m : msgs) all += m.text + "\n";
    CHECK(all.find("index 5 is listed twice") != std::string::npos);
    CHECK(all.find("3 comes after 5") != std::string::npos);
    CHECK(all.find("index 48 is outside 0..47") != std::string::npos);
    CHECK(all.find("layer 47 must stay attention") != std::string::npos);
    CHECK(all.find("layer 0 must") == std::string::npos);
    CHECK(validate_attn_layers({0, 47}, 48).empty());
}

TEST_CASE("GDN: full_attention_interval, layer_types and linear_attention_freq agree", "[pattern]") {
    // Qwen3.5-397B-A17B: 15 × (3 GDN + 1 attention) = 60 layers; attention at 3, 7, 11, ...
    const auto mixers = gdn_mixers_from_interval(60, 4);
    CHECK(attn_layers_from_mixers(mixers) == *parse_index_list("3,7,11,...,55,59", 60));
    CHECK(full_attention_interval_from_mixers(mixers) == 4);
    const auto types = layer_types_from_mixers(mixers);
    CHECK(types[0] == "linear_attention");
    CHECK(types[3] == "full_attention");
    CHECK(*gdn_mixers_from_layer_types(types) == mixers);
    const auto freq = linear_attention_freq_from_mixers(mixers);
    CHECK(freq.interval == 4);
    CHECK(*mixers_from_linear_attention_freq(freq, 60) == mixers);

    // An irregular schedule has no interval: the list form, 0 = SDPA, 1 = linear.
    std::vector<MixerKind> odd = {MixerKind::GatedDeltaNet, MixerKind::Attention, MixerKind::GatedDeltaNet,
                                  MixerKind::GatedDeltaNet, MixerKind::Attention};
    CHECK_FALSE(full_attention_interval_from_mixers(odd).has_value());
    const auto list = linear_attention_freq_from_mixers(odd);
    CHECK(list.interval == 0);
    CHECK(list.list == std::vector<int>{1, 0, 1, 1, 0});
    CHECK(*mixers_from_linear_attention_freq(list, 5) == odd);
    CHECK_FALSE(gdn_mixers_from_layer_types({"linear_attention", "sliding"}).is_ok());
}
