// strata hybridize / convert / reshard / diff / plan on M1 hybrids, and the source workflow's
// dry run at Qwen3-30B-A3B dims on a sparse skeleton.
#include <catch2/catch.hpp>

#include <functional>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

using strata::test::run_cli;

namespace {

std::string line_after(const std::string& text, const std::string& key) {
    const auto at = text.find(key);
    if (at == std::string::npos) return "";
    const auto end = text.find('\n', at);
    return text.substr(at + key.size(), end - at - key.size());
}

}  // namespace

TEST_CASE("strata hybridize prints the plan, writes the hybrid, and its pattern matches strata pattern",
          "[cli][hybrid]") {
    strata::test::TempDir dir;
    const std::string tiny = (dir / "tiny").string(), hyb = (dir / "hyb").string();
    REQUIRE(run_cli("synth --preset tiny --out " + tiny) == 0);
    std::string out, err;
    REQUIRE(run_cli("hybridize " + tiny + " --attn-layers 0,2,3 --seed 4 --out " + hyb, &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("model.layers.1.mamba.in_proj.weight [328, 64] BF16"));
    const std::string pattern = line_after(out, "Megatron pattern (HF layer = mixer + MLP slot): ");
    CHECK(pattern == "*EME*E*E");
    // Without a model, strata pattern cannot know the MLP is MoE and writes '-' (as MindSpeed's
    // pre-'E' scripts do); the hybrid's own pattern in that form must be the same.
    std::string expect, own_dash, own, from_model;
    REQUIRE(run_cli("pattern --attn-layers 0,2,3 --layers 4 --to megatron", &expect) == 0);
    CHECK(expect == "*-M-*-*-\n");
    REQUIRE(run_cli("pattern --from " + hyb + " --to megatron --megatron-version 0.15", &own_dash) == 0);
    CHECK(own_dash == expect);
    REQUIRE(run_cli("pattern --from " + hyb + " --to megatron", &own) == 0);  // from mamba_config.json
    CHECK(own == pattern + "\n");
    REQUIRE(run_cli("pattern --attn-layers 0,2,3 --from " + hyb + " --to megatron", &from_model) == 0);
    CHECK(from_model == own);

    std::string json_text;
    REQUIRE(run_cli("inspect --json " + hyb, &json_text) == 0);
    CHECK(nlohmann::json::parse(json_text)["tensor_count"] == 137);

    // Errors: first layer as Mamba needs the override; the override warns.
    CHECK(run_cli("hybridize " + tiny + " --attn-layers 1,2,3 --out " + (dir / "x").string(), &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("layer 0 must stay attention"));
    CHECK_THAT(err, Catch::Contains("--allow-mamba-ends"));
    CHECK(run_cli("hybridize " + tiny + " --attn-layers 1,2,3 --allow-mamba-ends --out " + (dir / "y").string(), &out,
                  &err) == 0);
    CHECK_THAT(err, Catch::Contains("warning: layer 0 must stay attention"));
    CHECK(run_cli("hybridize " + tiny + " --attn-layers 0,2,3 --expand 1 --dry-run", &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("expand*hidden = 1*64 = 64 must equal num_attention_heads*head_dim"));
}

TEST_CASE("strata convert/reshard/diff of a hybrid through Megatron", "[cli][hybrid]") {
    strata::test::TempDir dir;
    const std::string tiny = (dir / "tiny").string(), hyb = (dir / "hyb").string();
    REQUIRE(run_cli("synth --preset tiny --out " + tiny) == 0);
    REQUIRE(run_cli("hybridize " + tiny + " --attn-layers 0,2,3 --out " + hyb) == 0);
    std::string out, err;
    const std::string mg = (dir / "mg").string(), mg2 = (dir / "mg2").string(), back = (dir / "back").string();
    REQUIRE(run_cli("convert " + hyb + " --to megatron --tp 2 --pp 2 --ep 2 --mamba-layout m1 --out " + mg, &out, &err) ==
            0);
    CHECK_THAT(err, Catch::Contains("hybrid pattern (8 Megatron layers): *EME*E*E"));
    CHECK_THAT(err, Catch::Contains("warning: --mamba-layout m1"));
    REQUIRE(run_cli("reshard " + mg + " --tp 1 --pp 4 --ep 4 --out " + mg2, &out, &err) == 0);
    REQUIRE(run_cli("convert " + mg2 + " --to hf --out " + back, &out, &err) == 0);
    std::string diff;
    const int rc = run_cli("diff " + hyb + " " + back, &diff, &err);
    INFO(diff << err);
    CHECK(rc == 0);
    CHECK(strata::test::read_file(dir / "back" / "mamba_config.json").size() > 0);
    // The exact layout, with core v0.19 conv1d names: no warning.
    const std::string ex = (dir / "ex").string();
    REQUIRE(run_cli("convert " + hyb + " --to megatron --mamba-layout exact --megatron-version 0.19 --out " + ex, &out,
                    &err) == 0);
    CHECK_THAT(err, !Catch::Contains("warning"));
    CHECK(run_cli("diff " + hyb + " " + ex, &diff, &err) == 0);
    CHECK(run_cli("convert " + hyb + " --to megatron --mamba-layout nope --out " + (dir / "z").string(), &out, &err) ==
          2);
}

TEST_CASE("the source workflow at Qwen3-30B-A3B dims: sparse skeleton, hybridize, Megatron TP1 PP4 EP4 dry run",
          "[cli][hybrid][realdims]") {
    strata::test::TempDir dir;
    const std::string src = (dir / "qwen").string(), hyb = (dir / "hyb").string();
    REQUIRE(run_cli("synth --preset qwen3-30b-a3b --sparse --out " + src) == 0);
    std::string out, err;
    REQUIRE(run_cli("hybridize " + src + " --attn-layers 0,2,4,...,44,46,47 --sparse --out " + hyb, &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("attention 0,2,4,...,44,46,47 (25), Mamba2 1,3,5,...,43,45 (23)"));
    CHECK_THAT(out, Catch::Contains("= 9248"));
    std::string plan_json;
    REQUIRE(run_cli("convert " + hyb + " --to megatron --tp 1 --pp 4 --ep 4 --dry-run --json", &plan_json, &err) == 0);
    CHECK_THAT(err, Catch::Contains("hybrid pattern (96 Megatron layers): *EME*EME"));
    const auto plan = nlohmann::json::parse(plan_json);
    int in_proj = 0, bad = 0;
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
        if (j.is_object()) {
            if (j.contains("name") && j["name"].is_string() &&
                j["name"].get<std::string>().ends_with(".mixer.in_proj.weight")) {
                ++in_proj;
                if (j.value("shape", nlohmann::json()) != nlohmann::json::array({9248, 2048})) ++bad;
            }
            for (const auto& [k, v] : j.items()) walk(v);
        } else if (j.is_array()) {
            for (const auto& v : j) walk(v);
        }
    };
    walk(plan);
    CHECK(in_proj == 23 * 4);  // 23 Mamba layers, replicated over 4 EP ranks
    CHECK(bad == 0);
    std::string exact_text;
    REQUIRE(run_cli("convert " + hyb + " --to megatron --tp 2 --pp 4 --ep 4 --mamba-layout exact --dry-run",
                    &exact_text, &err) == 0);
    CHECK_THAT(err, Catch::Contains("in_proj 16416 rows (8208 per TP rank)"));
}
