// strata.plan and strata.pattern: the plan report (core parallel/plan_report.h, the one
// `strata plan --json` prints) and the pattern report (core pattern/pattern_report.h, the one
// `strata pattern --to json` prints), returned as Python dicts. MODEL is resolved by the CLI's own model_source.cpp.
#include <cstdio>

#include <pybind11/stl.h>

#include "bindings.h"
#include "errors.h"
#include "model_source.h"
#include "python_json.h"
#include "strata/megatron/launch_flags.h"
#include "strata/parallel/launch_check.h"
#include "strata/parallel/plan_report.h"
#include "strata/pattern/pattern_report.h"

namespace strata::python {
namespace {

struct PlanArgs {
    std::string model, pattern, version;
    ParallelPlan plan;
    uint64_t mamba_heads = 0, mamba_groups = 0;
};

nlohmann::json plan_json(const PlanArgs& a) {
    const MegatronVersion version = unwrap(parse_megatron_version(a.version));
    ModelSpec spec = unwrap(cli::load_model_spec(a.model));
    if (a.mamba_heads) spec.mamba.n_heads = a.mamba_heads;
    if (a.mamba_groups) spec.mamba.n_groups = a.mamba_groups;
    return plan_report_json(unwrap(plan_report(a.model, spec, a.pattern, a.plan, version)));
}

// `strata plan MODEL --megatron-flags FILE`'s check (core parallel/launch_check.h).
nlohmann::json launch_json(const std::string& model, const std::string& file, const std::string& version_text) {
    const MegatronVersion version = unwrap(parse_megatron_version(version_text));
    const cli::ModelSource source = unwrap(cli::load_model_source(model));
    const LaunchFlags flags = unwrap(read_launch_flags(file));
    const LaunchCheck check = unwrap(check_launch_flags(flags, source.spec, source.config, source.megatron_args, version));
    return launch_check_json(check, flags);
}

struct PatternArgs {
    std::optional<std::string> attn_layers, pattern, from;
    std::optional<std::pair<double, double>> ratios;
    int layers = 0;
    std::string version;
    bool moe_as_mlp = false;
};

nlohmann::json pattern_json(const PatternArgs& a) {
    if (!a.attn_layers && !a.pattern && !a.ratios && !a.from)
        throw StatusError(Status::invalid_argument("give attn_layers, pattern, ratios or from_model"));
    PatternRequest q;
    q.version = unwrap(parse_megatron_version(a.version));
    q.moe_as_mlp = a.moe_as_mlp;
    q.layers = a.layers;
    q.attn_layers = a.attn_layers;
    q.pattern = a.pattern;
    if (a.ratios) q.ratios = RatioPair{a.ratios->first, a.ratios->second};
    if (a.from) {
        const ModelSpec spec = unwrap(cli::load_model_spec(*a.from));
        q.model = PatternModel{spec.layers, spec.is_moe(), spec.layer_kinds};
    }
    return pattern_report_json(unwrap(pattern_report(q)));
}

}  // namespace

void bind_plan(py::module_& m) {
    m.def(
        "_plan",
        [](std::string model, int tp, int pp, int ep, int etp, int cp, int vpp, int dp, int world,
           bool sequence_parallel, std::optional<int> first_stage_layers, std::optional<int> last_stage_layers,
           int make_vocab_size_divisible_by, std::string pattern, uint64_t mamba_heads, uint64_t mamba_groups,
           std::string megatron_version) {
            PlanArgs a;
            a.model = std::move(model);
            a.pattern = std::move(pattern);
            a.version = std::move(megatron_version);
            a.plan = {tp,
                      pp,
                      ep,
                      etp,
                      cp,
                      vpp,
                      dp,
                      world,
                      sequence_parallel,
                      first_stage_layers,
                      last_stage_layers,
                      make_vocab_size_divisible_by};
            a.mamba_heads = mamba_heads;
            a.mamba_groups = mamba_groups;
            return to_python(plan_json(a));
        },
        py::arg("model"), py::arg("tp") = 1, py::arg("pp") = 1, py::arg("ep") = 1, py::arg("etp") = 0,
        py::arg("cp") = 1, py::arg("vpp") = 1, py::arg("dp") = 0, py::arg("world") = 0,
        py::arg("sequence_parallel") = false, py::arg("first_stage_layers") = py::none(),
        py::arg("last_stage_layers") = py::none(), py::arg("make_vocab_size_divisible_by") = 128,
        py::arg("pattern") = "", py::arg("mamba_heads") = 0, py::arg("mamba_groups") = 0,
        py::arg("megatron_version") = "0.16");
    m.def(
        "_check_launch",
        [](std::string model, std::string flags_file, std::string megatron_version) {
            return to_python(launch_json(model, flags_file, megatron_version));
        },
        py::arg("model"), py::arg("flags_file"), py::arg("megatron_version") = "0.16");
    m.def(
        "_pattern",
        [](std::optional<std::string> attn_layers, std::optional<std::string> pattern,
           std::optional<std::pair<double, double>> ratios, int layers, std::optional<std::string> from_model,
           std::string megatron_version, bool moe_as_mlp) {
            PatternArgs a{std::move(attn_layers),      std::move(pattern), std::move(from_model), ratios, layers,
                          std::move(megatron_version), moe_as_mlp};
            return to_python(pattern_json(a));
        },
        py::arg("attn_layers") = py::none(), py::arg("pattern") = py::none(), py::arg("ratios") = py::none(),
        py::arg("layers") = 0, py::arg("from_model") = py::none(), py::arg("megatron_version") = "0.16",
        py::arg("moe_as_mlp") = false);
}

}  // namespace strata::python
