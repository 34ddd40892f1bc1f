#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

using strata::test::run_cli;

TEST_CASE("strata synth + inspect --json report the model", "[cli][inspect]") {
    strata::test::TempDir dir;
    const std::string out = (dir / "tiny").string();
    REQUIRE(run_cli("synth --preset tiny --out " + out) == 0);
    std::string json_text;
    REQUIRE(run_cli("inspect --json " + out, &json_text) == 0);
    auto j = nlohmann::json::parse(json_text);
    CHECK(j["format"] == "safetensors");
    CHECK(j["tensor_count"] == 135);
    CHECK(j["parameter_count"] == 314048);
    CHECK(j["total_bytes"] == 628096);
    CHECK(j["dtypes"]["BF16"] == 314048);
    CHECK(j["config"]["model_type"] == "qwen3_moe");
    REQUIRE(j["tensors"].size() == 135);
    const auto& t = j["tensors"][0];
    for (const char* key : {"name", "dtype", "shape", "bytes", "file"}) CHECK(t.contains(key));

    std::string filtered;
    REQUIRE(run_cli("inspect --json --filter 'model.layers.1.mlp.experts.*.down_proj.weight' " + out, &filtered) == 0);
    CHECK(nlohmann::json::parse(filtered)["tensors"].size() == 8);
}

TEST_CASE("strata inspect of a broken file prints one error line and exits non-zero", "[cli][inspect]") {
    strata::test::TempDir dir;
    strata::test::write_file(dir / "bad.safetensors", std::string("\x05\0\0\0\0\0\0\0{\"a\":", 13));
    std::string out, err;
    const int rc = run_cli("inspect " + (dir / "bad.safetensors").string(), &out, &err);
    CHECK(rc != 0);
    CHECK_THAT(err, Catch::StartsWith("strata: error: bad.safetensors: "));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("strata inspect of a missing path says so", "[cli][inspect]") {
    std::string err;
    CHECK(run_cli("inspect /nonexistent/model", nullptr, &err) != 0);
    CHECK_THAT(err, Catch::Contains("no such file or folder"));
}
