// Megatron's ratio allocation, pattern parsing by version and the ≤ v0.16 override rule.
// Expected strings are Megatron's published patterns (examples/mamba README, facts §2.4, §4).
#include <catch2/catch.hpp>

#include "strata/pattern/layer_pattern.h"

using namespace strata;

namespace {

std::string alloc(int n, double a, double m) {
    auto p = pattern_from_ratios(n, a, m);
    REQUIRE(p.is_ok());
    return *p;
}

const std::string kSourceWorkflow = [] {
    std::string s;
    for (int i = 0; i < 23; ++i) s += "*-M-";
    return s + "*-*-";
}();

}  // namespace

TEST_CASE("python_round rounds half to even like Python 3", "[pattern]") {
    CHECK(python_round(0.5) == 0);
    CHECK(python_round(1.5) == 2);
    CHECK(python_round(2.5) == 2);
    CHECK(python_round(24.96) == 25);
    CHECK(python_round(3.84) == 4);  // 48 * 0.08
    CHECK(python_round(4.48) == 4);  // 56 * 0.08
    CHECK(python_round(2.4999999) == 2);
}

TEST_CASE("ratios reproduce Megatron's published hybrid patterns", "[pattern]") {
    // 8B hybrid of examples/mamba (56 layers, 0.08 / 0.5).
    CHECK(alloc(56, 0.08, 0.5) == "M-M-M--M-M*-M-M-M-M--M*-M-M-M-M-M*--M-M-M-M-M*-M--M-M-M-");
    // 800M hybrid (48 layers, 0.08 / 0.5).
    CHECK(alloc(48, 0.08, 0.5) == "M-M-M--M-*M-M-M-M--*M-M-M-M-*M--M-M-M-*M-M--M-M-");
    const auto c8b = count_layers(alloc(56, 0.08, 0.5));
    CHECK(c8b.attention == 4);
    CHECK(c8b.mlp == 28);
    CHECK(c8b.mamba == 24);
}

TEST_CASE("0/0 is pure Mamba and 0.5/0.5 has no Mamba", "[pattern]") {
    CHECK(alloc(48, 0.0, 0.0) == std::string(48, 'M'));
    const auto t = alloc(48, 0.5, 0.5);
    CHECK(t.find('M') == std::string::npos);
    CHECK(count_layers(t).attention == 24);
    CHECK(count_layers(t).mlp == 24);
    CHECK(alloc(10, 0.5, 0.5) == "-*-*-**-*-");
}

TEST_CASE("ratio allocation rejects impossible ratios", "[pattern]") {
    CHECK(pattern_from_ratios(0, 0.1, 0.1).status().code() == StatusCode::InvalidArgument);
    CHECK(pattern_from_ratios(10, -0.1, 0.1).status().message().find("outside [0, 1]") != std::string::npos);
    CHECK(pattern_from_ratios(10, 0.6, 0.5).status().message().find("exceeds 1") != std::string::npos);
}

TEST_CASE("the source-workflow pattern is legal for <=0.16 with 0.26/0.5, and why", "[pattern]") {
    REQUIRE(kSourceWorkflow.size() == 96);
    auto v = check_override_pattern(kSourceWorkflow, 0.26, 0.5, MegatronVersion::V0_16);
    CHECK(v.ok);
    CHECK(v.message.find("only the order differs") != std::string::npos);
    CHECK(count_layers(v.auto_pattern) == count_layers(kSourceWorkflow));
    CHECK(v.auto_pattern != kSourceWorkflow);
    REQUIRE(v.matching.has_value());
    CHECK(v.matching->attention == 0.26);
    CHECK(v.matching->mlp == 0.5);

    // The 8B ratios do not match its counts: ≤0.16 raises, and the message names the fix.
    auto bad = check_override_pattern(kSourceWorkflow, 0.08, 0.5, MegatronVersion::V0_15);
    CHECK_FALSE(bad.ok);
    CHECK(bad.message.find("8 '*'") != std::string::npos);
    CHECK(bad.message.find("25 '*'") != std::string::npos);
    CHECK(bad.message.find("0.26/0.5") != std::string::npos);

    // 0/0 accepts anything; 0.17+ has no override rule at all.
    CHECK(check_override_pattern(kSourceWorkflow, 0.0, 0.0, MegatronVersion::V0_16).ok);
    CHECK(check_override_pattern(kSourceWorkflow, 0.08, 0.5, MegatronVersion::V0_17).ok);
}

TEST_CASE("ratios_matching_counts finds short decimals or says none", "[pattern]") {
    auto r = ratios_matching_counts(count_layers(alloc(56, 0.08, 0.5)));
    REQUIRE(r.has_value());
    CHECK(python_round(56 * r->attention) == 4);
    CHECK(python_round(56 * r->mlp) == 28);
    // MoE layers are never allocated by ratios.
    CHECK_FALSE(ratios_matching_counts(count_layers("*EME")).has_value());
    auto verdict = check_override_pattern("*EME", 0.25, 0.0, MegatronVersion::V0_16);
    CHECK_FALSE(verdict.ok);
    CHECK(verdict.message.find("use 0/0") != std::string::npos);
}

TEST_CASE("pattern symbols are legal by Megatron version", "[pattern]") {
    CHECK(parse_layer_pattern("M*-M*-", MegatronVersion::V0_15).is_ok());
    auto e15 = parse_layer_pattern("M*EM", MegatronVersion::V0_15);
    REQUIRE_FALSE(e15.is_ok());
    CHECK(e15.status().message() == "pattern position 2: 'E' (MoE) needs Megatron 0.16, not <=0.15 (legal: M*-)");
    CHECK(parse_layer_pattern("M*EM", MegatronVersion::V0_16).is_ok());
    CHECK_FALSE(parse_layer_pattern("MG", MegatronVersion::V0_16).is_ok());
    CHECK_FALSE(parse_layer_pattern("M-|M-", MegatronVersion::V0_16).is_ok());
    CHECK(parse_layer_pattern("MG-|M-", MegatronVersion::V0_17).is_ok());
    CHECK_FALSE(parse_layer_pattern("MD", MegatronVersion::V0_17).is_ok());
    CHECK(parse_layer_pattern("MD+-", MegatronVersion::Main).is_ok());
    auto mixed = parse_layer_pattern("M*D", MegatronVersion::Main);
    REQUIRE_FALSE(mixed.is_ok());
    CHECK(mixed.status().message().find("may not be combined") != std::string::npos);
    CHECK(parse_layer_pattern("MX", MegatronVersion::Main).status().message().find("not a layer symbol") !=
          std::string::npos);
}

TEST_CASE("pipes and MTP parse and print back", "[pattern]") {
    auto p = parse_layer_pattern("M-M-|M-M*-/MM/MM", MegatronVersion::V0_17);
    REQUIRE(p.is_ok());
    CHECK(p->layers == "M-M-M-M*-");
    CHECK(p->num_layers() == 9);
    CHECK(p->segment_lengths == std::vector<int>{4, 5});
    CHECK(p->segment(1) == "M-M*-");
    CHECK(p->mtp == "MM");
    CHECK(p->mtp_depths == 2);
    CHECK(to_string(*p) == "M-M-|M-M*-/MM/MM");
    auto empty_segments = parse_layer_pattern("||M", MegatronVersion::V0_17);
    REQUIRE(empty_segments.is_ok());
    CHECK(empty_segments->segment_lengths == std::vector<int>{0, 0, 1});
    CHECK(parse_layer_pattern("M*M*/MM/M*", MegatronVersion::V0_17).status().message().find("identical") !=
          std::string::npos);
}

TEST_CASE("megatron versions parse from common spellings", "[pattern]") {
    CHECK(*parse_megatron_version("0.14") == MegatronVersion::V0_15);
    CHECK(*parse_megatron_version("core_v0.16.0") == MegatronVersion::V0_16);
    CHECK(*parse_megatron_version("v0.19") == MegatronVersion::V0_17);
    CHECK(*parse_megatron_version("main") == MegatronVersion::Main);
    CHECK_FALSE(parse_megatron_version("banana").is_ok());
}
