// Plan checks on Qwen3-30B-A3B (the synth preset at real dims) and its 96-layer hybrid.
#include <catch2/catch.hpp>

#include "strata/parallel/checks.h"
#include "strata/synth/synth.h"

using namespace strata;

namespace {

ModelSpec qwen3_30b() {
    const SynthPreset* p = find_synth_preset("qwen3-30b-a3b");
    REQUIRE(p != nullptr);
    auto spec = model_spec_from_hf_config(p->config);
    REQUIRE(spec.is_ok());
    return *spec;
}

const PlanCheck& find(const std::vector<PlanCheck>& checks, const std::string& name) {
    for (const auto& c : checks)
        if (c.name == name) return c;
    FAIL("no check named " << name);
    return checks.front();
}

bool has(const std::vector<PlanCheck>& checks, const std::string& name) {
    for (const auto& c : checks)
        if (c.name == name) return true;
    return false;
}

LayerPattern workflow_pattern() {
    std::string s;
    for (int i = 0; i < 23; ++i) s += "*-M-";
    auto p = parse_layer_pattern(s + "*-*-", MegatronVersion::V0_16);
    REQUIRE(p.is_ok());
    return *p;
}

}  // namespace

TEST_CASE("Qwen3-30B-A3B: TP=8 fails on KV groups and lists TP in {1,2,4}", "[plan]") {
    const auto spec = qwen3_30b();
    ParallelPlan plan;
    plan.tp = 8;
    plan.sequence_parallel = true;
    const auto checks = check(spec, std::nullopt, plan);
    const auto& kv = find(checks, "KV groups % TP");
    CHECK_FALSE(kv.ok);
    CHECK(kv.severity == Severity::Error);
    CHECK(kv.axis == PlanAxis::Tp);
    CHECK(kv.alternatives == std::vector<int>{1, 2, 4});
    CHECK(kv.message == "KV groups 4 is not divisible by TP=8; TP ∈ {1,2,4}");
    CHECK(find(checks, "attention heads % TP").ok);  // 32 heads divide by 8
    CHECK_FALSE(plan_passes(checks));
    CHECK(passing_values(spec, std::nullopt, plan, PlanAxis::Tp) == std::vector<int>{1, 2, 4});

    plan.tp = 4;
    CHECK(plan_passes(check(spec, std::nullopt, plan)));
}

TEST_CASE("Qwen3-30B-A3B: EP=128 passes, EP=96 fails", "[plan]") {
    const auto spec = qwen3_30b();
    ParallelPlan plan;
    plan.ep = 128;
    auto checks = check(spec, std::nullopt, plan);
    CHECK(find(checks, "experts % EP").ok);
    CHECK(find(checks, "experts % EP").message == "128 experts / EP 128 = 1 local experts per EP rank");
    CHECK(find(checks, "expert folding").ok);
    CHECK(plan_passes(checks));
    CHECK(plan_sizes(plan).world == 128);

    plan.ep = 96;
    checks = check(spec, std::nullopt, plan);
    const auto& e = find(checks, "experts % EP");
    CHECK_FALSE(e.ok);
    CHECK(e.alternatives == std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128});
    CHECK_FALSE(plan_passes(checks));
}

TEST_CASE("PP=4 over the 96-layer hybrid gives 24 per stage, 48 HF layers give 12", "[plan]") {
    auto spec = qwen3_30b();
    spec.mamba.n_heads = 32;  // the workflow's --mamba-headdim 128, d_inner 4096, --mamba-ngroups 4
    spec.mamba.n_groups = 4;
    ParallelPlan plan;
    plan.pp = 4;
    const auto pattern = workflow_pattern();
    auto layout = pipeline_layout(spec, pattern, plan, MegatronVersion::V0_16);
    REQUIRE(layout.is_ok());
    REQUIRE(layout->size() == 4);
    for (const auto& s : *layout) CHECK(s.count == 24);
    CHECK((*layout)[1].first == 24);
    CHECK((*layout)[1].symbols == pattern.layers.substr(24, 24));
    const auto checks = check(spec, pattern, plan, MegatronVersion::V0_16);
    const auto& stages = find(checks, "layers per pipeline stage");
    CHECK(stages.ok);
    CHECK(stages.message == "PP=4: 24 layers per stage × 4 stages (96 hybrid layers)");
    CHECK(find(checks, "Mamba groups % TP").ok);
    CHECK(find(checks, "pattern vs model").ok);
    CHECK(plan_passes(checks));

    auto gpt = pipeline_layout(spec, std::nullopt, plan);
    REQUIRE(gpt.is_ok());
    CHECK(gpt->front().count == 12);

    plan.pp = 5;
    const auto bad = check(spec, pattern, plan, MegatronVersion::V0_16);
    const auto& s5 = find(bad, "layers per pipeline stage");
    CHECK_FALSE(s5.ok);
    CHECK(s5.message.find("96") != std::string::npos);
    CHECK(s5.alternatives == std::vector<int>{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 96});
}

TEST_CASE("pipeline rules by version: first/last overrides, '|' segments, VPP", "[plan]") {
    auto spec = qwen3_30b();
    spec.mamba.n_heads = 32;
    spec.mamba.n_groups = 4;
    ParallelPlan plan;
    plan.pp = 4;
    plan.first_stage_layers = 22;
    plan.last_stage_layers = 22;
    const auto pattern = workflow_pattern();
    CHECK_FALSE(pipeline_layout(spec, pattern, plan, MegatronVersion::V0_16).is_ok());
    auto modern = pipeline_layout(spec, pattern, plan, MegatronVersion::V0_17);
    REQUIRE(modern.is_ok());
    CHECK((*modern)[0].count == 22);
    CHECK((*modern)[1].count == 26);
    CHECK((*modern)[3].first == 74);

    plan.first_stage_layers.reset();
    plan.last_stage_layers.reset();
    plan.vpp = 2;
    auto no_pipes = pipeline_layout(spec, pattern, plan, MegatronVersion::V0_17);
    REQUIRE_FALSE(no_pipes.is_ok());
    CHECK(no_pipes.status().message().find("'|'") != std::string::npos);

    auto piped = parse_layer_pattern("*-M-|*-M-|*-M-|*-M-|M-*-|M-*-|M-*-|M-*-", MegatronVersion::V0_17);
    REQUIRE(piped.is_ok());
    auto layout = pipeline_layout(spec, *piped, plan, MegatronVersion::V0_17);
    REQUIRE(layout.is_ok());
    CHECK(layout->size() == 8);
    CHECK((*layout)[5].pp_rank == 1);
    CHECK((*layout)[5].vp_stage == 1);
    CHECK((*layout)[5].symbols == "M-*-");
    plan.pp = 3;
    CHECK(
        pipeline_layout(spec, *piped, plan, MegatronVersion::V0_17).status().message().find("not divisible by PP=3") !=
        std::string::npos);

    // GPT stack: 48 layers, PP=4, VPP=3 → chunks of 4, interleaved order.
    plan.pp = 4;
    plan.vpp = 3;
    auto gpt = pipeline_layout(spec, std::nullopt, plan);
    REQUIRE(gpt.is_ok());
    CHECK(gpt->size() == 12);
    CHECK((*gpt)[4].pp_rank == 0);
    CHECK((*gpt)[4].vp_stage == 1);
    CHECK((*gpt)[4].first == 16);
}

TEST_CASE("vocab padding, world folding and sequence parallel", "[plan]") {
    const auto spec = qwen3_30b();
    CHECK(padded_vocab_size(151936, 128, 1) == 151936);
    CHECK(padded_vocab_size(151936, 128, 2) == 152064);
    ParallelPlan plan;
    plan.tp = 2;
    plan.ep = 4;
    auto checks = check(spec, std::nullopt, plan);
    const auto& vocab = find(checks, "vocab padding");
    CHECK_FALSE(vocab.ok);
    CHECK(vocab.severity == Severity::Warning);
    CHECK(vocab.message.find("152064") != std::string::npos);
    CHECK(vocab.alternatives.front() == 1);
    const auto& sp = find(checks, "sequence parallel");
    CHECK_FALSE(sp.ok);
    CHECK(sp.severity == Severity::Warning);  // megatron-core >= 0.15 only warns (model_parallel_config.py)
    const auto old_checks = check(spec, std::nullopt, plan, MegatronVersion::V0_15);
    const auto& old_sp = find(old_checks, "sequence parallel");
    CHECK_FALSE(old_sp.ok);
    CHECK(old_sp.severity == Severity::Error);  // <= 0.14 raises ValueError

    plan.sequence_parallel = true;
    plan.world = 12;  // 12 % (TP·PP·CP = 2) ok, 12 % (ETP 2 · EP 4 · PP 1 = 8) not
    checks = check(spec, std::nullopt, plan);
    CHECK(find(checks, "world size").ok);
    const auto& fold = find(checks, "expert folding");
    CHECK_FALSE(fold.ok);
    CHECK(fold.alternatives == std::vector<int>{1, 2});
    plan.etp = 1;  // ETP 1 · EP 4 = 4 divides 12
    CHECK(find(check(spec, std::nullopt, plan), "expert folding").ok);

    plan = ParallelPlan{};
    plan.sequence_parallel = true;
    const auto sp_checks = check(spec, std::nullopt, plan);
    const auto& warn = find(sp_checks, "sequence parallel");
    CHECK_FALSE(warn.ok);
    CHECK(warn.severity == Severity::Warning);
}

TEST_CASE("Mamba and GDN head checks appear only for those layers", "[plan]") {
    auto spec = qwen3_30b();
    ParallelPlan plan;
    plan.tp = 8;
    CHECK_FALSE(has(check(spec, std::nullopt, plan), "Mamba heads % TP"));
    spec.gdn = {16, 64, 128, 128, 4};
    spec.layer_kinds[0].mixer = MixerKind::GatedDeltaNet;
    const auto checks = check(spec, std::nullopt, plan);
    CHECK(find(checks, "GDN key heads % TP").ok);
    CHECK(find(checks, "GDN value heads % TP").ok);
    plan.tp = 32;
    const auto checks32 = check(spec, std::nullopt, plan);
    const auto& k = find(checks32, "GDN key heads % TP");
    CHECK_FALSE(k.ok);
    CHECK(k.alternatives == std::vector<int>{1, 2, 4, 8, 16});
}
