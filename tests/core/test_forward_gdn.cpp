// Strata's reference forward on the Gated DeltaNet hybrids against transformers: fp32 CPU logits
// of the committed Qwen3NextForCausalLM, Qwen3_5ForCausalLM and Qwen3_5MoeForCausalLM fixtures
// (tests/reference/make_gdn_fixtures.py), and the same fixtures converted to Megatron (TP2, and
// TP2·EP2 for the MoE models) giving bit-identical logits through the CanonicalView.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/convert/convert.h"
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

LogitsComparison compare_ok(std::span<const float> a, std::span<const float> b, uint64_t tokens, uint64_t vocab) {
    auto cmp = compare_logits(a, b, tokens, vocab);
    REQUIRE(cmp.is_ok());
    return std::move(cmp).value();
}

}  // namespace

TEST_CASE("forward gdn: fp32 CPU logits match transformers", "[forward][gdn][reference]") {
    const auto [name, expect_type] = GENERATE(table<std::string, std::string>({
        {"qwen3_next", "qwen3_next"},    // Qwen3NextForCausalLM, transformers 4.57: grouped in_proj_qkvz / ba
        {"qwen3_5", "qwen3_5"},          // Qwen3_5ForCausalLM, transformers 5.23: separate projections, dense MLP
        {"qwen3_5_moe", "qwen3_5_moe"},  // Qwen3_5MoeForCausalLM: MoE + shared expert
    }));
    const ForwardResult r = check_against_fixture_logits(name, expect_type);
    CHECK(r.layout == "hf");
}

TEST_CASE("forward gdn: Megatron copies give bit-identical logits", "[forward][gdn][layouts]") {
    const auto [name, ep] = GENERATE(table<std::string, int>({
        {"qwen3_next", 2},
        {"qwen3_5", 1},
        {"qwen3_5_moe", 2},
    }));
    strata::test::TempDir tmp;
    const fs::path src = forward_fixture(name);
    const auto tokens = fixture_tokens(src);
    convert_ok(src, tmp / "megatron", target(LayoutKind::Megatron, 2, 1, ep));
    const ForwardResult hf = forward_ok(src, tokens);
    const ForwardResult meg = forward_ok(tmp / "megatron", tokens);
    INFO(name << " TP2 EP" << ep);
    CHECK(meg.layout == "megatron");
    CHECK(meg.model_type == hf.model_type);
    CHECK(bit_identical(hf.logits, meg.logits));
    // Not vacuous: the logits vary between positions.
    const auto first_two =
        compare_ok(std::span(hf.logits).first(hf.vocab), std::span(hf.logits).subspan(hf.vocab, hf.vocab), 1, hf.vocab);
    CHECK(first_two.max_abs > 1e-3);
}

TEST_CASE("forward gdn: transformers v5 packed experts give bit-identical logits", "[forward][gdn][layouts]") {
    strata::test::TempDir tmp;
    const fs::path src = forward_fixture("qwen3_5_moe");
    const auto tokens = fixture_tokens(src);
    convert_ok(src, tmp / "packed", target(LayoutKind::HfFusedV5));
    const ForwardResult hf = forward_ok(src, tokens);
    const ForwardResult packed = forward_ok(tmp / "packed", tokens);
    CHECK(packed.layout == "hf-fused-v5");
    CHECK(bit_identical(hf.logits, packed.logits));
}

TEST_CASE("forward gdn: causal, and the recurrent state carries earlier tokens", "[forward][gdn]") {
    const fs::path dir = forward_fixture("qwen3_5");
    auto tokens = fixture_tokens(dir);
    const ForwardResult full = forward_ok(dir, tokens);
    // A prefix gives the same logits for that prefix (the conv and the scan are causal).
    auto prefix = tokens;
    prefix.resize(5);
    const ForwardResult part = forward_ok(dir, prefix);
    CHECK(compare_ok(std::span(full.logits).first(5 * full.vocab), part.logits, 5, full.vocab).max_abs <= 1e-5);
    // Changing token 0 changes the last position's logits although the conv window (4) has long
    // passed it: only the state (or attention) can carry it that far.
    auto changed = tokens;
    changed[0] = 2;
    const ForwardResult other = forward_ok(dir, changed);
    const size_t last = (tokens.size() - 1) * full.vocab;
    const auto diff = compare_ok(std::span(full.logits).subspan(last, full.vocab),
                                 std::span(other.logits).subspan(last, full.vocab), 1, full.vocab);
    CHECK(diff.max_abs > 1e-4);
}

TEST_CASE("forward gdn: a missing GDN tensor is named", "[forward][gdn][errors]") {
    strata::test::TempDir tmp;
    fs::create_directories(tmp / "m");
    for (const char* f : {"config.json", "model.safetensors"}) fs::copy_file(forward_fixture("qwen3_next") / f, tmp / "m" / f);
    // Layer 3 is full attention in the file; make it a GDN layer in the config.
    auto cfg = nlohmann::json::parse(std::ifstream(tmp / "m" / "config.json"));
    cfg["layer_types"][3] = "linear_attention";
    std::ofstream(tmp / "m" / "config.json") << cfg.dump();
    NullProgress progress;
    CancelToken cancel;
    const Status s = run_forward(tmp / "m", fixture_tokens(forward_fixture("qwen3_next")), {}, progress, cancel).status();
    CHECK_FALSE(s.is_ok());
    CHECK_THAT(s.to_string(), Catch::Contains("model.layers.3.linear_attn."));
}
