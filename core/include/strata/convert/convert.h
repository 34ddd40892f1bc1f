// convert_checkpoint: the whole `strata convert` / `strata reshard` operation as
// one core call: open the source, read it as a CanonicalView, build the target
// layout, plan, check the free space for the planned bytes (io/preflight.h; refused unless
// force_space), then (unless dry_run) stream the plan into an AtomicOutput folder
// with the target's writers (safetensors + config.json for HF layouts; legacy
// Megatron rank files + tracker, or torch_dist (mapping/torch_dist_layout.h), for Megatron),
// verify, record strata-manifest.json (xxh3-64 of every tensor) and rename into place.
// Usage: ConvertOptions o; o.source = "in"; o.out = "out"; o.target.kind = LayoutKind::Megatron;
//        STRATA_TRY(auto report, convert_checkpoint(o, progress, cancel));
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "strata/convert/conversion_plan.h"
#include "strata/convert/executor.h"
#include "strata/convert/preflight.h"
#include "strata/io/output_guard.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

constexpr const char* kManifestName = kStrataManifestName;

// How a Megatron target is stored, as Megatron-LM's --ckpt-format names it: the legacy per-rank
// mp_rank_* files ("torch") or the distributed checkpoint ("torch_dist", formats/torch_dist_writer.h).
enum class MegatronCkptFormat { Torch, TorchDist };
const char* megatron_ckpt_format_name(MegatronCkptFormat format);  // "torch", "torch_dist"
std::optional<MegatronCkptFormat> parse_megatron_ckpt_format(std::string_view name);

struct ConvertOptions {
    std::filesystem::path source;
    std::filesystem::path out;
    LayoutOptions target;
    std::optional<DType> dtype;
    ExecutorOptions executor;
    bool allow_unmapped = false;
    bool dry_run = false;
    bool overwrite = false;
    bool force_space = false;  // write even when preflight finds too little free space
    int iteration = 1;   // Megatron iter_0000001; 0 = release/
    bool verify = true;  // reopen the written checkpoint before the rename
    // reshard: the source must be this kind, and the target keeps the source's expert
    // and norm module layout and vocab padding unless set explicitly.
    std::optional<LayoutKind> require_source;
    std::optional<ExpertLayout> experts;
    std::optional<NormLayout> norms;
    // Megatron targets only. torch_dist names the layer spec by `norms` (te: TE spec, local: local
    // spec) and stores experts the same way for grouped and sequential modules.
    MegatronCkptFormat ckpt_format = MegatronCkptFormat::Torch;
};

struct ConvertReport {
    ConversionPlan plan;
    ExecutionResult execution;  // empty on dry runs
    std::vector<std::string> unmapped;
    std::optional<SpaceVerdict> space;  // preflight of the output (absent on a dry run without --out)
    double seconds = 0.0;
};

Result<ConvertReport> convert_checkpoint(const ConvertOptions& options, ProgressSink& progress,
                                         const CancelToken& cancel);

// The target layout for a source view and target options (HF targets keep the
// source's plan-free canonical tensors; Megatron targets check divisibility).
Result<Layout> target_layout(const CanonicalView& source, const LayoutOptions& target);

}  // namespace strata
