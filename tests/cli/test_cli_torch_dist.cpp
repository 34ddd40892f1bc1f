// strata inspect and strata diff --stored-names on the torch_dist fixtures
// (tests/reference/make_torch_dist_fixtures.py).
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

using strata::test::run_cli;

namespace {
const std::string kFixtures = std::string(STRATA_SOURCE_DIR) + "/tests/reference/fixtures/torch_dist";
}

TEST_CASE("strata inspect lists a Megatron torch_dist checkpoint's global tensors", "[cli][torch_dist]") {
    std::string text;
    REQUIRE(run_cli("inspect " + kFixtures + "/megatron", &text) == 0);
    CHECK_THAT(text, Catch::Contains("format:      torch_dist"));
    CHECK_THAT(text, Catch::Contains("skipped:     2 _extra_state objects"));
    CHECK_THAT(text, Catch::Contains("decoder.layers.self_attention.linear_qkv.weight"));
    CHECK_THAT(text, Catch::Contains("[2, 4, 3]"));
    CHECK_THAT(text, Catch::Contains("iter_0000010/__0_0.distcp (+1 more chunks)"));
    std::string json_text;
    REQUIRE(run_cli("inspect --json " + kFixtures + "/megatron", &json_text) == 0);
    auto j = nlohmann::json::parse(json_text);
    CHECK(j["format"] == "torch_dist");
    CHECK(j["tensor_count"] == 4);
    for (const auto& t : j["tensors"])
        if (t["name"] == "embedding.word_embeddings.weight") {
            REQUIRE(t["chunks"].size() == 2);
            CHECK(t["chunks"][1]["offsets"] == nlohmann::json::array({4, 0}));
            CHECK(t["chunks"][1]["file"] == "iter_0000010/__1_1.distcp");
        }
}

TEST_CASE("strata diff --stored-names finds a DCP checkpoint equal to the tensors it saved", "[cli][torch_dist]") {
    for (const char* name : {"dcp_single", "dcp_two_ranks", "megatron"}) {
        INFO(name);
        const std::string dir = kFixtures + "/" + name;
        std::string out;
        CHECK(run_cli("diff --stored-names " + dir + " " + dir + ".expected.safetensors", &out) == 0);
    }
    // Against another fixture's tensors every name is missing or extra: they differ, exit 1.
    CHECK(run_cli("diff --stored-names " + kFixtures + "/dcp_single " + kFixtures + "/megatron.expected.safetensors") ==
          1);
}

TEST_CASE("strata convert, diff and forward read a megatron-core torch_dist checkpoint", "[cli][torch_dist]") {
    strata::test::TempDir tmp;
    const std::string src = kFixtures + "/gpt_moe_ep2";
    const std::string hf = (tmp.path() / "hf").string();
    std::string out;
    REQUIRE(run_cli("convert " + src + " --to hf --out " + hf, &out) == 0);
    CHECK_THAT(out, Catch::Contains("torch_dist (global tensors"));
    CHECK(run_cli("diff " + src + " " + hf) == 0);  // the canonical models are equal
    REQUIRE(run_cli("forward " + src + " --tokens 3,17,99 --top 1", &out) == 0);
    CHECK_THAT(out, Catch::Contains("megatron"));
    // A plain DCP folder has no model to compare: the refusal names the way that works.
    std::string err;
    CHECK(run_cli("diff " + kFixtures + "/dcp_single " + hf, &out, &err) != 0);
    CHECK_THAT(err, Catch::Contains("--stored-names"));
}
