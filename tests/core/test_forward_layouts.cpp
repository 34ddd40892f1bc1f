// The same model through different stored layouts gives bit-identical fp32 CPU logits:
// the forward reads every weight through the CanonicalView, so HF per-expert, HF fused
// and Megatron TP2·PP2·EP4 copies of `tiny` (made by the conversion engine) must agree
// to the last bit, and a Megatron copy of the transformers fixture must still match it.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/convert/convert.h"
#include "strata/forward/forward.h"
#include "strata/forward/logits_compare.h"
#include "strata/forward/npy.h"
#include "strata/synth/synth.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace strata;
using namespace strata::test;

namespace {

const std::vector<int32_t> kTokens{1, 17, 42, 255, 3, 99, 128, 7, 64, 200};

}  // namespace

TEST_CASE("forward: tiny through HF, fused and Megatron TP2 PP2 EP4 gives bit-identical logits", "[forward][layouts]") {
    strata::test::TempDir tmp;
    const auto dtype = GENERATE(DType::BF16, DType::F32);
    SynthOptions so;
    so.preset = "tiny";
    so.out = tmp / "hf";
    so.dtype = dtype;
    so.seed = 7;
    NullProgress progress;
    CancelToken cancel;
    REQUIRE(synthesize(so, progress, cancel).is_ok());
    convert_ok(tmp / "hf", tmp / "fused", target(LayoutKind::HfFused));
    convert_ok(tmp / "hf", tmp / "megatron", target(LayoutKind::Megatron, 2, 2, 4));

    const ForwardResult hf = forward_ok(tmp / "hf", kTokens);
    const ForwardResult fused = forward_ok(tmp / "fused", kTokens);
    const ForwardResult meg = forward_ok(tmp / "megatron", kTokens);
    CHECK(hf.layout == "hf");
    CHECK(fused.layout == "hf-fused");
    CHECK(meg.layout == "megatron");
    CHECK(bit_identical(hf.logits, fused.logits));
    CHECK(bit_identical(hf.logits, meg.logits));
    // Not vacuous: the logits vary across positions and vocab.
    auto cmp = compare_logits(std::span(hf.logits).first(hf.vocab), std::span(hf.logits).subspan(hf.vocab, hf.vocab), 1,
                              hf.vocab);
    REQUIRE(cmp.is_ok());
    CHECK(cmp->max_abs > 1e-3);
}

TEST_CASE("forward: a Megatron copy of the transformers fixture still matches transformers",
          "[forward][layouts][reference]") {
    strata::test::TempDir tmp;
    const fs::path src = forward_fixture("qwen3_moe");
    const std::vector<int32_t> tokens = fixture_tokens(src);
    convert_ok(src, tmp / "megatron", target(LayoutKind::Megatron, 2, 2, 4));
    const ForwardResult hf = forward_ok(src, tokens);
    const ForwardResult meg = forward_ok(tmp / "megatron", tokens);
    CHECK(bit_identical(hf.logits, meg.logits));
    auto ref = read_npy(src / "logits.npy");
    REQUIRE(ref.is_ok());
    auto cmp = compare_logits(meg.logits, ref->data, meg.tokens, meg.vocab);
    REQUIRE(cmp.is_ok());
    CHECK(cmp->max_abs <= 1e-4);
}
