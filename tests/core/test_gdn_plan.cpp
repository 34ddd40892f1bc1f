// GDN hybrids in the plan checks and the Megatron args round trip: legal TP/EP/PP of the
// real-dims Qwen3.5-397B-A17B, MTP placement, and config.json rebuilt from args alone.
#include <catch2/catch.hpp>

#include <algorithm>

#include "strata/convert/megatron_args.h"
#include "strata/mapping/layout.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/hf_layout.h"
#include "strata/parallel/checks.h"
#include "strata/synth/synth.h"

using namespace strata;

namespace {

const PlanCheck* find_check(const std::vector<PlanCheck>& checks, const std::string& name) {
    for (const auto& c : checks)
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace

TEST_CASE("Qwen3.5-397B-A17B plan: legal TP, PP and the checks that decide them", "[gdn][plan]") {
    auto spec = model_spec_from_hf_config(find_synth_preset("qwen3.5-397b-a17b")->config);
    REQUIRE(spec.is_ok());
    ParallelPlan p;
    // 2 KV groups cap TP at 2 although the 16 GDN key / 64 value heads would allow 16.
    CHECK(passing_values(*spec, std::nullopt, p, PlanAxis::Tp, kDefaultMegatronVersion, 64) == std::vector<int>{1, 2});
    CHECK(passing_values(*spec, std::nullopt, p, PlanAxis::Pp, kDefaultMegatronVersion, 64) ==
          std::vector<int>{1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60});
    p.tp = 4;
    p.pp = 4;
    auto checks = check(*spec, std::nullopt, p);
    const PlanCheck* kv = find_check(checks, "KV groups % TP");
    REQUIRE(kv);
    CHECK(!kv->ok);
    const PlanCheck* gk = find_check(checks, "GDN key heads % TP");
    REQUIRE(gk);
    CHECK(gk->ok);
    p.tp = 32;
    checks = check(*spec, std::nullopt, p);
    CHECK(!find_check(checks, "GDN key heads % TP")->ok);
    CHECK(find_check(checks, "GDN value heads % TP")->ok);
    p.tp = 2;
    checks = check(*spec, std::nullopt, p);
    const PlanCheck* mtp = find_check(checks, "MTP placement");
    REQUIRE(mtp);
    CHECK_THAT(mtp->message, Catch::Contains("last pipeline stage (PP rank 3) after its 15 decoder layers"));
    const PlanCheck* shared = find_check(checks, "shared expert FFN % TP");
    REQUIRE(shared);
    CHECK(shared->ok);
}

TEST_CASE("GDN Megatron args rebuild the HF tensor list without Strata's saved config", "[gdn][plan]") {
    for (const char* preset : {"qwen3-next-tiny", "qwen3.5-tiny", "qwen3.5-moe-tiny"}) {
        INFO(preset);
        const auto& hf = find_synth_preset(preset)->config;
        auto spec = mapping_spec_from_hf_config(hf);
        REQUIRE(spec.is_ok());
        auto canonical = hf_tensor_entries(hf, DType::BF16);
        REQUIRE(canonical.is_ok());
        auto reg = mapping_registry_for(spec->model_type);
        REQUIRE(reg.is_ok());
        LayoutOptions o;
        o.kind = LayoutKind::Megatron;
        o.plan.tp = 2;
        auto layout = build_layout(*spec, *canonical, **reg, o);
        INFO(layout.status().message());
        REQUIRE(layout.is_ok());
        auto args = megatron_args_for(hf, *layout, 1);
        CHECK(args["experimental_attention_variant"] == "gated_delta_net");
        CHECK(args["attention_output_gate"] == true);
        CHECK(args["layernorm_zero_centered_gamma"] == true);
        args.erase("strata_hf_config");
        auto rebuilt = hf_config_from_megatron_args(args);
        INFO(rebuilt.status().message());
        REQUIRE(rebuilt.is_ok());
        auto again = hf_tensor_entries(*rebuilt, DType::BF16);
        INFO(again.status().message());
        REQUIRE(again.is_ok());
        REQUIRE(again->size() == canonical->size());
        for (size_t i = 0; i < again->size(); ++i) {
            CHECK((*again)[i].name == (*canonical)[i].name);
            CHECK((*again)[i].shape == (*canonical)[i].shape);
        }
    }
}
