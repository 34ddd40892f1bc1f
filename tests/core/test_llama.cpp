// The Llama / Mistral family (core/src/architectures/llama): fp32 logits against transformers
// (fixtures from tests/reference/make_llama_fixtures.py), HF -> Megatron GPTModel -> HF bit for
// bit over TP x PP with tied and untied embeddings, the Megatron layout's logits equal to the HF
// layout's, and the real-dims presets.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint_summary.h"
#include "strata/forward/forward.h"
#include "strata/model/model_spec.h"
#include "strata/parallel/checks.h"
#include "support/model_helpers.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace strata;
using namespace strata::test;

TEST_CASE("llama: fp32 CPU logits match transformers", "[llama][forward][reference]") {
    const auto [name, expect_type] = GENERATE(table<std::string, std::string>({
        {"llama", "llama"},      // LlamaForCausalLM, rope_scaling llama3, untied
        {"mistral", "mistral"},  // MistralForCausalLM, head_dim 16 != hidden / heads, tied
    }));
    check_against_fixture_logits(name, expect_type);
}

TEST_CASE("llama: HF -> Megatron GPTModel -> HF is bit-identical over TP x PP", "[llama][convert][roundtrip]") {
    TempDir tmp;
    const std::string preset = GENERATE("llama-tiny", "llama-tiny-tied", "mistral-tiny");
    const fs::path hf = synth_ok(tmp / "hf", preset, false, 3);
    const Checkpoint source = open_ok(hf);
    for (int tp : {1, 2, 4})
        for (int pp : {1, 2}) {
            INFO(preset << " tp " << tp << " pp " << pp);
            const std::string tag = "tp" + std::to_string(tp) + "pp" + std::to_string(pp);
            const Checkpoint back = megatron_round_trip(hf, tmp.path(), tag, target(LayoutKind::Megatron, tp, pp));
            require_same_tensors(source, back);
            CHECK(back.config.value("model_type", "") == source.config.value("model_type", ""));
            CHECK(back.config.value("rope_scaling", nlohmann::json()) ==
                  source.config.value("rope_scaling", nlohmann::json()));
            fs::remove_all(tmp / (tag + "-hf"));
        }
}

TEST_CASE("llama: the Megatron layout gives bit-identical logits to the HF layout", "[llama][forward][layouts]") {
    TempDir tmp;
    const std::string name = GENERATE("llama", "mistral");
    const fs::path hf = forward_fixture(name);
    const auto tokens = fixture_tokens(hf);
    convert_ok(hf, tmp / "mg", target(LayoutKind::Megatron, 2, 2));
    const ForwardResult a = forward_ok(hf, tokens);
    const ForwardResult b = forward_ok(tmp / "mg", tokens);
    CHECK(b.layout == "megatron");
    CHECK(bit_identical(a.logits, b.logits));
}

TEST_CASE("llama: config.json gives the spec (no q/k norms, GQA, llama3 rope scaling)", "[llama][spec]") {
    const Checkpoint c = open_ok(forward_fixture("llama"));
    auto spec = model_spec_from_hf_config(c.config);
    REQUIRE(spec.is_ok());
    CHECK(spec->model_type == "llama");
    CHECK_FALSE(spec->qk_norm);
    CHECK(spec->kv_heads == 4);
    CHECK(spec->rope_scaling_type == "llama3");
    CHECK(spec->rope_scaling_factor == 8.0);
    CHECK(spec->rope_original_max_position == 128);
    CHECK_FALSE(spec->tied_embeddings);
}

TEST_CASE("llama: real-dims presets synthesize sparse with the published parameter counts", "[llama][synth]") {
    TempDir tmp;
    const auto [preset, params] = GENERATE(table<std::string, uint64_t>({
        {"llama3.1-8b", 8030261248ull},
        {"llama3.1-70b", 70553706496ull},
    }));
    const fs::path dir = synth_ok(tmp / preset, preset, true);
    const Checkpoint c = open_ok(dir);
    CHECK(summarize(c).parameter_count == params);
    auto spec = model_spec_from_hf_config(c.config);
    REQUIRE(spec.is_ok());
    ParallelPlan plan;
    plan.tp = 8;
    plan.pp = 4;
    int divisibility_checks = 0;
    for (const PlanCheck& c : check(*spec, std::nullopt, plan))
        if (c.name == "attention heads % TP" || c.name == "KV groups % TP" || c.name == "dense FFN % TP") {
            INFO(c.message);
            CHECK(c.ok);  // 32 / 64 heads, 8 KV groups, FFN 14336 / 28672 over TP 8
            ++divisibility_checks;
        }
    CHECK(divisibility_checks == 3);
}
