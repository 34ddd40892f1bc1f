// `strata forward` and `strata compare` on the committed transformers fixture: the top-5
// table, the .npy written, JSON output, and compare failing on a copy with one expert row
// changed, naming the first position that diverges (every earlier position bit-identical).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/formats/format_registry.h"
#include "strata/forward/npy.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using strata::test::run_cli;

namespace {

const fs::path kFixture = fs::path(STRATA_SOURCE_DIR) / "tests/reference/fixtures/forward/qwen3_moe";
const std::string kTokens = "1,17,42,255,3,99,128,7,64,200,5,31";  // tokens.json

// Overwrites row `row` of an F32 tensor in a copy of the fixture.
void corrupt_row(const fs::path& dir, const std::string& tensor, uint64_t row, float value) {
    uint64_t offset = 0, cols = 0;
    {
        auto ckpt = strata::open_checkpoint(dir);
        REQUIRE(ckpt.is_ok());
        const strata::TensorInfo* t = ckpt->find(tensor);
        REQUIRE(t);
        REQUIRE(t->dtype == strata::DType::F32);
        cols = t->shape.at(1);
        offset = t->location.offset + row * cols * 4;
    }
    std::fstream f(dir / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f.seekp(static_cast<std::streamoff>(offset));
    const std::vector<float> values(cols, value);
    f.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(cols * 4));
    REQUIRE(f);
}

}  // namespace

TEST_CASE("strata forward prints the top-5 per position and writes float32 .npy logits", "[cli][forward]") {
    strata::test::TempDir tmp;
    const fs::path npy = tmp / "logits.npy";
    std::string out, err;
    REQUIRE(run_cli("forward " + kFixture.string() + " --tokens " + kTokens + " --logits-out " + npy.string(), &out,
                    &err) == 0);
    CHECK_THAT(out, Catch::Contains("qwen3_moe (hf layout), 12 tokens, vocab 256, f32 on cpu"));
    CHECK_THAT(out, Catch::Contains("top-5"));
    CHECK(std::count(out.begin(), out.end(), '\n') >= 3 + 12);

    // The header is exactly numpy's v1.0 header for float32 [12, 256].
    const auto bytes = strata::test::read_file(npy);
    const std::string header = strata::npy_header_f32({12, 256});
    REQUIRE(bytes.size() == header.size() + 12 * 256 * 4);
    CHECK(std::string(bytes.begin(), bytes.begin() + static_cast<long>(header.size())) == header);
    auto mine = strata::read_npy(npy);
    auto ref = strata::read_npy(kFixture / "logits.npy");
    REQUIRE(mine.is_ok());
    REQUIRE(ref.is_ok());
    double max_abs = 0;
    for (size_t i = 0; i < ref->data.size(); ++i)
        max_abs = std::max(max_abs, double(std::fabs(mine->data[i] - ref->data[i])));
    CHECK(max_abs <= 1e-4);

    // --json: the same top-1 as the reference logits.
    std::string js;
    REQUIRE(run_cli("forward " + kFixture.string() + " --tokens " + kTokens + " --json", &js) == 0);
    auto j = nlohmann::json::parse(js);
    CHECK(j["model_type"] == "qwen3_moe");
    CHECK(j["non_finite_logits"] == 0);
    REQUIRE(j["positions"].size() == 12);
    for (size_t t = 0; t < 12; ++t) {
        const auto row = std::span(ref->data).subspan(t * 256, 256);
        const auto best = std::max_element(row.begin(), row.end()) - row.begin();
        CHECK(j["positions"][t]["top"].size() == 5);
        CHECK(j["positions"][t]["top"][0]["id"] == best);
    }
}

TEST_CASE("strata forward reports bad input as one error line", "[cli][forward]") {
    std::string out, err;
    CHECK(run_cli("forward " + kFixture.string() + " --tokens 1,2,x", &out, &err) != 0);
    CHECK_THAT(err, Catch::Contains("'x' is not a token id"));
    CHECK(run_cli("forward " + kFixture.string() + " --tokens 1,999", &out, &err) != 0);
    CHECK_THAT(err, Catch::StartsWith("strata: error: "));
    CHECK_THAT(err, Catch::Contains("token 999 at position 1"));
}

TEST_CASE("strata compare passes on identical models and fails on a corrupted expert row", "[cli][compare]") {
    strata::test::TempDir tmp;
    std::string out, err;
    REQUIRE(run_cli("compare " + kFixture.string() + " " + kFixture.string() + " --tokens " + kTokens, &out, &err) ==
            0);
    CHECK_THAT(out, Catch::Contains("top-1 agreement 12/12"));
    CHECK_THAT(out, Catch::Contains("OK: every position within tolerance"));
    // A checkpoint against its saved transformers logits.
    REQUIRE(run_cli("compare " + kFixture.string() + " " + (kFixture / "logits.npy").string() + " --tokens " + kTokens,
                    &out, &err) == 0);

    const fs::path bad = tmp / "corrupted";
    fs::create_directories(bad);
    for (const char* f : {"config.json", "model.safetensors"}) fs::copy_file(kFixture / f, bad / f);
    corrupt_row(bad, "model.layers.1.mlp.experts.2.up_proj.weight", 0, 1.0f);

    const std::string cmd = "compare " + kFixture.string() + " " + bad.string() + " --tokens " + kTokens;
    CHECK(run_cli(cmd, &out, &err) == 1);
    CHECK_THAT(err, Catch::Contains("logits diverge first at position"));
    std::string js;
    CHECK(run_cli(cmd + " --json", &js, &err) == 1);
    auto j = nlohmann::json::parse(js);
    CHECK(j["ok"] == false);
    REQUIRE(j["first_divergent"].is_number());
    const int first = j["first_divergent"];
    // Causality: everything before the first token routed to the changed expert is bit-identical.
    for (int t = 0; t < first; ++t) CHECK(j["positions"][t]["max_abs"] == 0.0);
    CHECK(j["positions"][first]["max_abs"].get<double>() > 1e-4);
    CHECK_THAT(out, Catch::Contains("FAIL: position " + std::to_string(first) + " "));
    // A loose tolerance lets it pass; the exit code follows the tolerance.
    CHECK(run_cli(cmd + " --tolerance 1000", &out, &err) == 0);
}
