// `strata pattern` and `strata plan` end to end through the built binary.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "strata/model/hf_config.h"
#include "strata/synth/synth.h"
#include "support/temp_dir.h"

using strata::test::run_cli;
using strata::test::TempDir;

namespace {

std::string workflow_pattern() {
    std::string s;
    for (int i = 0; i < 23; ++i) s += "*-M-";
    return s + "*-*-";
}

}  // namespace

TEST_CASE("strata pattern: the source workflow's attn_layers and back", "[cli][pattern]") {
    std::string out, err;
    REQUIRE(run_cli("pattern --attn-layers 0,2,4,...,44,46,47 --layers 48 --to megatron", &out, &err) == 0);
    CHECK(out == workflow_pattern() + "\n");

    REQUIRE(run_cli("pattern --pattern \"" + workflow_pattern() + "\" --to attn-layers", &out, &err) == 0);
    CHECK(out == "0,2,4,...,44,46,47\n");

    REQUIRE(run_cli("pattern --attn-layers 0,2,4,...,44,46,47 --layers 48 --megatron-version 0.16", &out, &err) == 0);
    CHECK(out.find("96 Megatron layers: 25 '*', 23 'M', 48 '-'") != std::string::npos);
    CHECK(out.find("attention 0.26, MLP 0.5 allocate the same counts") != std::string::npos);
    CHECK(out.find("--hybrid-attention-ratio 0.26 --hybrid-mlp-ratio 0.5") != std::string::npos);
    CHECK(out.find("legal for Megatron 0.16") != std::string::npos);
}

TEST_CASE("strata pattern: ratios allocate Megatron's patterns, a wrong pair fails with the fix", "[cli][pattern]") {
    std::string out, err;
    REQUIRE(run_cli("pattern --ratios 0.08,0.5 --layers 56 --to megatron", &out) == 0);
    CHECK(out == "M-M-M--M-M*-M-M-M-M--M*-M-M-M-M-M*--M-M-M-M-M*-M--M-M-M-\n");
    REQUIRE(run_cli("pattern --ratios 0,0 --layers 8 --to megatron", &out) == 0);
    CHECK(out == "MMMMMMMM\n");

    CHECK(run_cli("pattern --pattern \"" + workflow_pattern() + "\" --ratios 0.08,0.5 --megatron-version 0.15", &out,
                  &err) == 1);
    CHECK(out.find("rejects this override pattern") != std::string::npos);
    CHECK(out.find("0.26/0.5") != std::string::npos);

    REQUIRE(run_cli("pattern --ratios 0.08,0.5 --layers 48 --to json", &out) == 0);
    const auto j = nlohmann::json::parse(out);
    CHECK(j["pattern"] == "M-M-M--M-*M-M-M-M--*M-M-M-M-*M--M-M-M-*M-M--M-M-");
    CHECK(j["counts"]["*"] == 4);
}

TEST_CASE("strata pattern: bad input is an error naming the problem", "[cli][pattern]") {
    std::string out, err;
    CHECK(run_cli("pattern --pattern M*EG --megatron-version 0.16", &out, &err) == 2);
    CHECK(err.find("'G' (GDN) needs Megatron 0.17") != std::string::npos);
    CHECK(run_cli("pattern --attn-layers 1,2,3 --layers 4", &out, &err) == 1);
    CHECK(out.find("error: layer 0 must stay attention") != std::string::npos);
    CHECK(run_cli("pattern --attn-layers 0,3", &out, &err) == 2);
    CHECK(err.find("--layers") != std::string::npos);
}

TEST_CASE("strata plan on Qwen3-30B-A3B", "[cli][plan]") {
    std::string out, err;
    CHECK(run_cli("plan qwen3-30b-a3b --tp 8 --sp", &out, &err) == 1);
    CHECK(out.find("KV groups 4 is not divisible by TP=8; TP ∈ {1,2,4}") != std::string::npos);
    CHECK(out.find("FAIL") != std::string::npos);

    REQUIRE(run_cli("plan qwen3-30b-a3b --tp 1 --pp 1 --ep 128", &out, &err) == 0);
    CHECK(out.find("128 experts / EP 128 = 1 local experts per EP rank") != std::string::npos);
    CHECK(out.find("PASS") != std::string::npos);
    CHECK(run_cli("plan qwen3-30b-a3b --ep 96", &out, &err) == 1);
    CHECK(out.find("EP ∈ {1,2,4,8,16,32,64,128}") != std::string::npos);

    REQUIRE(run_cli("plan qwen3-30b-a3b --pp 4 --ep 4 --mamba-heads 32 --mamba-groups 4 --pattern \"" +
                        workflow_pattern() + "\" --json",
                    &out, &err) == 0);
    const auto j = nlohmann::json::parse(out);
    CHECK(j["passes"] == true);
    REQUIRE(j["stages"].size() == 4);
    for (const auto& s : j["stages"]) CHECK(s["count"] == 24);
    bool mamba_checked = false;
    for (const auto& c : j["checks"]) mamba_checked |= c["name"] == "Mamba groups % TP";
    CHECK(mamba_checked);
}

TEST_CASE("strata plan --pattern lays out the model the pattern describes", "[cli][plan]") {
    std::string out, err;
    REQUIRE(run_cli("plan tiny --json", &out, &err) == 0);
    const auto own = nlohmann::json::parse(out);
    REQUIRE(run_cli("plan tiny --pattern '*EMEME*E' --json", &out, &err) == 0);
    const auto hybrid = nlohmann::json::parse(out);
    REQUIRE(own.contains("shard_layout"));
    REQUIRE(hybrid.contains("shard_layout"));
    CHECK(own["shard_layout_basis"] == "the model's own layers");
    CHECK(hybrid["shard_layout_basis"].get<std::string>().find("M1 hybrid") != std::string::npos);
    // Mamba2 mixers in layers 1 and 2 hold more parameters than the attention they replace.
    CHECK(hybrid["shard_layout"]["ranks"][0]["parameters"].get<uint64_t>() >
          own["shard_layout"]["ranks"][0]["parameters"].get<uint64_t>());
    // A pattern no checkpoint of this model can have says why instead of showing bytes.
    REQUIRE(run_cli("plan tiny --pattern '*-*E*E*E'", &out, &err) == 0);
    CHECK(out.find("per-rank bytes: HF layer 0 is attention + dense MLP") != std::string::npos);
}

TEST_CASE("strata plan reads a checkpoint folder's config.json", "[cli][plan]") {
    TempDir dir;
    const auto* preset = strata::find_synth_preset("tiny");
    REQUIRE(preset != nullptr);
    REQUIRE(strata::write_json_file(dir / "config.json", preset->config).is_ok());
    std::string out, err;
    // tiny: 8 heads, 2 KV heads, 8 experts.
    CHECK(run_cli("plan " + (dir / "").string() + " --tp 4", &out, &err) == 1);
    CHECK(out.find("KV groups 2 is not divisible by TP=4; TP ∈ {1,2}") != std::string::npos);
    CHECK(run_cli("plan " + (dir / "missing").string(), &out, &err) == 1);
    CHECK(err.find("neither a checkpoint path nor a preset") != std::string::npos);
}
