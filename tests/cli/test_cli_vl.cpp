// Qwen3.5 VL wrappers from the command line: synth, inspect, plan and pattern read the
// text_config; convert refuses the vision tower with a list, skips it with --allow-unmapped,
// and --to hf writes the wrapper's names again.
#include <catch2/catch.hpp>

#include <filesystem>

#include "support/temp_dir.h"

using strata::test::run_cli;
using strata::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("strata on a Qwen3.5-MoE VL wrapper checkpoint", "[cli][vl]") {
    TempDir dir;
    const std::string d = dir.path().string();
    std::string out, err;
    REQUIRE(run_cli("synth --preset qwen3.5-moe-vl-tiny --out " + d + "/vl", &out, &err) == 0);

    REQUIRE(run_cli("inspect " + d + "/vl", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("Qwen3_5MoeForConditionalGeneration"));
    CHECK_THAT(out, Catch::Contains("num_hidden_layers: 8"));  // from text_config
    CHECK_THAT(out, Catch::Contains("model.language_model.layers.0.linear_attn.in_proj_qkv.weight"));
    REQUIRE(run_cli("plan " + d + "/vl --tp 2 --ep 2 --sequence-parallel", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("(qwen3_5_moe, 8 layers)"));
    CHECK_THAT(out, Catch::Contains("GDN value heads 8 / TP 2 = 4 per rank"));
    REQUIRE(run_cli("pattern --from " + d + "/vl --megatron-version 0.17 --to megatron", &out, &err) == 0);
    CHECK(out == "GEGEGE*EGEGEGE*E\n");

    CHECK(run_cli("convert " + d + "/vl --to megatron --tp 2 --ep 2 --out " + d + "/mg", &out, &err) != 0);
    CHECK_THAT(err, Catch::Contains("33 stored tensors no mapping rule covers (the vision tower"));
    CHECK_THAT(err, Catch::Contains("--allow-unmapped"));
    CHECK_FALSE(fs::exists(dir / "mg"));
    REQUIRE(run_cli("convert " + d + "/vl --to megatron --tp 2 --ep 2 --allow-unmapped --out " + d + "/mg", &out,
                    &err) == 0);
    CHECK_THAT(err, Catch::Contains("skipped unmapped tensor 'model.visual.blocks.1.attn.qkv.weight'"));
    REQUIRE(run_cli("convert " + d + "/mg --to hf --out " + d + "/back", &out, &err) == 0);
    REQUIRE(run_cli("inspect " + d + "/back", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("model.language_model.layers.7.mlp.experts.7.down_proj.weight"));
    CHECK_THAT(out, !Catch::Contains("model.visual."));
    // The language model comes back bit for bit; the tower is left out on both sides.
    CHECK(run_cli("diff " + d + "/vl " + d + "/back --allow-unmapped", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("358 equal, 0 value"));
}
