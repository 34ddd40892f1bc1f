// `strata diff --layout` end to end through the built binary (issue 20, Deliver 7).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

using strata::test::run_cli;
using strata::test::TempDir;

TEST_CASE("strata diff --layout: a preset under two plans, text and JSON", "[cli][diff]") {
    std::string out, err;
    REQUIRE(run_cli("diff --layout tiny@tp=2,pp=2,ep=4 tp=1,pp=4,ep=2", &out, &err) == 0);
    CHECK(out.find("A: tiny@tp=2,pp=2,ep=4  (megatron tp2 pp2 ep4") != std::string::npos);
    CHECK(out.find("B: tp=1,pp=4,ep=2  (megatron tp1 pp4 ep2") != std::string::npos);
    CHECK(out.find("bytes sent (rows: source rank files, columns: target rank files)") != std::string::npos);
    CHECK(out.find("mp_rank_00_000_000") != std::string::npos);
    CHECK(out.find("(862976 bytes) sent from 16 source file(s)") != std::string::npos);
    CHECK(out.find("no change grid") != std::string::npos);

    REQUIRE(run_cli("diff --layout tiny@tp=2,pp=2,ep=4 tp=1,pp=4,ep=2 --json --slices", &out, &err) == 0);
    const auto j = nlohmann::json::parse(out);
    REQUIRE(j["transfer"]["cells"].size() == 16);
    CHECK(j["transfer"]["cells"][0][0] == 50496);
    CHECK(j["transfer"]["total"] == 862976);
    CHECK(j["a"]["grid"]["rows"].size() == 16);
    CHECK(j["b"]["grid"]["columns"].size() == 6);
    CHECK(j["changes"].is_null());
    CHECK(j["transfer"]["slices"][0]["slices"].size() > 0);
}

TEST_CASE("strata diff --layout: bad sides are one clear error line", "[cli][diff]") {
    std::string out, err;
    CHECK(run_cli("diff --layout /nonexistent/model tp=2", &out, &err) != 0);
    CHECK(err.find("'/nonexistent/model' is neither a checkpoint path") != std::string::npos);
    CHECK(run_cli("diff --layout tiny tp=2,zz=1", &out, &err) != 0);
    CHECK(err.find("unknown axis 'zz'") != std::string::npos);
    CHECK(run_cli("diff tiny tiny --slices", &out, &err) != 0);
    CHECK(err.find("--slices applies to --layout --json") != std::string::npos);
}

TEST_CASE("strata diff --layout: two checkpoints stored alike get the change grid in text and JSON", "[cli][diff]") {
    TempDir tmp;
    std::string out, err;
    const std::string a = (tmp / "a").string(), b = (tmp / "b").string();
    REQUIRE(run_cli("synth --preset tiny --out " + a, &out, &err) == 0);
    REQUIRE(run_cli("synth --preset tiny --seed 1 --out " + b, &out, &err) == 0);
    REQUIRE(run_cli("diff --layout " + a + " " + b, &out, &err) == 0);
    CHECK(out.find("relative L2 change ||A-B||/||A|| per rank file (rows) and layer (columns)") != std::string::npos);
    CHECK(out.find("135 of 135 stored tensors changed") != std::string::npos);
    REQUIRE(run_cli("diff --layout " + a + " " + b + " --json", &out, &err) == 0);
    const auto j = nlohmann::json::parse(out);
    REQUIRE(j["changes"].is_object());
    CHECK(j["changes"]["rows"] == nlohmann::json::array({"hf"}));
    CHECK(j["changes"]["columns"].size() == 6);
    CHECK(j["changes"]["cells"][0][1]["relative_l2"].get<double>() > 0.0);
    CHECK(j["transfer"]["cells"][0][0] == j["transfer"]["total"]);  // one file to one file: everything
}
