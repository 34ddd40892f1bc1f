// convert_checkpoint: open -> canonical view -> target layout -> plan -> execute into
// an AtomicOutput folder -> verify -> manifest -> rename.
#include "strata/convert/convert.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "strata/convert/megatron_args.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/megatron.h"
#include "strata/formats/megatron_writer.h"
#include "strata/formats/safetensors.h"
#include "strata/hybrid/hybrid_layout.h"
#include "strata/io/atomic_output.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/architecture.h"
#include "strata/model/hf_config.h"

namespace strata {
namespace fs = std::filesystem;

Result<Layout> target_layout(const CanonicalView& source, const LayoutOptions& target) {
    STRATA_TRY(ModelSpec spec, mapping_spec_from_hf_config(source.hf_config()));
    STRATA_TRY(const MappingRegistry* registry, mapping_registry_for(spec.model_type));
    if ((target.kind == LayoutKind::HfFused || target.kind == LayoutKind::HfFusedV5) && !spec.is_moe())
        return Status::invalid_argument(std::string(layout_kind_name(target.kind)) + " needs an MoE model");
    return build_layout(spec, source.tensors(), *registry, target);
}

namespace {

std::string hex64(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

Status write_text(const fs::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    f.close();
    if (!f) return Status::io("cannot write").in_file(path.string());
    return Status::ok();
}

// The output checkpoint must open and hold exactly the planned tensors.
Status verify_output(const fs::path& root, const ConversionPlan& plan) {
    auto ckpt = open_checkpoint(root);
    if (!ckpt) return ckpt.status();
    if (ckpt->tensors.size() != plan.tensors.size())
        return Status::internal("written checkpoint holds " + std::to_string(ckpt->tensors.size()) +
                                " tensors, planned " + std::to_string(plan.tensors.size()));
    for (const auto& t : plan.tensors) {
        const TensorInfo* info = ckpt->find(t.name, t.rank);
        if (!info) return Status::internal("planned tensor missing from the written checkpoint").in_tensor(t.name);
        if (info->shape != t.shape || info->dtype != t.dtype)
            return Status::internal("written tensor differs from the plan").in_tensor(t.name);
    }
    return Status::ok();
}

// Megatron-Core 0.20 removed the legacy GroupedMLP (experts.weight1 / weight2; facts
// torch-dist.md): refuse it for 0.20 and later, name the alternative, and warn when the
// version was not said.
Status check_expert_layout_loads(const LayoutOptions& target, ProgressSink& progress) {
    if (target.kind != LayoutKind::Megatron || target.experts != ExpertLayout::LegacyGrouped) return Status::ok();
    if (target.megatron_minor >= 20)
        return Status::invalid_argument(
            "--expert-layout legacy-grouped (GroupedMLP weight1/weight2) does not load into Megatron-Core 0.20 or "
            "later, which removed GroupedMLP: use --expert-layout grouped (TEGroupedMLP) or sequential");
    if (target.megatron_minor == 0)
        progress.log("warning: legacy GroupedMLP experts load only into Megatron-Core <= 0.19 (0.20 removed "
                     "GroupedMLP); --expert-layout grouped loads into every version");
    return Status::ok();
}

}  // namespace

Result<ConvertReport> convert_checkpoint(const ConvertOptions& options, ProgressSink& progress,
                                         const CancelToken& cancel) {
    const auto started = std::chrono::steady_clock::now();
    if (options.out.empty() && !options.dry_run) return Status::invalid_argument("--out is required");
    STRATA_TRY(Checkpoint ckpt, open_checkpoint(options.source));
    STRATA_TRY(CanonicalView view, CanonicalView::open(ckpt, {options.allow_unmapped}));
    STRATA_TRY(const Architecture* arch, architecture_for_model_type(view.layout().spec.model_type));
    STRATA_RETURN_IF_ERROR(arch->check_source_view(view));  // e.g. exact-layout hybrids: x/B copies still tied
    if (options.require_source && view.layout().options.kind != *options.require_source)
        return Status::invalid_argument("the source is a " + describe_layout(view.layout().options) +
                                        " checkpoint; this needs " + layout_kind_name(*options.require_source))
            .in_file(options.source.string());
    LayoutOptions target_options = options.target;
    if (options.require_source == LayoutKind::Megatron && options.target.kind == LayoutKind::Megatron) {
        const auto& so = view.layout().options;
        target_options.experts = options.experts.value_or(so.experts);
        target_options.norms = options.norms.value_or(so.norms);
        target_options.mamba = so.mamba;  // hybrids keep their Mamba rows and names (hybrid_layout.h)
        target_options.conv1d_params = so.conv1d_params;
        target_options.moe_symbol_e = so.moe_symbol_e;
    } else {
        if (options.experts) target_options.experts = *options.experts;
        if (options.norms) target_options.norms = *options.norms;
    }
    STRATA_RETURN_IF_ERROR(check_expert_layout_loads(target_options, progress));
    STRATA_TRY(Layout target, target_layout(view, target_options));
    for (const std::string& line : arch->layout_messages(target)) progress.log(line);  // hybrids: pattern, warnings
    ConvertReport report;
    report.unmapped = view.unmapped();
    STRATA_TRY(report.plan, plan_conversion(view, target, {options.dtype}));
    ConversionPlan& plan = report.plan;
    const bool megatron = options.target.kind == LayoutKind::Megatron;
    const std::string iter_dir = MegatronWriter({}, {}, options.iteration).iteration_folder();
    if (megatron)
        for (auto& f : plan.files) f.path = iter_dir + "/" + f.path;
    if (!options.out.empty()) {  // preflight: a dry run reports the verdict, a real run refuses before writing
        STRATA_TRY(report.space, check_free_space(options.out, planned_output_files(plan)));
        if (!options.dry_run) STRATA_RETURN_IF_ERROR(require_free_space(*report.space, options.force_space));
    }
    if (options.dry_run) return report;

    STRATA_TRY(auto out,
               AtomicOutput::create(options.out, AtomicOutput::Kind::Directory, options.overwrite, {options.source}));
    for (const std::string& line : out.swept()) progress.log(line);
    const fs::path root = out.temp_path();
    nlohmann::json config = view.hf_config();
    if (options.dtype) config["torch_dtype"] = std::string(torch_dtype_name(*options.dtype));

    std::vector<std::unique_ptr<CheckpointWriter>> owned;
    std::vector<CheckpointWriter*> writers;
    const MegatronWriter megatron_writer(
        root, megatron ? megatron_args_for(config, target, options.iteration) : nlohmann::json(), options.iteration);
    if (megatron) {
        for (const auto& f : plan.files) {
            STRATA_TRY(auto w, megatron_writer.rank_file(f.path));
            owned.push_back(std::move(w));
        }
    } else {
        owned.push_back(std::make_unique<SafetensorsWriter>(root));
    }
    for (size_t f = 0; f < owned.size(); ++f) {
        auto st = owned[f]->begin(planned_entries(plan, plan.files[f]));
        if (!st) return st.in_file(plan.files[f].path);
        writers.push_back(owned[f].get());
    }
    STRATA_TRY(report.execution, execute_plan(view.checkpoint(), plan, writers, options.executor, progress, cancel));
    // A source rewritten or truncated while it was read gives an output that matches no
    // state of it: fail before anything is renamed into place.
    for (const auto& f : ckpt.files)
        if (f.map) STRATA_RETURN_IF_ERROR(f.map->check_unchanged());
    for (size_t f = 0; f < owned.size(); ++f) {
        auto st = owned[f]->finish();
        if (!st) return st.in_file(plan.files[f].path);
    }
    STRATA_RETURN_IF_ERROR(cancel.check());
    if (megatron) {
        STRATA_RETURN_IF_ERROR(megatron_writer.finish());
    } else {
        STRATA_RETURN_IF_ERROR(write_hf_config_files(root, config));  // + mamba_config.json for M1 hybrids
    }
    if (options.verify) {
        auto st = verify_output(root, plan);
        if (!st) return st.in_file(root.string());
    }
    nlohmann::ordered_json manifest;
    manifest["strata_manifest"] = 1;
    manifest["source"] = fs::absolute(options.source).string();
    manifest["source_layout"] = plan.source_layout;
    manifest["target_layout"] = plan.target_layout;
    manifest["hash"] = "xxh3-64";
    manifest["tensors"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < plan.tensors.size(); ++i) {
        const auto& t = plan.tensors[i];
        manifest["tensors"].push_back({{"file", plan.files[t.file].path},
                                       {"name", t.name},
                                       {"dtype", std::string(dtype_name(t.dtype))},
                                       {"shape", t.shape},
                                       {"xxh3", hex64(report.execution.hashes[i])}});
    }
    STRATA_RETURN_IF_ERROR(write_text(root / kManifestName, manifest.dump(1) + "\n"));
    STRATA_RETURN_IF_ERROR(cancel.check());
    STRATA_RETURN_IF_ERROR(out.commit());
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace strata
