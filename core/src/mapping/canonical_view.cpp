// CanonicalView: detect a checkpoint's layout, rebuild it from the config, bind it
// to the stored tensors and check that the stored tensors tile the canonical model.
#include "strata/mapping/canonical_view.h"

#include <algorithm>
#include <cctype>

#include "strata/mapping/box_copy.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/megatron/megatron_rules.h"
#include "strata/mapping/torch_dist_keys.h"
#include "strata/model/architecture.h"
#include "strata/model/hf_layout.h"

namespace strata {
namespace {

bool any_name(const Checkpoint& ckpt, std::string_view needle) {
    for (const auto& t : ckpt.tensors)
        if (t.name.find(needle) != std::string::npos) return true;
    return false;
}

bool is_megatron(const Checkpoint& ckpt) {
    if (ckpt.format == "megatron") return true;
    for (const auto& t : ckpt.tensors)
        if (t.name.rfind("decoder.", 0) == 0 || t.name.rfind("embedding.", 0) == 0) return true;
    return false;
}

bool is_extra_state(std::string_view name) {
    return name.size() >= 12 && name.substr(name.size() - 12) == "_extra_state";
}

// Names with their numbers folded, in first-seen order: "model.visual.blocks.*.attn.qkv.weight
// (x27), model.visual.merger.norm.weight", so a whole unmapped tower fits one error line.
std::string fold_names(const std::vector<std::string>& names, size_t max_patterns = 40) {
    std::vector<std::pair<std::string, size_t>> folded;
    for (const auto& n : names) {
        std::string f;
        for (size_t i = 0; i < n.size();) {
            const bool field = (i == 0 || n[i - 1] == '.') && std::isdigit(static_cast<unsigned char>(n[i]));
            size_t j = i;
            while (field && j < n.size() && std::isdigit(static_cast<unsigned char>(n[j]))) ++j;
            if (field && (j == n.size() || n[j] == '.')) {
                f += '*';
                i = j;
            } else {
                f += n[i++];
            }
        }
        auto it = std::find_if(folded.begin(), folded.end(), [&](const auto& p) { return p.first == f; });
        if (it == folded.end())
            folded.emplace_back(f, 1);
        else
            ++it->second;
    }
    std::string out;
    for (size_t i = 0; i < folded.size() && i < max_patterns; ++i) {
        out += (i ? ", " : "") + folded[i].first;
        if (folded[i].second > 1) out += " (x" + std::to_string(folded[i].second) + ")";
    }
    if (folded.size() > max_patterns) out += ", and " + std::to_string(folded.size() - max_patterns) + " more";
    return out;
}

// The refusal for stored tensors no rule maps: one names itself; several are listed folded.
// The vision tower of a VL wrapper (model.visual.*) is said to be out of scope.
Status unmapped_error(const std::vector<std::string>& names, const std::string& file) {
    const bool vision =
        std::all_of(names.begin(), names.end(), [](const std::string& n) { return n.rfind("model.visual.", 0) == 0; });
    std::string msg;
    if (names.size() == 1 && !vision) {
        msg = "no mapping rule covers this tensor (use --allow-unmapped to skip it)";
    } else {
        msg = std::to_string(names.size()) + " stored tensors no mapping rule covers";
        if (vision) msg += " (the vision tower: Strata converts the language model only)";
        msg += ": " + fold_names(names) + " (use --allow-unmapped to skip them)";
    }
    return Status::invalid_argument(msg).in_tensor(names.front()).in_file(file);
}

}  // namespace

Result<DetectedLayout> detect_layout(const Checkpoint& ckpt) {
    if (is_megatron_torch_dist(ckpt)) {  // global tensors: the layout of their legacy TP1 PP1 view
        STRATA_TRY(Checkpoint legacy, legacy_view_of_torch_dist(ckpt));
        return detect_layout(legacy);
    }
    DetectedLayout d;
    if (is_megatron(ckpt)) {
        d.options.kind = LayoutKind::Megatron;
        if (!ckpt.config.is_object())
            return Status::invalid_argument("Megatron checkpoint has no args; Strata needs them for the layout")
                .in_file(ckpt.path.string());
        STRATA_TRY(d.options.plan, parallel_plan_from_megatron_args(ckpt.config));
        STRATA_TRY(const Architecture* arch, architecture_for_megatron_args(ckpt.config));
        STRATA_TRY(d.hf_config, arch->hf_config_from_megatron_args(ckpt.config));
        d.options.experts = any_name(ckpt, ".experts.weight1")          ? ExpertLayout::LegacyGrouped
                            : any_name(ckpt, ".experts.local_experts.") ? ExpertLayout::Sequential
                                                                        : ExpertLayout::Grouped;
        d.options.norms = any_name(ckpt, ".input_layernorm.weight") ? NormLayout::Local : NormLayout::Te;
        // Megatron-Core >= 0.19 names the Mamba mixer's conv parameters conv1d_weight / conv1d_bias.
        d.options.conv1d_params = any_name(ckpt, ".mixer.conv1d_weight");
        if (ckpt.config.contains("padded_vocab_size") && ckpt.config["padded_vocab_size"].is_number_integer())
            d.options.padded_vocab = ckpt.config["padded_vocab_size"].get<uint64_t>();
        STRATA_RETURN_IF_ERROR(arch->detect_megatron_options(ckpt, d.options));
        return d;
    }
    if (!ckpt.config.is_object())
        return Status::invalid_argument("no config.json beside the checkpoint; Strata needs it to know the model")
            .in_file(ckpt.path.string());
    d.hf_config = ckpt.config;
    d.options.kind = any_name(ckpt, ".mlp.experts.gate_up_proj") ? LayoutKind::HfFusedV5
                     : any_name(ckpt, ".mlp.experts.gate_proj")  ? LayoutKind::HfFused
                                                                 : LayoutKind::Hf;
    // An unknown model_type is refused later, by the mapping spec, with the list of known ones.
    if (auto arch = architecture_for_hf_config(ckpt.config))
        STRATA_RETURN_IF_ERROR((*arch)->detect_hf_options(ckpt, d.options));
    return d;
}

Result<CanonicalView> CanonicalView::open(const Checkpoint& source, const CanonicalViewOptions& options) {
    std::shared_ptr<const Checkpoint> owned;
    if (source.format == "torch_dist" && !is_megatron_torch_dist(source))  // FSDP / plain DCP: no model
        return Status::unsupported("a PyTorch DCP checkpoint without Megatron model keys has no canonical view; "
                                   "compare it by stored name (strata diff --stored-names; Python: stored_names=True)")
            .in_file(source.path.string());
    if (is_megatron_torch_dist(source)) {  // read through its legacy TP1 PP1 view (torch_dist_keys.h)
        STRATA_TRY(Checkpoint legacy, legacy_view_of_torch_dist(source));
        owned = std::make_shared<const Checkpoint>(std::move(legacy));
    }
    const Checkpoint& ckpt = owned ? *owned : source;
    STRATA_TRY(DetectedLayout detected, detect_layout(ckpt));
    if (!detected.hf_config.contains("model_type") || !detected.hf_config["model_type"].is_string())
        return Status::invalid_argument("config.json has no 'model_type'");
    STRATA_TRY(const Architecture* arch, architecture_for_hf_config(detected.hf_config));
    STRATA_TRY(ModelSpec spec, arch->mapping_spec_from_hf_config(detected.hf_config));
    STRATA_TRY(const MappingRegistry* registry, mapping_registry_for(spec.model_type));
    auto dtype = parse_dtype_loose(detected.hf_config.value("torch_dtype", std::string("bfloat16")));
    STRATA_TRY(auto canonical, hf_tensor_entries(detected.hf_config, dtype.value_or(DType::BF16)));
    CanonicalView view;
    view.owned_ = owned;
    view.ckpt_ = &ckpt;
    view.hf_config_ = detected.hf_config;
    STRATA_TRY(view.layout_, build_layout(spec, canonical, *registry, detected.options));
    Layout& layout = view.layout_;

    // Bind every stored tensor the layout expects.
    std::vector<char> used(ckpt.tensors.size(), 0);
    view.binding_.resize(layout.tensors.size());
    for (size_t i = 0; i < layout.tensors.size(); ++i) {
        auto& lt = layout.tensors[i];
        const TensorInfo* info = ckpt.find(lt.name, lt.rank);
        const std::string where = layout.files[lt.file].path;
        if (!info) {
            return Status::not_found("the " + std::string(layout_kind_name(detected.options.kind)) +
                                     " layout of this model needs this tensor, but the checkpoint lacks it")
                .in_tensor(lt.name)
                .in_file(where.empty() ? ckpt.path.string() : where);
        }
        if (info->shape != lt.shape)
            return Status::corrupt("shape " + shape_to_string(info->shape) + ", the config implies " +
                                   shape_to_string(lt.shape))
                .in_tensor(lt.name)
                .in_file(ckpt.file_of(*info).display_name);
        lt.dtype = info->dtype;
        const auto idx = static_cast<uint32_t>(info - ckpt.tensors.data());
        view.binding_[i] = idx;
        used[idx] = 1;
    }
    std::vector<std::string> refused;
    std::string refused_file;
    for (size_t i = 0; i < ckpt.tensors.size(); ++i) {
        if (used[i]) continue;
        const auto& t = ckpt.tensors[i];
        if (!is_extra_state(t.name) && !options.allow_unmapped) {
            if (refused.empty()) refused_file = ckpt.file_of(t).display_name;
            refused.push_back(t.name);
        }
        view.unmapped_.push_back(t.name);
    }
    if (!refused.empty()) return unmapped_error(refused, refused_file);

    // One replica of each box; the primaries must tile each canonical tensor exactly.
    const auto by_canonical = layout.pieces_by_canonical();
    view.primary_.resize(layout.canonical.size());
    for (size_t c = 0; c < layout.canonical.size(); ++c) {
        auto& prim = view.primary_[c];
        uint64_t covered = 0;
        for (uint32_t p : by_canonical[c]) {
            const Piece& piece = layout.pieces[p];
            bool duplicate = false;
            for (uint32_t q : prim) {
                const Piece& other = layout.pieces[q];
                if (other.box == piece.box) {
                    duplicate = true;
                    break;
                }
                if (intersect(other.box, piece.box))
                    return Status::internal("layout pieces overlap").in_tensor(layout.canonical[c].name);
            }
            if (duplicate) continue;
            prim.push_back(p);
            covered += piece.box.numel();
        }
        const auto& entry = layout.canonical[c];
        if (covered != entry.byte_size() / std::max<uint64_t>(1, dtype_size(entry.dtype)) && !prim.empty() &&
            covered != *numel(entry.shape))
            return Status::internal("stored tensors cover " + std::to_string(covered) + " of " +
                                    std::to_string(*numel(entry.shape)) + " elements")
                .in_tensor(entry.name);
        if (prim.empty()) return Status::not_found("no stored tensor holds this tensor").in_tensor(entry.name);
        // The canonical dtype is the stored one.
        layout.canonical[c].dtype = layout.tensors[layout.pieces[prim[0]].tensor].dtype;
    }
    return view;
}

Status CanonicalView::read_canonical(std::string_view name, std::span<std::byte> out) const {
    const TensorEntry* entry = find(name);
    if (!entry) return Status::not_found("not a tensor of this model").in_tensor(std::string(name));
    if (out.size() != entry->byte_size())
        return Status::invalid_argument("buffer of " + std::to_string(out.size()) + " bytes for a tensor of " +
                                        std::to_string(entry->byte_size()))
            .in_tensor(entry->name);
    const auto c = static_cast<uint32_t>(entry - layout_.canonical.data());
    std::vector<int64_t> strides(entry->shape.size(), 1);
    for (size_t d = entry->shape.size(); d-- > 1;) strides[d - 1] = strides[d] * static_cast<int64_t>(entry->shape[d]);
    for (uint32_t p : primary_[c]) {
        const Piece& piece = layout_.pieces[p];
        const TensorInfo& info = ckpt_->tensors[binding_[piece.tensor]];
        CopyOp op;
        op.src_offset = piece.offset;
        op.src_strides = piece.strides;
        op.extent = piece.box.extent;
        op.dst_strides = strides;
        for (size_t d = 0; d < strides.size(); ++d)
            op.dst_offset += piece.box.start[d] * static_cast<uint64_t>(strides[d]);
        op.add = -piece.add;
        std::vector<std::byte> owned;
        std::span<const std::byte> src;
        if (info.location.is_contiguous()) {
            STRATA_TRY(src, ckpt_->contiguous_bytes(info));
        } else {
            STRATA_TRY(owned, ckpt_->read(info));
            src = owned;
        }
        auto st = apply_copy(src, info.dtype, op, out, entry->dtype);
        if (!st) return st.in_tensor(entry->name);
        // Streaming readers (forward, diff) touch each stored tensor about once: unmap its
        // pages so resident memory stays near one tensor; a later read faults them back in
        // from the page cache.
        if (info.location.is_contiguous())
            ckpt_->file_of(info).map->advise_done(info.location.offset, info.location.nbytes);
    }
    return Status::ok();
}

Result<std::vector<std::byte>> CanonicalView::read_canonical(std::string_view name) const {
    const TensorEntry* entry = find(name);
    if (!entry) return Status::not_found("not a tensor of this model").in_tensor(std::string(name));
    std::vector<std::byte> out(entry->byte_size());
    STRATA_RETURN_IF_ERROR(read_canonical(name, out));
    return out;
}

}  // namespace strata
