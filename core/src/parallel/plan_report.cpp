#include "strata/parallel/plan_report.h"

#include "strata/parallel/shard_layout.h"

namespace strata {
namespace {

// The Megatron pattern: typed, from Megatron args, or (Mamba hybrids) one slot pair per HF layer.
Result<std::optional<LayerPattern>> checked_pattern(const ModelSpec& spec, const std::string& typed,
                                                    MegatronVersion version) {
    std::string text = typed;
    if (text.empty()) text = spec.megatron_pattern;
    if (text.empty() && spec.has_mixer(MixerKind::Mamba2)) {
        STRATA_TRY(text, megatron_pattern_from_layers(spec.layer_kinds, {version, false}));
    }
    if (text.empty()) return std::optional<LayerPattern>();
    STRATA_TRY(LayerPattern p, parse_layer_pattern(text, version));
    return std::optional<LayerPattern>(std::move(p));
}

}  // namespace

Result<PlanReport> plan_report(const std::string& model, const ModelSpec& spec, const std::string& typed_pattern,
                               const ParallelPlan& plan, MegatronVersion version) {
    PlanReport r;
    r.model = model;
    r.spec = spec;
    r.plan = plan;
    r.version = version;
    STRATA_TRY(r.pattern, checked_pattern(spec, typed_pattern, version));
    r.checks = check(spec, r.pattern, plan, version);
    r.sizes = plan_sizes(plan);
    r.stages = pipeline_layout(spec, r.pattern, plan, version);
    r.passes = plan_passes(r.checks);
    // Per-rank bytes and training memory from the conversion engine's Megatron layout (the
    // pieces `strata convert --to megatron` writes); a typed pattern decides what is laid out:
    // the model itself, or the M1 hybrid it describes (as the Studio's Parallel tab does).
    ShardLayoutOptions options;
    options.layout.plan = plan;
    options.dp = static_cast<int>(r.sizes.dp);
    auto lay_out = [&]() -> Result<PatternShardLayout> {
        if (!r.passes || plan.vpp != 1) return Status::unsupported("plan fails");
        if (typed_pattern.empty() || !r.pattern) {
            STRATA_TRY(ShardLayout own, shard_layout_for(model, options));
            return PatternShardLayout{std::move(own), "the model's own layers"};
        }
        STRATA_TRY(nlohmann::json config, model_hf_config(model));
        return pattern_shard_layout(config, *r.pattern, options, version);
    };
    r.shards = lay_out();
    return r;
}

nlohmann::json plan_report_json(const PlanReport& r) {
    nlohmann::json j;
    j["model"] = r.model;
    j["model_type"] = r.spec.model_type;
    j["megatron_version"] = megatron_version_name(r.version);
    if (r.pattern) j["pattern"] = to_string(*r.pattern);
    const ParallelPlan& p = r.plan;
    j["plan"] = {{"tp", p.tp},   {"pp", p.pp},   {"ep", p.ep},
                 {"etp", p.expert_tp()}, {"cp", p.cp}, {"vpp", p.vpp},
                 {"sequence_parallel", p.sequence_parallel}};
    j["sizes"] = {{"world", r.sizes.world}, {"dp", r.sizes.dp}, {"expert_dp", r.sizes.expert_dp}};
    j["checks"] = nlohmann::json::array();
    for (const auto& c : r.checks)
        j["checks"].push_back({{"name", c.name},
                               {"ok", c.ok},
                               {"severity", severity_name(c.severity)},
                               {"axis", plan_axis_name(c.axis)},
                               {"message", c.message},
                               {"alternatives", c.alternatives},
                               {"source", c.source}});
    j["stages"] = nlohmann::json::array();
    if (r.stages)
        for (const auto& s : *r.stages)
            j["stages"].push_back({{"pp_rank", s.pp_rank},
                                   {"vp_stage", s.vp_stage},
                                   {"first", s.first},
                                   {"count", s.count},
                                   {"symbols", s.symbols}});
    if (r.shards) {
        j["shard_layout"] = shard_layout_json(r.shards->layout);
        j["shard_layout_basis"] = r.shards->basis;
    }
    j["passes"] = r.passes;
    return j;
}

}  // namespace strata
