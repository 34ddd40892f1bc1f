// strata plan MODEL --tp N --pp N --ep N [--etp --cp --vpp --dp --world --sp --pattern STR
//             --megatron-version V --json ...]
// strata plan MODEL --megatron-flags train.sh [--megatron-version V --json]
// Runs every plan check and prints the table; exits 1 when an error-severity check fails.
// With --megatron-flags the plan and pattern come from a launch script, and what in it would
// stop the job against this checkpoint is listed too (core parallel/launch_check.h).
#include <cstdio>
#include <iostream>

#include "command.h"
#include "model_source.h"
#include "strata/megatron/launch_flags.h"
#include "strata/parallel/launch_check.h"
#include "strata/parallel/plan_report.h"
#include "strata/parallel/shard_layout.h"  // shard_layout_text

namespace strata::cli {
namespace {

struct Args {
    std::string model, pattern, version = "0.16", megatron_flags;
    bool plan_options = false;  // --tp/--pp/... given (not with --megatron-flags)
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

void print_launch_check(const LaunchCheck& c) {
    std::cout << "\nmegatron flags: " << c.file << "\n  checkpoint side: " << c.basis << "\n";
    int stops = 0, warnings = 0;
    for (const auto& f : c.findings) {
        ++(f.stops ? stops : warnings);
        std::cout << "  " << (f.stops ? "STOP " : "warn ") << launch_finding_kind_name(f.kind);
        if (!f.flag.empty()) std::cout << "  " << f.flag;
        if (f.line) std::cout << " (line " << f.line << ")";
        if (!f.launch_value.empty() || !f.checkpoint_value.empty())
            std::cout << ": flags " << (f.launch_value.empty() ? "-" : f.launch_value) << ", checkpoint "
                      << (f.checkpoint_value.empty() ? "-" : f.checkpoint_value);
        std::cout << "\n      " << f.message << "\n";
    }
    if (c.findings.empty()) std::cout << "  no mismatch with the checkpoint\n";
    std::cout << (c.stops ? "FAIL" : "PASS") << ": " << stops << " finding(s) would stop the job, " << warnings
              << " warning(s)\n";
}

void run(Args a) {
    auto version = parse_megatron_version(a.version);
    check(version.status());
    auto source = load_model_source(a.model);
    check(source.status());
    ModelSpec spec = source->spec;
    std::optional<LaunchCheck> launch;
    std::optional<LaunchFlags> flags;
    if (!a.megatron_flags.empty()) {
        if (a.plan_options || !a.pattern.empty()) {
            std::cerr << "error: --megatron-flags takes the plan and the pattern from " << a.megatron_flags
                      << "; drop --tp/--pp/--ep/--etp/--cp/--vpp/--sp/--pattern\n";
            exit_with(2);
        }
        auto f = read_launch_flags(a.megatron_flags);
        check(f.status());
        flags = std::move(*f);
        auto c = check_launch_flags(*flags, spec, source->config, source->megatron_args, *version);
        check(c.status());
        launch = std::move(*c);
        const int dp = a.plan.dp, world = a.plan.world;  // not in a launch script's flags
        a.plan = launch->plan;
        a.plan.dp = dp;
        a.plan.world = world;
        // A pattern this version cannot parse is a finding already; the plan then uses the model's.
        if (!launch->pattern.empty() && parse_layer_pattern(launch->pattern, *version)) a.pattern = launch->pattern;
    }
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
        auto j = plan_report_json(r);
        if (launch) j["megatron_flags"] = launch_check_json(*launch, *flags);
        std::cout << j.dump(2) << "\n";
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
        if (launch) print_launch_check(*launch);
    }
    if (!r.passes || (launch && launch->stops)) exit_with(1);
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
    cmd->add_option("--megatron-flags", args->megatron_flags,
                    "a Megatron-LM launch script: its plan is checked, and its flags against the checkpoint "
                    "(check_checkpoint_args, shapes, unknown flags)");
    cmd->add_flag("--json", args->json, "print one JSON document");
    cmd->callback([args, cmd] {
        for (const char* o : {"--tp", "--pp", "--ep", "--etp", "--cp", "--vpp", "--sp", "--first-stage-layers",
                              "--last-stage-layers", "--make-vocab-size-divisible-by"})
            args->plan_options = args->plan_options || cmd->get_option(o)->count() > 0;
        run(*args);
    });
}

}  // namespace strata::cli
