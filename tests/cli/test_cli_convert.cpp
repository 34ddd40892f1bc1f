// strata convert / reshard / diff from the command line.
#include <catch2/catch.hpp>

#include <filesystem>

#include "support/temp_dir.h"

using strata::test::run_cli;
using strata::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("strata convert, reshard and diff round-trip tiny", "[cli][convert]") {
    TempDir dir;
    const std::string d = dir.path().string();
    std::string out, err;
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/tiny", &out, &err) == 0);
    REQUIRE(run_cli("convert " + d + "/tiny --to megatron --tp 2 --pp 2 --ep 4 --out " + d + "/mg", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("megatron tp2 pp2 ep4"));
    CHECK(fs::exists(dir / "mg/iter_0000001/mp_rank_01_001_003/model_optim_rng.pt"));
    CHECK(fs::exists(dir / "mg/strata-manifest.json"));
    // A TP2 PP2 EP4 Megatron checkpoint diffs equal against its HF source.
    CHECK(run_cli("diff " + d + "/tiny " + d + "/mg", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("0 value"));
    REQUIRE(run_cli("reshard " + d + "/mg --tp 1 --pp 4 --ep 2 --out " + d + "/mg2", &out, &err) == 0);
    REQUIRE(run_cli("convert " + d + "/mg2 --to hf --out " + d + "/back", &out, &err) == 0);
    CHECK(run_cli("diff " + d + "/tiny " + d + "/back --json", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("\"equal\": true"));
    // A different model differs, with a non-zero exit and per-tensor values.
    REQUIRE(run_cli("synth --preset tiny --seed 7 --out " + d + "/other", &out, &err) == 0);
    CHECK(run_cli("diff " + d + "/tiny " + d + "/other", &out, &err) == 1);
    CHECK_THAT(out, Catch::Contains("value    model.embed_tokens.weight"));
    CHECK(run_cli("diff " + d + "/tiny " + d + "/other --tolerance 100", &out, &err) == 0);
}

TEST_CASE("strata convert --dry-run prints the plan and writes nothing", "[cli][convert]") {
    TempDir dir;
    const std::string d = dir.path().string();
    std::string out, err;
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/tiny", &out, &err) == 0);
    REQUIRE(run_cli("convert " + d + "/tiny --to megatron --tp 2 --dry-run --out " + d + "/mg", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("decoder.layers.0.self_attention.linear_qkv.weight"));
    CHECK_THAT(out, Catch::Contains("<- model.layers.0.self_attn.q_proj.weight[0:64, 0:64]"));
    CHECK_FALSE(fs::exists(dir / "mg"));
    REQUIRE(run_cli("convert " + d + "/tiny --to hf-fused-v5 --dry-run --json", &out, &err) == 0);
    CHECK_THAT(out, Catch::Contains("model.layers.3.mlp.experts.gate_up_proj"));
}

TEST_CASE("strata convert rejects bad options with a clear error", "[cli][convert]") {
    TempDir dir;
    const std::string d = dir.path().string();
    std::string out, err;
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/tiny", &out, &err) == 0);
    CHECK(run_cli("convert " + d + "/tiny --to onnx --out " + d + "/x", &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("--to must be"));
    CHECK(run_cli("convert " + d + "/tiny --to hf --tp 2 --out " + d + "/x", &out, &err) == 2);
    CHECK(run_cli("convert " + d + "/tiny --to megatron --tp 1 --etp 2 --out " + d + "/x", &out, &err) == 1);
    CHECK_THAT(err, Catch::Contains("ETP 2 must divide TP 1"));
    CHECK(run_cli("convert " + d + "/tiny --to megatron --ep 3 --out " + d + "/x", &out, &err) == 2);
    CHECK(run_cli("reshard " + d + "/tiny --tp 2 --out " + d + "/x", &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("needs megatron"));
    CHECK_FALSE(fs::exists(dir / "x"));
}

TEST_CASE("strata convert --device cuda runs on a GPU or says why not", "[cli][convert]") {
    TempDir dir;
    const std::string d = dir.path().string();
    std::string out, err;
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/tiny", &out, &err) == 0);
    const int rc = run_cli("convert " + d + "/tiny --to megatron --tp 2 --device cuda --out " + d + "/mg", &out, &err);
    if (rc == 0) {  // a GPU is present: the tensors that need rearranging were built on it
        CHECK_THAT(out, Catch::Contains("tensors rearranged on cuda"));
        CHECK(run_cli("diff " + d + "/tiny " + d + "/mg", &out, &err) == 0);
    } else {
        CHECK_THAT(err, Catch::Contains("--device cuda: "));
        CHECK_FALSE(fs::exists(dir / "mg"));
    }
    CHECK(run_cli("convert " + d + "/tiny --to megatron --device tpu --out " + d + "/x", &out, &err) == 2);
}

TEST_CASE("strata convert: legacy GroupedMLP is refused for Megatron-Core 0.20+ and warned about otherwise",
          "[cli][convert]") {
    TempDir tmp;
    const std::string d = tmp.path().string();
    std::string out, err;
    REQUIRE(run_cli("synth --preset tiny --out " + d + "/tiny", &out, &err) == 0);
    CHECK(run_cli("convert " + d + "/tiny --to megatron --expert-layout legacy-grouped --megatron-version 0.20 --out " +
                      d + "/mg20",
                  &out, &err) != 0);
    CHECK_THAT(err, Catch::Contains("removed GroupedMLP") && Catch::Contains("--expert-layout grouped"));
    CHECK_FALSE(std::filesystem::exists(d + "/mg20"));
    REQUIRE(run_cli("convert " + d + "/tiny --to megatron --expert-layout legacy-grouped --out " + d + "/mg", &out,
                    &err) == 0);
    CHECK_THAT(out + err, Catch::Contains("load only into Megatron-Core <= 0.19"));
    REQUIRE(run_cli("convert " + d + "/tiny --to megatron --expert-layout legacy-grouped --megatron-version 0.19 --out " +
                        d + "/mg19",
                    &out, &err) == 0);
    CHECK_THAT(out + err, !Catch::Contains("load only into"));
}
