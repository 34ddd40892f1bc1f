// strata convert SRC --to megatron|hf|hf-fused|hf-fused-v5 --out DIR [--tp --pp --ep --etp]
//   [--dtype] [--threads] [--device cpu|cuda] [--max-memory] [--dry-run] [--json] [--expert-layout] [--norm-layout]
//   [--no-vocab-padding] [--allow-unmapped] [--force] [--force-space]
// strata reshard MEGATRON_DIR --tp --pp --ep --etp --out DIR  (Megatron -> Megatron)
#include <cctype>
#include <iostream>

#include "command.h"
#include "convert_request.h"
#include "strata/convert/convert.h"

namespace strata::cli {
namespace {

Result<uint64_t> parse_size(const std::string& text) {
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (...) {
        return Status::invalid_argument("not a size: '" + text + "' (use e.g. 512M, 2G)");
    }
    std::string unit = text.substr(used);
    for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    double mult = 1;
    if (unit == "" || unit == "B")
        mult = 1;
    else if (unit == "K" || unit == "KIB" || unit == "KB")
        mult = 1024.0;
    else if (unit == "M" || unit == "MIB" || unit == "MB")
        mult = 1024.0 * 1024;
    else if (unit == "G" || unit == "GIB" || unit == "GB")
        mult = 1024.0 * 1024 * 1024;
    else
        return Status::invalid_argument("unknown size unit in '" + text + "'");
    if (v <= 0) return Status::invalid_argument("size must be positive: '" + text + "'");
    return static_cast<uint64_t>(v * mult);
}

struct ConvertArgs {
    std::string source, out, to, dtype, max_memory = "1G", experts, norms, mamba_layout, megatron_version, ckpt_format;
    std::string mtp_experts, device = "cpu";
    int tp = 1, pp = 1, vpp = 1, ep = 1, etp = 0, threads = 0, iteration = 1, divisible_by = 128;
    bool dry_run = false, json = false, no_vocab_padding = false, allow_unmapped = false, force = false;
    bool force_space = false;
    bool release = false, no_verify = false;
};

void add_common(CLI::App* cmd, ConvertArgs& a) {
    cmd->add_option("--out,-o", a.out, "output folder (must not exist)");
    cmd->add_option("--tp", a.tp, "tensor parallel size (megatron)");
    cmd->add_option("--pp", a.pp, "pipeline parallel size (megatron)");
    cmd->add_option("--vpp", a.vpp,
                    "virtual pipeline chunks per stage (megatron legacy: model0, model1 ... in each rank file)");
    cmd->add_option("--ep", a.ep, "expert parallel size (megatron)");
    cmd->add_option("--etp", a.etp, "expert tensor parallel size (megatron; default = tp)");
    cmd->add_option("--dtype", a.dtype, "cast floating tensors: bf16, f16, f32");
    cmd->add_option("--threads", a.threads, "worker threads (default: cores, at most 8)");
    cmd->add_option("--device", a.device, "where tensors are rearranged and cast: cpu (default) or cuda")
        ->check(CLI::IsMember({"cpu", "cuda"}));
    cmd->add_option("--max-memory", a.max_memory, "tensor buffers in flight, e.g. 512M, 2G (default 1G)");
    cmd->add_flag("--dry-run", a.dry_run, "print the conversion plan; write nothing");
    cmd->add_flag("--json", a.json, "machine-readable output");
    cmd->add_option("--expert-layout", a.experts,
                    "megatron experts: grouped (TEGroupedMLP), legacy-grouped, sequential");
    cmd->add_option("--norm-layout", a.norms, "megatron norms: te (fused into linear_qkv) or local");
    cmd->add_option("--ckpt-format", a.ckpt_format,
                    "megatron: torch (legacy mp_rank_* files, default) or torch_dist (distributed checkpoint, "
                    "--norm-layout te|local picks the layer spec)");
    cmd->add_flag("--no-vocab-padding", a.no_vocab_padding, "megatron: keep the vocab unpadded");
    cmd->add_option("--make-vocab-size-divisible-by", a.divisible_by, "megatron vocab padding multiple (default 128)");
    cmd->add_flag("--allow-unmapped", a.allow_unmapped, "skip source tensors no mapping rule covers");
    cmd->add_option("--iteration", a.iteration, "megatron iteration folder (default 1)");
    cmd->add_flag("--release", a.release, "megatron: write release/ instead of iter_0000001/");
    cmd->add_flag("--force", a.force, "replace the output folder if it exists");
    cmd->add_flag("--force-space", a.force_space, "write even when the output needs more than the free space");
    cmd->add_flag("--no-verify", a.no_verify, "skip reopening the written checkpoint");
    cmd->add_option("--mamba-layout", a.mamba_layout,
                    "M1 hybrids: m1 (M1's rows, 9248 at 30B-A3B) or exact (stock, ngroups = heads)");
    cmd->add_option("--mtp-experts", a.mtp_experts,
                    "GDN hybrids, --to hf-fused-v5: per-expert (Qwen3.5, default) or packed (Qwen3.6) MTP experts");
    cmd->add_option("--megatron-version", a.megatron_version,
                    "the Megatron-Core the output is for: 0.15 (hybrids: '-' MoE slots) ... 0.19+ (conv1d_weight), "
                    "0.20+ (refuses legacy GroupedMLP), main");
}

void run(const ConvertArgs& a, bool reshard) {
    ConvertOptions o;
    o.source = a.source;
    o.out = a.out;
    ConvertTarget t;
    t.to = a.to;
    t.plan.tp = a.tp;
    t.plan.pp = a.pp;
    t.plan.ep = a.ep;
    t.plan.etp = a.etp;
    t.plan.vpp = a.vpp;
    t.plan.make_vocab_size_divisible_by = a.divisible_by;
    t.vocab_padding = !a.no_vocab_padding;
    t.expert_layout = a.experts;
    t.norm_layout = a.norms;
    t.mamba_layout = a.mamba_layout;
    t.megatron_version = a.megatron_version;
    t.dtype = a.dtype;
    t.ckpt_format = a.ckpt_format;
    check(apply_convert_target(t, reshard, o));
    if (!a.mtp_experts.empty()) {  // GDN hybrids (convert/gdn_hybrid_args.h): Qwen3.6 packs MTP experts too
        if (a.mtp_experts != "packed" && a.mtp_experts != "per-expert")
            check(Status::invalid_argument("--mtp-experts must be packed or per-expert"));
        if (a.mtp_experts == "packed" && o.target.kind != LayoutKind::HfFusedV5)
            check(Status::invalid_argument("--mtp-experts packed applies to --to hf-fused-v5"));
        o.target.mtp_experts_packed = a.mtp_experts == "packed";
    }
    auto mem = parse_size(a.max_memory);
    check(mem.status());
    o.executor.max_memory = *mem;
    o.executor.threads = a.threads;
    if (a.device == "cuda") {
        std::string why;
        o.executor.device = kernels::backend_by_name("cuda", &why);
        if (!o.executor.device) check(Status::unsupported("--device cuda: " + why));
    }
    o.allow_unmapped = a.allow_unmapped;
    o.dry_run = a.dry_run;
    o.overwrite = a.force;
    o.force_space = a.force_space;
    o.iteration = a.release ? 0 : a.iteration;
    o.verify = !a.no_verify;
    if (!a.dry_run && a.out.empty()) check(Status::invalid_argument("--out is required"));

    TerminalProgress progress(!a.json && !a.dry_run);
    CancelToken cancel;
    auto report = convert_checkpoint(o, progress, cancel);
    check(report.status());
    const auto& plan = report->plan;
    if (a.dry_run) {
        const auto& space = report->space;
        if (a.json) {
            nlohmann::json j = plan_to_json(plan);
            if (space)
                j["preflight"] = {{"checked", space->checked.string()},
                                  {"needed_bytes", space->needed_bytes},
                                  {"free_bytes", space->free_bytes},
                                  {"fits", space->fits()}};
            std::cout << j.dump(1) << "\n";
        } else {
            std::cout << plan_to_text(plan, 60);
            if (space)
                std::cout << "preflight: " << space->describe() << (space->fits() ? "" : " (NOT ENOUGH)") << "\n";
        }
        return;
    }
    const double s = report->seconds;
    if (a.json) {
        nlohmann::json j{{"out", a.out},
                         {"source_layout", plan.source_layout},
                         {"target_layout", plan.target_layout},
                         {"files", plan.files.size()},
                         {"tensors", plan.tensors.size()},
                         {"bytes", report->execution.bytes_written},
                         {"seconds", s},
                         {"threads", report->execution.threads},
                         {"device", a.device},
                         {"device_tensors", report->execution.device_tensors},
                         {"skipped", report->unmapped}};
        std::cout << j.dump(1) << "\n";
        return;
    }
    for (const auto& n : report->unmapped) std::cerr << "strata: skipped unmapped tensor '" << n << "'\n";
    std::printf("wrote %s: %s -> %s, %zu files, %zu tensors, %.1f MB in %.2f s (%.0f MB/s, %d threads)\n",
                a.out.c_str(), plan.source_layout.c_str(), plan.target_layout.c_str(), plan.files.size(),
                plan.tensors.size(), static_cast<double>(report->execution.bytes_written) / 1e6, s,
                s > 0 ? static_cast<double>(report->execution.bytes_written) / 1e6 / s : 0.0,
                report->execution.threads);
    if (o.executor.device)
        std::printf("%llu tensors rearranged on %s\n",
                    static_cast<unsigned long long>(report->execution.device_tensors),
                    o.executor.device->description().c_str());
}

}  // namespace

void add_convert_command(CLI::App& app) {
    auto a = std::make_shared<ConvertArgs>();
    auto* cmd = app.add_subcommand("convert", "Convert a checkpoint to another layout (HF, HF fused, Megatron)");
    cmd->add_option("source", a->source, "checkpoint file or folder")->required();
    cmd->add_option("--to", a->to, "megatron, hf, hf-fused or hf-fused-v5")->required();
    add_common(cmd, *a);
    cmd->callback([a] { run(*a, false); });
}

void add_reshard_command(CLI::App& app) {
    auto a = std::make_shared<ConvertArgs>();
    auto* cmd = app.add_subcommand("reshard", "Re-split a Megatron checkpoint for another TP/PP/EP/ETP");
    cmd->add_option("source", a->source, "Megatron checkpoint folder")->required();
    add_common(cmd, *a);
    cmd->callback([a] { run(*a, true); });
}

}  // namespace strata::cli
