// strata plan MODEL --tp N --pp N --ep N [--etp --cp --vpp --dp --world --sp --pattern STR
//             --megatron-version V --json ...]
// Runs every plan check and prints the table; exits 1 when an error-severity check fails.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "model_source.h"
#include "strata/parallel/plan_report.h"
#include "strata/parallel/shard_layout.h"  // shard_layout_text

namespace strata::cli {
namespace {

struct Args {
    std::string model, pattern, version = "0.16";
    ParallelPlan plan;
    int first = -1, last = -1;
    uint64_t mamba_heads = 0, mamba_groups = 0;
    bool json = false;
};

std::string list_text(const std::vector<int>& v, size_t max_items = 16) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < max_items; ++i) s += (i ? "," : "") + std::to_string(v[i]);
    if (v.size() > max_items) s += ",...";
    return "{" + s + "}";
}

void run(Args a) {
    auto version = parse_megatron_version(a.version);
    check(version.status());
    auto spec_r = load_model_spec(a.model);
    check(spec_r.status());
    ModelSpec spec = *spec_r;
    if (a.mamba_heads) spec.mamba.n_heads = a.mamba_heads;
    if (a.mamba_groups) spec.mamba.n_groups = a.mamba_groups;
    if (a.first >= 0) a.plan.first_stage_layers = a.first;
    if (a.last >= 0) a.plan.last_stage_layers = a.last;
    auto report = plan_report(a.model, spec, a.pattern, a.plan, *version);
    check(report.status());
    const PlanReport& r = *report;
    const auto& pattern = r.pattern;
    const auto& sizes = r.sizes;
    if (a.json) {
        std::cout << plan_report_json(r).dump(2) << "\n";
    } else {
        std::cout << "model:   " << a.model << " (" << spec.model_type << ", " << spec.layers << " layers"
                  << (pattern ? ", " + std::to_string(pattern->num_layers()) + " Megatron hybrid layers" : "") << ")\n"
                  << "plan:    TP " << a.plan.tp << "  PP " << a.plan.pp << "  EP " << a.plan.ep << "  ETP "
                  << a.plan.expert_tp() << "  CP " << a.plan.cp << "  VPP " << a.plan.vpp << "  world " << sizes.world
                  << "  DP " << sizes.dp << "  expert DP " << sizes.expert_dp
                  << (a.plan.sequence_parallel ? "  SP" : "") << "  (Megatron " << megatron_version_name(*version)
                  << ")\n\n";
        std::printf("%-26s %-8s %s\n", "check", "result", "details");
        for (const auto& c : r.checks) {
            const char* result = c.ok ? "ok" : severity_name(c.severity);
            std::printf("%-26s %-8s %s\n", c.name.c_str(), result, c.message.c_str());
            if (!c.ok && c.axis != PlanAxis::None && !c.alternatives.empty() &&
                c.message.find("∈") == std::string::npos)
                std::printf("%-26s %-8s %s ∈ %s\n", "", "", plan_axis_name(c.axis), list_text(c.alternatives).c_str());
        }
        if (r.stages) {
            std::cout << "\nstages:\n";
            size_t shown = 0;
            for (const auto& s : *r.stages) {
                if (++shown > 16) {
                    std::cout << "  ... " << r.stages->size() - 16 << " more\n";
                    break;
                }
                std::cout << "  pp " << s.pp_rank
                          << (a.plan.vpp > 1 || (pattern && pattern->has_pipes()) ? " vp " + std::to_string(s.vp_stage)
                                                                                  : std::string())
                          << ": layers " << s.first << "-" << s.first + s.count - 1 << " (" << s.count << ")"
                          << (s.symbols.empty() ? "" : "  " + s.symbols) << "\n";
            }
        }
        if (r.shards)
            std::cout << "\nper-rank checkpoint bytes and training memory (weights + fp32 grads + Adam) of "
                      << r.shards->basis << ":\n"
                      << shard_layout_text(r.shards->layout);
        else if (r.passes && !a.pattern.empty())
            std::cout << "\nper-rank bytes: " << r.shards.status().message() << "\n";
        int errors = 0, warnings = 0;
        for (const auto& c : r.checks)
            if (!c.ok) ++(c.severity == Severity::Error ? errors : warnings);
        std::cout << "\n"
                  << (r.passes ? "PASS" : "FAIL") << ": " << errors << " error(s), " << warnings << " warning(s)\n";
    }
    if (!r.passes) exit_with(1);
}

}  // namespace

void add_plan_command(CLI::App& app) {
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("plan", "Check a TP/PP/EP/ETP/CP/VPP plan against a model before a job starts");
    cmd->add_option("model", args->model, "checkpoint file/folder or synth preset (e.g. qwen3-30b-a3b)")->required();
    cmd->add_option("--tp", args->plan.tp, "tensor parallel size");
    cmd->add_option("--pp", args->plan.pp, "pipeline parallel size");
    cmd->add_option("--ep", args->plan.ep, "expert parallel size");
    cmd->add_option("--etp", args->plan.etp, "expert tensor parallel size (default: TP)");
    cmd->add_option("--cp", args->plan.cp, "context parallel size");
    cmd->add_option("--vpp", args->plan.vpp, "virtual pipeline chunks per stage");
    cmd->add_option("--dp", args->plan.dp, "data parallel size (default: derived from --world)");
    cmd->add_option("--world", args->plan.world, "world size (default: the smallest that fits)");
    cmd->add_flag("--sp,--sequence-parallel", args->plan.sequence_parallel, "sequence parallelism");
    cmd->add_option("--first-stage-layers", args->first, "num_layers_in_first_pipeline_stage");
    cmd->add_option("--last-stage-layers", args->last, "num_layers_in_last_pipeline_stage");
    cmd->add_option("--make-vocab-size-divisible-by", args->plan.make_vocab_size_divisible_by, "default 128");
    cmd->add_option("--pattern", args->pattern, "Megatron hybrid layer pattern the model is trained with");
    cmd->add_option("--mamba-heads", args->mamba_heads, "Mamba heads in the Megatron model (d_inner / head dim)");
    cmd->add_option("--mamba-groups", args->mamba_groups, "Mamba B/C groups in the Megatron model");
    cmd->add_option("--megatron-version", args->version,
                    "Megatron-Core version whose rules apply (0.15, 0.16, 0.17, main)");
    cmd->add_flag("--json", args->json, "print one JSON document");
    cmd->callback([args] { run(*args); });
}

}  // namespace strata::cli
