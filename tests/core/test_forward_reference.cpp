// Strata's reference forward against the committed transformers / M1-port logits
// (tests/reference/make_fixtures.py), plus its refusals: unknown models, missing or
// misshapen tensors, bad tokens, absent devices.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/formats/format_registry.h"
#include "strata/forward/forward.h"
#include "strata/forward/logits_compare.h"
#include "strata/forward/npy.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace strata;
using namespace strata::test;

namespace {

Status forward_status(const fs::path& dir, const std::vector<int32_t>& tokens, ForwardOptions o = {}) {
    NullProgress progress;
    CancelToken cancel;
    return run_forward(dir, tokens, o, progress, cancel).status();
}

void copy_fixture(const std::string& name, const fs::path& to) {
    fs::create_directories(to);
    for (const char* f : {"config.json", "model.safetensors", "mamba_config.json"})
        if (fs::exists(forward_fixture(name) / f)) fs::copy_file(forward_fixture(name) / f, to / f);
}

}  // namespace

TEST_CASE("forward: fp32 CPU logits match the committed reference logits", "[forward][reference]") {
    const auto [name, expect_type] = GENERATE(table<std::string, std::string>({
        {"qwen3_moe", "qwen3_moe"},  // transformers Qwen3MoeForCausalLM
        {"qwen3", "qwen3"},          // transformers Qwen3ForCausalLM, tied embeddings
        {"m1_hybrid", "m1_hybrid"},  // M1 Mamba2 layers 1, 2 (torch port of M1's mixer)
    }));
    check_against_fixture_logits(name, expect_type);
}

TEST_CASE("forward: bf16 mode stays close to f32 and keeps the top-1 tokens", "[forward][bf16]") {
    const fs::path dir = forward_fixture("qwen3_moe");
    const auto tokens = fixture_tokens(dir);
    const ForwardResult f32 = forward_ok(dir, tokens);
    const ForwardResult bf16 = forward_ok(dir, tokens, {.precision = ForwardPrecision::BF16});
    auto cmp = compare_logits(f32.logits, bf16.logits, f32.tokens, f32.vocab);
    REQUIRE(cmp.is_ok());
    WARN("bf16 vs f32: max abs " << cmp->max_abs << ", top-1 agreement " << cmp->top1_agreement);
    CHECK(cmp->max_abs > 0.0);   // it really rounds
    CHECK(cmp->max_abs < 0.25);  // bf16 has 8 bits of mantissa: a few 1e-2 on O(1) logits
    CHECK(bf16.peak_resident_bytes < f32.peak_resident_bytes);
}

TEST_CASE("forward: a prefix of the tokens gives the same logits for that prefix", "[forward]") {
    // Causal attention and a causal scan: position t must not see t+1.
    for (const char* name : {"qwen3_moe", "m1_hybrid"}) {
        const fs::path dir = forward_fixture(name);
        auto tokens = fixture_tokens(dir);
        const ForwardResult full = forward_ok(dir, tokens);
        tokens.resize(5);
        const ForwardResult part = forward_ok(dir, tokens);
        auto cmp = compare_logits(std::span(full.logits).first(5 * full.vocab), part.logits, 5, full.vocab);
        REQUIRE(cmp.is_ok());
        INFO(name);
        CHECK(cmp->max_abs <= 1e-5);
    }
}

TEST_CASE("forward: refuses what it cannot run, with one-line errors", "[forward][errors]") {
    strata::test::TempDir tmp;
    const auto tokens = fixture_tokens(forward_fixture("qwen3"));

    SECTION("token id outside the vocabulary") {
        const Status s = forward_status(forward_fixture("qwen3"), {1, 2, 256});
        CHECK(s.code() == StatusCode::InvalidArgument);
        CHECK_THAT(s.message(), Catch::Contains("token 256 at position 2"));
    }
    SECTION("no tokens") { CHECK(forward_status(forward_fixture("qwen3"), {}).code() == StatusCode::InvalidArgument); }
    SECTION("unknown device") {
        const Status s = forward_status(forward_fixture("qwen3"), tokens, {.device = "tpu"});
        CHECK(s.code() == StatusCode::Unsupported);
        CHECK_THAT(s.message(), Catch::Contains("device 'tpu'"));
    }
    SECTION("unsupported model type") {
        copy_fixture("qwen3", tmp / "m");
        auto cfg = nlohmann::json::parse(std::ifstream(tmp / "m" / "config.json"));
        cfg["model_type"] = "gpt_neox";  // a model type no family claims (llama is a family now)
        std::ofstream(tmp / "m" / "config.json") << cfg.dump();
        const Status s = forward_status(tmp / "m", tokens);
        CHECK(s.code() == StatusCode::Unsupported);
        CHECK_THAT(s.to_string(), Catch::Contains("gpt_neox"));
    }
    SECTION("unsupported rope scaling") {
        copy_fixture("qwen3", tmp / "m");
        auto cfg = nlohmann::json::parse(std::ifstream(tmp / "m" / "config.json"));
        cfg["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
        std::ofstream(tmp / "m" / "config.json") << cfg.dump();
        const Status s = forward_status(tmp / "m", tokens);
        CHECK(s.code() == StatusCode::Unsupported);
        CHECK_THAT(s.message(), Catch::Contains("yarn"));
    }
    SECTION("a Mamba tensor of the wrong shape") {
        copy_fixture("m1_hybrid", tmp / "m");
        auto mc = nlohmann::json::parse(std::ifstream(tmp / "m" / "mamba_config.json"));
        mc["ssm_cfg"]["d_conv"] = 3;  // the stored conv1d weights have width 4
        std::ofstream(tmp / "m" / "mamba_config.json") << mc.dump();
        const Status s = forward_status(tmp / "m", tokens);
        CHECK(s.code() == StatusCode::Corrupt);
        CHECK_THAT(s.to_string(), Catch::Contains("conv1d.weight"));
    }
    SECTION("a Mamba tensor that is missing") {
        copy_fixture("m1_hybrid", tmp / "m");
        auto mc = nlohmann::json::parse(std::ifstream(tmp / "m" / "mamba_config.json"));
        mc["attn_layers"] = {0};  // layer 3 is attention in the file; now it should be Mamba
        std::ofstream(tmp / "m" / "mamba_config.json") << mc.dump();
        const Status s = forward_status(tmp / "m", tokens);
        CHECK_FALSE(s.is_ok());
        CHECK_THAT(s.to_string(), Catch::Contains("model.layers.3."));
    }
    SECTION("cancelled") {
        NullProgress progress;
        CancelToken cancel;
        cancel.cancel();
        auto r = run_forward(forward_fixture("qwen3"), tokens, {}, progress, cancel);
        CHECK(r.status().code() == StatusCode::Cancelled);
    }
}

TEST_CASE("forward: token lists and top tokens", "[forward]") {
    auto ids = parse_token_list("1,2, 3 4");
    REQUIRE(ids.is_ok());
    CHECK(*ids == std::vector<int32_t>{1, 2, 3, 4});
    CHECK(parse_token_list("1,x").status().code() == StatusCode::InvalidArgument);
    CHECK(parse_token_list("-1").status().code() == StatusCode::InvalidArgument);
    CHECK(parse_token_list(" , ").status().code() == StatusCode::InvalidArgument);
    CHECK(parse_token_list("99999999999").status().code() == StatusCode::InvalidArgument);
    const std::vector<float> row{0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
    const auto top = top_tokens(row, 3);
    REQUIRE(top.size() == 3);
    CHECK(top[0].id == 1);  // ties: lower id first
    CHECK(top[1].id == 3);
    CHECK(top[2].id == 4);
    double z = 0;
    for (float v : row) z += std::exp(double(v));
    CHECK(top[0].prob == Approx(std::exp(2.0) / z));
}

TEST_CASE("npy: header layout, round trip, malformed files", "[forward][npy]") {
    strata::test::TempDir tmp;
    const std::string h = npy_header_f32({3, 5});
    CHECK(h.size() % 64 == 0);
    CHECK(h.substr(0, 6) == "\x93NUMPY");
    CHECK(h[6] == 1);
    CHECK(h[7] == 0);
    CHECK(static_cast<size_t>(uint8_t(h[8]) | (uint8_t(h[9]) << 8)) == h.size() - 10);
    CHECK(h.find("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }") == 10);
    CHECK(h.back() == '\n');
    CHECK(npy_header_f32({7}).find("'shape': (7,)") != std::string::npos);

    std::vector<float> v(15);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.25f - 1.0f;
    REQUIRE(write_npy_f32(tmp / "a.npy", v, {3, 5}).is_ok());
    auto back = read_npy(tmp / "a.npy");
    REQUIRE(back.is_ok());
    CHECK(back->shape == std::vector<uint64_t>{3, 5});
    CHECK(back->data == v);
    CHECK(fs::file_size(tmp / "a.npy") == h.size() + 60);
    CHECK_FALSE(write_npy_f32(tmp / "b.npy", v, {4, 5}).is_ok());
    CHECK_FALSE(fs::exists(tmp / "b.npy"));

    strata::test::write_file(tmp / "bad.npy", std::string("NUMPY nope"));
    CHECK(read_npy(tmp / "bad.npy").status().code() == StatusCode::Corrupt);
    std::string truncated = h + std::string(59, '\0');
    strata::test::write_file(tmp / "short.npy", truncated);
    auto s = read_npy(tmp / "short.npy");
    CHECK(s.status().code() == StatusCode::Corrupt);
    CHECK_THAT(s.status().message(), Catch::Contains("shape needs 60"));
}

TEST_CASE("compare_logits: statistics per position", "[forward][compare]") {
    std::vector<float> a{0, 1, 2, 0, 1, 2, 5, 0, 0};
    std::vector<float> b = a;
    b[4] = 1.5f;  // position 1 differs by 0.5
    b[6] = 0.0f;
    b[8] = 5.0f;  // position 2: top-1 flips
    auto c = compare_logits(a, b, 3, 3);
    REQUIRE(c.is_ok());
    CHECK(c->positions[0].max_abs == 0.0);
    CHECK(c->positions[0].kl == 0.0);
    CHECK(c->positions[1].max_abs == Approx(0.5));
    CHECK(c->positions[1].mean_abs == Approx(0.5 / 3));
    CHECK(c->positions[1].kl > 0.0);
    CHECK(c->positions[2].top1_a == 0);
    CHECK(c->positions[2].top1_b == 2);
    CHECK(c->top1_agreement == Approx(2.0 / 3));
    CHECK(c->first_divergent(0.1) == 1u);
    CHECK(c->first_divergent(1.0) == 2u);
    CHECK_FALSE(c->first_divergent(10.0).has_value());
    b[0] = NAN;
    auto n = compare_logits(a, b, 3, 3);
    REQUIRE(n.is_ok());
    CHECK(n->first_divergent(100.0) == 0u);
    CHECK_FALSE(compare_logits(a, std::span(b).first(6), 3, 3).is_ok());
}
