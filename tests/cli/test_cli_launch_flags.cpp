// strata plan --megatron-flags end to end: Megatron-LM's Qwen3-30B-A3B example flags and the
// seed's 96-layer hybrid launch flags (tests/reference/fixtures/launch_flags) against checkpoints
// they match and checkpoints they do not.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/model/hf_config.h"
#include "strata/synth/synth.h"
#include "support/temp_dir.h"

using strata::test::run_cli;
using strata::test::TempDir;

namespace {

std::string fixture(const std::string& name) {
    return std::string(STRATA_SOURCE_DIR) + "/tests/reference/fixtures/launch_flags/" + name;
}

std::vector<std::string> stopping_flags(const nlohmann::json& plan) {
    std::vector<std::string> out;
    for (const auto& f : plan["megatron_flags"]["findings"])
        if (f["stops"].get<bool>()) out.push_back(f["flag"].get<std::string>());
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// The M1 hybrid of Qwen3-30B-A3B the seed trains (config files only: plan reads no tensor):
// config.json as HF's, mamba_config.json as M1's transformer_to_mamba2.py writes it
// (facts mamba-megatron §1.4), attention kept in layers 0,2,...,46,47.
std::string write_seed_hybrid(const TempDir& dir) {
    const auto* preset = strata::find_synth_preset("qwen3-30b-a3b");
    REQUIRE(preset != nullptr);
    const auto folder = dir / "m1_hybrid_30b";
    std::filesystem::create_directories(folder);
    REQUIRE(strata::write_json_file(folder / "config.json", preset->config).is_ok());
    nlohmann::json attn = nlohmann::json::array();
    for (int i = 0; i <= 46; i += 2) attn.push_back(i);
    attn.push_back(47);
    const nlohmann::json mamba = {{"d_model", 2048},
                                  {"ssm_cfg", {{"expand", 2}, {"ngroups", 32}}},
                                  {"rms_norm_eps", 1e-6},
                                  {"vocab_size", nullptr},
                                  {"d_inner", 4096},
                                  {"d_xb", 512},
                                  {"intermediate_size", 6144},
                                  {"hidden_act", "silu"},
                                  {"n_layer", 48},
                                  {"attn_layers", attn},
                                  {"num_experts", 128},
                                  {"num_experts_per_tok", 8},
                                  {"norm_topk_prob", true},
                                  {"hidden_size", 2048},
                                  {"moe_intermediate_size", 768}};
    REQUIRE(strata::write_json_file(folder / "mamba_config.json", mamba).is_ok());
    return folder.string();
}

}  // namespace

TEST_CASE("strata plan --megatron-flags: Megatron-LM's Qwen3-30B-A3B example flags", "[cli][plan][launch]") {
    std::string out, err;
    // Against the model they describe (as strata convert writes it): nothing stops the job.
    REQUIRE(run_cli("plan qwen3-30b-a3b --megatron-flags " + fixture("qwen3_30b_a3b_rl.sh") + " --json", &out, &err) ==
            0);
    auto j = nlohmann::json::parse(out);
    CHECK(j["megatron_flags"]["stops"] == false);
    CHECK(j["plan"]["tp"] == 4);
    CHECK(j["plan"]["ep"] == 2);
    CHECK(stopping_flags(j).empty());
    bool strictness = false;  // the RL config's --dist-ckpt-strictness log_unexpected (torch >= 2.15)
    for (const auto& f : j["megatron_flags"]["findings"])
        strictness |= f["flag"] == "--dist-ckpt-strictness" && f["kind"] == "warning" && f["line"] == 58;
    CHECK(strictness);

    // Against another model's checkpoint: each mismatch is named with both values.
    CHECK(run_cli("plan tiny --megatron-flags " + fixture("qwen3_30b_a3b_modelopt.sh"), &out, &err) == 1);
    CHECK_THAT(out,
               Catch::Contains("num_layers value from checkpoint (4) is not equal to the input argument value (48)"));
    CHECK_THAT(
        out, Catch::Contains("hidden_size value from checkpoint (64) is not equal to the input argument value (2048)"));
    CHECK_THAT(out, Catch::Contains("num_attention_heads value from checkpoint (8) is not equal to the input argument "
                                    "value (32)"));
    CHECK_THAT(out, Catch::Contains("STOP shape  --num-experts"));
    CHECK_THAT(out, Catch::Contains("FAIL: "));
    REQUIRE(run_cli("plan tiny --megatron-flags " + fixture("qwen3_30b_a3b_modelopt.sh") + " --json", &out, &err) == 1);
    j = nlohmann::json::parse(out);
    const auto stops = stopping_flags(j);
    for (const char* flag : {"--num-layers", "--hidden-size", "--num-attention-heads", "--num-query-groups",
                             "--kv-channels", "--num-experts", "--moe-ffn-hidden-size"})
        CHECK(has(stops, flag));
}

TEST_CASE("strata plan --megatron-flags: a checkpoint megatron-core saved is judged by its own args",
          "[cli][plan][launch]") {
    // gpt_dense_tp2: made by megatron-core 0.16.1 (tests/reference/make_torch_dist_fixtures.py).
    const std::string ckpt = std::string(STRATA_SOURCE_DIR) + "/tests/reference/fixtures/torch_dist/gpt_dense_tp2";
    std::string out, err;
    CHECK(run_cli("plan " + ckpt + " --megatron-flags " + fixture("qwen3_30b_a3b_modelopt.sh"), &out, &err) == 1);
    CHECK_THAT(out, Catch::Contains("checkpoint side: the checkpoint's Megatron args"));
    CHECK_THAT(out,
               Catch::Contains("num_layers value from checkpoint (2) is not equal to the input argument value (48)"));
    CHECK_THAT(out, Catch::Contains("the flags build MoE layers; the checkpoint's MLPs are dense"));
    CHECK_THAT(out, Catch::Contains("ffn_hidden_size 6144 here, 128 in the checkpoint"));
}

TEST_CASE("strata plan --megatron-flags: the seed's 96-layer hybrid launch flags against its M1 hybrid",
          "[cli][plan][launch]") {
    TempDir dir;
    const std::string hybrid = write_seed_hybrid(dir);
    std::string out, err;
    CHECK(run_cli("plan " + hybrid + " --megatron-flags " + fixture("seed_hybrid_96.sh") + " --json", &out, &err) == 1);
    const auto j = nlohmann::json::parse(out);
    const auto& m = j["megatron_flags"];
    CHECK(m["plan"]["pp"] == 4);
    CHECK(m["plan"]["ep"] == 4);
    const auto stops = stopping_flags(j);
    // MindSpeed-LLM's Mamba names are not Megatron-LM's.
    for (const char* flag : {"--mamba-ngroups", "--mamba-d-state", "--mamba-headdim", "--mamba-expand",
                             "--mamba-d-conv", "--mamba-chunk-size"})
        CHECK(has(stops, flag));
    // '-' for the MoE slots: from Megatron 0.16 a dense MLP.
    bool pattern = false;
    for (const auto& f : m["findings"])
        if (f["flag"] == "--hybrid-override-pattern") {
            pattern = true;
            CHECK(f["kind"] == "shape");
            CHECK_THAT(f["message"].get<std::string>(), Catch::Contains("48 of 96 layer symbols differ"));
        }
    CHECK(pattern);
    // Dims the recorded flags do not give.
    CHECK(has(stops, "--hidden-size"));
    CHECK(has(stops, "--num-attention-heads"));
    // The plan itself (TP1 PP4 EP4 over the 96-layer pattern) passes.
    CHECK(j["passes"] == true);

    // Before 0.16 '-' with --num-experts is the MoE MLP: the pattern matches.
    REQUIRE(run_cli("plan " + hybrid + " --megatron-flags " + fixture("seed_hybrid_96.sh") +
                        " --megatron-version 0.15 --json",
                    &out, &err) == 1);
    CHECK_FALSE(has(stopping_flags(nlohmann::json::parse(out)), "--hybrid-override-pattern"));
}

TEST_CASE("strata plan --megatron-flags: bad input is an error naming the file", "[cli][plan][launch]") {
    TempDir dir;
    std::string out, err;
    CHECK(run_cli("plan tiny --megatron-flags " + (dir / "missing.sh").string(), &out, &err) != 0);
    CHECK_THAT(err, Catch::Contains("missing.sh"));
    const auto bad = dir / "bad.sh";
    {
        std::ofstream f(bad);
        f << "ARGS=\"--num-layers 4\n";
    }
    CHECK(run_cli("plan tiny --megatron-flags " + bad.string(), &out, &err) != 0);
    CHECK_THAT(err, Catch::Contains("bad.sh:1: unterminated double quote"));
    CHECK(run_cli("plan tiny --tp 2 --megatron-flags " + fixture("qwen3_30b_a3b_rl.sh"), &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("--megatron-flags takes the plan"));
}
