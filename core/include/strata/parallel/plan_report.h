// One `plan` run as its clients ask for it (`strata plan`, Python's strata.plan): the Megatron
// pattern the checks use (typed, from the model's Megatron args, or a Mamba hybrid's own slot
// pairs), every check, the parallel sizes, the pipeline stages and, when the plan passes, the
// per-rank bytes of what it lays out (the model itself, or the hybrid a typed pattern
// describes), plus the JSON document both print. One home for that composition.
// Usage: STRATA_TRY(PlanReport r, plan_report(model, spec, "", plan, version)); plan_report_json(r);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/model/model_spec.h"
#include "strata/parallel/checks.h"
#include "strata/parallel/pattern_shards.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/status.h"

namespace strata {

struct PlanReport {
    std::string model;  // as given: a checkpoint path or a synth preset
    ModelSpec spec;
    ParallelPlan plan;
    MegatronVersion version = kDefaultMegatronVersion;
    std::optional<LayerPattern> pattern;
    std::vector<PlanCheck> checks;
    PlanSizes sizes;
    Result<std::vector<StageLayers>> stages = Status::internal("not computed");
    bool passes = false;
    Result<PatternShardLayout> shards = Status::internal("not computed");  // Unsupported when the plan fails
};

// `spec` is the model's (cli model_source / the Studio's opened model); `typed_pattern` may be empty.
Result<PlanReport> plan_report(const std::string& model, const ModelSpec& spec, const std::string& typed_pattern,
                               const ParallelPlan& plan, MegatronVersion version);

// {"model", "model_type", "megatron_version", "pattern"?, "plan", "sizes", "checks", "stages",
//  "shard_layout"?, "shard_layout_basis"?, "passes"}
nlohmann::json plan_report_json(const PlanReport& report);

}  // namespace strata
