// convert_checkpoint: open -> canonical view -> target layout -> plan -> execute into
// an AtomicOutput folder -> verify -> manifest -> rename.
#include "strata/convert/convert.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "strata/convert/megatron_args.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/megatron.h"
#include "strata/formats/megatron_writer.h"
#include "strata/formats/safetensors.h"
#include "strata/formats/torch_dist_writer.h"
#include "strata/hybrid/hybrid_layout.h"
#include "strata/io/atomic_output.h"
#include "strata/io/small_file.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/mapping/torch_dist_keys.h"
#include "strata/mapping/torch_dist_layout.h"
#include "strata/model/architecture.h"
#include "strata/model/hf_config.h"

namespace strata {
namespace fs = std::filesystem;

const char* megatron_ckpt_format_name(MegatronCkptFormat format) {
    return format == MegatronCkptFormat::TorchDist ? "torch_dist" : "torch";
}

std::optional<MegatronCkptFormat> parse_megatron_ckpt_format(std::string_view name) {
    if (name == "torch") return MegatronCkptFormat::Torch;
    if (name == "torch_dist") return MegatronCkptFormat::TorchDist;
    return std::nullopt;
}

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

// A torch_dist output must open, hold every planned chunk under its key and global shape, and
// read back as the global legacy tensors of the model (the names, shapes and dtypes of `global`).
Status verify_torch_dist_output(const fs::path& root, const ConversionPlan& plan, const TorchDistLayout& td,
                                const Layout& global) {
    STRATA_TRY(Checkpoint ckpt, open_checkpoint(root));
    for (size_t i = 0; i < plan.tensors.size(); ++i) {
        const TorchDistChunk& c = td.chunks[i];
        const TensorInfo* info = ckpt.find(c.key);
        if (!info || info->shape != c.global_shape || info->dtype != plan.tensors[i].dtype)
            return Status::internal("written key missing or of another shape or dtype").in_tensor(c.key);
        const auto& chunks = info->location.chunks;
        const bool whole = chunks.empty() && plan.tensors[i].shape == c.global_shape;
        const bool found = whole || std::any_of(chunks.begin(), chunks.end(), [&](const TensorChunk& k) {
                               return k.offsets == c.offsets && k.sizes == plan.tensors[i].shape;
                           });
        if (!found) return Status::internal("planned chunk missing from the written checkpoint").in_tensor(plan.tensors[i].name);
    }
    STRATA_TRY(Checkpoint legacy, legacy_view_of_torch_dist(ckpt));
    if (legacy.tensors.size() != global.tensors.size())
        return Status::internal("written checkpoint reads as " + std::to_string(legacy.tensors.size()) +
                                " global tensors, planned " + std::to_string(global.tensors.size()));
    for (const LayoutTensor& t : global.tensors) {
        const TensorInfo* info = legacy.find(t.name);
        if (!info || info->shape != t.shape)
            return Status::internal("written checkpoint does not read back as the planned global tensor").in_tensor(t.name);
    }
    return Status::ok();
}

// The torch_dist output of a Megatron target layout (mapping/torch_dist_layout.h), built from
// the source view at TP = PP = EP = ETP = 1 with the target's padded vocab.
struct TorchDistTarget {
    Layout global;
    TorchDistLayout td;
};

Result<TorchDistTarget> torch_dist_target(const CanonicalView& view, const Layout& at_plan, NormLayout spec_norms) {
    LayoutOptions g = at_plan.options;
    g.plan.tp = g.plan.pp = g.plan.ep = g.plan.etp = g.plan.vpp = 1;
    g.plan.first_stage_layers.reset();
    g.plan.last_stage_layers.reset();
    g.padded_vocab = at_plan.padded_vocab;
    TorchDistTarget out;
    STRATA_TRY(out.global, target_layout(view, g));
    STRATA_TRY(TorchDistNaming naming, torch_dist_naming(at_plan.spec, at_plan.options, spec_norms));
    STRATA_TRY(out.td, torch_dist_layout(at_plan, out.global, naming));
    return out;
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
    const bool megatron = options.target.kind == LayoutKind::Megatron;
    const bool torch_dist = megatron && options.ckpt_format == MegatronCkptFormat::TorchDist;
    const NormLayout spec_norms = target_options.norms;  // torch_dist: the layer spec (TE or local)
    const ExpertLayout expert_modules = target_options.experts;
    if (torch_dist) {
        if (target_options.experts == ExpertLayout::LegacyGrouped)
            return Status::invalid_argument(
                "--expert-layout legacy-grouped is a legacy-format layout (GroupedMLP weight1/weight2); torch_dist "
                "stores grouped and sequential experts alike: use --expert-layout grouped or sequential");
        // torch_dist keys use the TE names and per-expert tensors whatever the module spec.
        target_options.experts = ExpertLayout::Grouped;
        target_options.norms = NormLayout::Te;
    } else {
        STRATA_RETURN_IF_ERROR(check_expert_layout_loads(target_options, progress));
    }
    STRATA_TRY(Layout target, target_layout(view, target_options));
    for (const std::string& line : arch->layout_messages(target)) progress.log(line);  // hybrids: pattern, warnings
    std::optional<TorchDistTarget> dist;
    if (torch_dist) {
        STRATA_TRY(dist, torch_dist_target(view, target, spec_norms));
    }
    ConvertReport report;
    report.unmapped = view.unmapped();
    STRATA_TRY(report.plan, plan_conversion(view, dist ? dist->td.layout : target, {options.dtype}));
    ConversionPlan& plan = report.plan;
    if (dist) {
        const ParallelPlan& p = target.options.plan;
        plan.target_layout = "megatron torch_dist tp" + std::to_string(p.tp) + " pp" + std::to_string(p.pp) + " ep" +
                             std::to_string(p.ep) + " etp" + std::to_string(p.expert_tp()) + " (" +
                             (spec_norms == NormLayout::Te ? "TE" : "local") + " layer spec)";
    }
    const std::string iter_dir = megatron_checkpoint_folder(options.iteration);
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
    nlohmann::json args = megatron ? megatron_args_for(config, target, options.iteration) : nlohmann::json();
    if (torch_dist) {
        args["ckpt_format"] = "torch_dist";
        args["use_dist_ckpt"] = true;
        args["transformer_impl"] = spec_norms == NormLayout::Te ? "transformer_engine" : "local";
        if (args.contains("moe_grouped_gemm")) args["moe_grouped_gemm"] = expert_modules != ExpertLayout::Sequential;
    }
    const MegatronWriter megatron_writer(root, args, options.iteration);
    TorchDistWriter dist_writer(root, args, options.iteration);
    if (dist) {
        for (size_t f = 0; f < plan.files.size(); ++f) {
            std::vector<TorchDistChunk> chunks;
            for (uint32_t ti : plan.files[f].tensors) chunks.push_back(dist->td.chunks[ti]);
            STRATA_TRY(auto w, dist_writer.rank_file(plan.files[f].path, std::move(chunks), dist->td.extra_states[f],
                                                     /*common_state=*/f == 0));
            owned.push_back(std::move(w));
        }
    } else if (megatron) {
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
    if (dist) {
        STRATA_RETURN_IF_ERROR(dist_writer.finish());
    } else if (megatron) {
        STRATA_RETURN_IF_ERROR(megatron_writer.finish());
    } else {
        STRATA_RETURN_IF_ERROR(write_hf_config_files(root, config));  // + mamba_config.json for M1 hybrids
    }
    if (options.verify) {
        auto st = dist ? verify_torch_dist_output(root, plan, dist->td, dist->global) : verify_output(root, plan);
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
    STRATA_RETURN_IF_ERROR(write_small_file(root / kManifestName, manifest.dump(1) + "\n"));
    STRATA_RETURN_IF_ERROR(cancel.check());
    STRATA_RETURN_IF_ERROR(out.commit());
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace strata
