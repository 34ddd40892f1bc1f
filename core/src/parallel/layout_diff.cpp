// LayoutDiff: resolving the two sides, then the transfer matrix and the change grid.
#include "strata/parallel/layout_diff.h"

#include <charconv>
#include <filesystem>
#include <sstream>

#include "strata/convert/conversion_plan.h"  // describe_layout
#include "strata/convert/megatron_args.h"    // mapping_spec_from_hf_config
#include "strata/formats/format_registry.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/hf_layout.h"
#include "strata/parallel/shard_grid.h"
#include "strata/synth/synth.h"

namespace strata {
namespace {

bool is_bare_plan(const std::string& s) { return s.find('=') != std::string::npos && s.find('@') == std::string::npos; }

Result<LayoutSide> side_of(std::string name, Layout layout) {
    LayoutSide side;
    side.name = std::move(name);
    side.description = describe_layout(layout.options);
    side.shards = shard_layout_of(std::move(layout));
    return side;
}

// The model of a preset: its HF tensors in the config's dtype.
struct PresetModel {
    ModelSpec spec;
    std::vector<TensorEntry> canonical;
    const MappingRegistry* registry = nullptr;
};

Result<PresetModel> preset_model(const SynthPreset& preset) {
    PresetModel m;
    STRATA_TRY(m.spec, mapping_spec_from_hf_config(preset.config));
    STRATA_TRY(m.registry, mapping_registry_for(m.spec.model_type));
    auto dtype = parse_dtype_loose(preset.config.value("torch_dtype", std::string("bfloat16")));
    STRATA_TRY(m.canonical, hf_tensor_entries(preset.config, dtype.value_or(DType::BF16)));
    return m;
}

// `model` under `plan`, keeping its Megatron module choices (experts, norms) when it has them.
Result<Layout> under_plan(const Layout& model, const ParallelPlan& plan) {
    STRATA_TRY(const MappingRegistry* registry, mapping_registry_for(model.spec.model_type));
    LayoutOptions o;
    if (model.options.kind == LayoutKind::Megatron) o = model.options;
    o.kind = LayoutKind::Megatron;
    o.plan = plan;
    o.padded_vocab = 0;
    return build_layout(model.spec, model.canonical, *registry, o);
}

Result<LayoutSide> open_checkpoint_side(const std::string& name, const std::string& path) {
    STRATA_TRY(Checkpoint ckpt, open_checkpoint(path));
    auto owned = std::make_shared<const Checkpoint>(std::move(ckpt));
    auto view = CanonicalView::open(*owned);
    if (!view) return view.status().in_file(path);
    LayoutSide side;
    STRATA_TRY(side, side_of(name, view->layout()));
    side.checkpoint = owned;
    side.view = std::make_shared<const CanonicalView>(std::move(*view));
    return side;
}

}  // namespace

Result<ParallelPlan> parse_plan_spec(std::string_view spec) {
    ParallelPlan plan;
    size_t start = 0;
    bool any = false;
    while (start <= spec.size()) {
        const size_t comma = std::min(spec.find(',', start), spec.size());
        const std::string_view part = spec.substr(start, comma - start);
        start = comma + 1;
        if (part.empty()) continue;
        const size_t eq = part.find('=');
        const std::string_view key = part.substr(0, eq);
        int value = 0;
        const std::string_view text = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (eq == std::string_view::npos || ec != std::errc() || end != text.data() + text.size() || value < 1)
            return Status::invalid_argument("plan '" + std::string(spec) + "': '" + std::string(part) +
                                            "' is not key=N with N >= 1 (e.g. tp=1,pp=4,ep=2)");
        if (key == "tp")
            plan.tp = value;
        else if (key == "pp")
            plan.pp = value;
        else if (key == "ep")
            plan.ep = value;
        else if (key == "etp")
            plan.etp = value;
        else
            return Status::invalid_argument("plan '" + std::string(spec) + "': unknown axis '" + std::string(key) +
                                            "' (tp, pp, ep, etp)");
        any = true;
    }
    if (!any) return Status::invalid_argument("empty plan (e.g. tp=1,pp=4,ep=2)");
    return plan;
}

Result<LayoutSide> resolve_layout_side(const std::string& spec, const LayoutSide* other) {
    if (spec.empty()) return Status::invalid_argument("empty layout: give a checkpoint, a preset or a plan");
    if (is_bare_plan(spec)) {
        if (!other) return Status::invalid_argument("plan '" + spec + "' names no model: give MODEL@" + spec);
        STRATA_TRY(ParallelPlan plan, parse_plan_spec(spec));
        auto layout = under_plan(other->shards.layout, plan);
        if (!layout) return Status(layout.status().code(), "plan " + spec + ": " + layout.status().message());
        return side_of(spec, std::move(*layout));
    }
    const size_t at = spec.rfind('@');
    const bool planned = at != std::string::npos && spec.find('=', at) != std::string::npos;
    const std::string model = planned ? spec.substr(0, at) : spec;
    std::optional<ParallelPlan> plan;
    if (planned) {
        STRATA_TRY(plan, parse_plan_spec(spec.substr(at + 1)));
    }
    if (const SynthPreset* preset = find_synth_preset(model)) {
        STRATA_TRY(PresetModel m, preset_model(*preset));
        LayoutOptions o;
        if (plan) {
            o.kind = LayoutKind::Megatron;
            o.plan = *plan;
        }
        auto layout = build_layout(m.spec, m.canonical, *m.registry, o);
        if (!layout) return Status(layout.status().code(), spec + ": " + layout.status().message());
        return side_of(spec, std::move(*layout));
    }
    std::error_code ec;
    if (!std::filesystem::exists(model, ec)) {
        std::string names;
        for (const auto& p : synth_presets()) names += (names.empty() ? "" : ", ") + p.name;
        return Status::not_found("'" + model + "' is neither a checkpoint path, a preset (" + names +
                                 ") nor a plan such as tp=1,pp=4,ep=2");
    }
    STRATA_TRY(LayoutSide side, open_checkpoint_side(spec, model));
    if (!plan) return side;
    auto layout = under_plan(side.shards.layout, *plan);
    if (!layout) return Status(layout.status().code(), spec + ": " + layout.status().message());
    return side_of(spec, std::move(*layout));
}

Result<LayoutDiff> diff_layouts(const std::string& a, const std::string& b, ProgressSink& progress,
                                const CancelToken& cancel) {
    if (is_bare_plan(a) && is_bare_plan(b))
        return Status::invalid_argument("both layouts are bare plans: name the model on one side (MODEL@" + a + ")");
    LayoutDiff d;
    if (is_bare_plan(a)) {
        STRATA_TRY(d.b, resolve_layout_side(b, nullptr));
        STRATA_TRY(d.a, resolve_layout_side(a, &d.b));
    } else {
        STRATA_TRY(d.a, resolve_layout_side(a, nullptr));
        STRATA_TRY(d.b, resolve_layout_side(b, &d.a));
    }
    STRATA_RETURN_IF_ERROR(cancel.check());
    STRATA_TRY(d.transfer, reshard_transfer(d.a.shards.layout, d.b.shards.layout));
    if (!d.a.view || !d.b.view) {
        d.changes_note = "no change grid: it compares two checkpoints (a plan or preset has no values)";
    } else {
        auto changes = change_grid(*d.a.view, *d.b.view, progress, cancel);
        if (changes)
            d.changes = std::move(*changes);
        else if (changes.status().code() == StatusCode::InvalidArgument)
            d.changes_note = changes.status().message();
        else
            return changes.status();
    }
    return d;
}

namespace {

std::string grid_text(const LayoutSide& side) {
    const ShardGrid g = shard_grid(side.shards);
    std::ostringstream os;
    size_t label_width = 10;
    for (const auto& f : side.shards.layout.files) label_width = std::max(label_width, rank_file_label(f).size());
    auto pad = [](const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; };
    os << std::string(label_width, ' ');
    for (const auto& c : g.columns) os << pad(c, 10);
    os << pad("file", 10) << "\n";
    for (size_t r = 0; r < g.cells.size(); ++r) {
        const std::string label = rank_file_label(side.shards.layout.files[r]);
        os << label << std::string(label_width - label.size(), ' ');
        for (const auto& cell : g.cells[r]) os << pad(cell.bytes ? format_byte_size(cell.bytes) : "-", 10);
        os << pad(format_byte_size(side.shards.ranks[r].bytes), 10) << "\n";
    }
    return os.str();
}

nlohmann::json side_json(const LayoutSide& side) {
    const ShardGrid g = shard_grid(side.shards);
    nlohmann::json rows = nlohmann::json::array(), bytes = nlohmann::json::array();
    for (size_t r = 0; r < g.cells.size(); ++r) {
        rows.push_back(rank_file_label(side.shards.layout.files[r]));
        nlohmann::json row = nlohmann::json::array();
        for (const auto& cell : g.cells[r]) row.push_back(cell.bytes);
        bytes.push_back(std::move(row));
    }
    return {{"name", side.name},
            {"layout", side.description},
            {"checkpoint", side.checkpoint != nullptr},
            {"grid", {{"rows", rows}, {"columns", g.columns}, {"bytes", bytes}}}};
}

}  // namespace

std::string layout_diff_text(const LayoutDiff& d) {
    std::ostringstream os;
    os << "A: " << d.a.name << "  (" << d.a.description << ", " << d.a.shards.ranks.size() << " rank file(s))\n"
       << "B: " << d.b.name << "  (" << d.b.description << ", " << d.b.shards.ranks.size() << " rank file(s))\n\n"
       << "A, bytes per rank file and layer:\n"
       << grid_text(d.a) << "\nB, bytes per rank file and layer:\n"
       << grid_text(d.b) << "\nreshard A -> B, ";
    os << reshard_transfer_text(d.transfer, d.a.shards.layout, d.b.shards.layout);
    if (d.changes)
        os << "\n" << change_grid_text(*d.changes);
    else
        os << "\n" << d.changes_note << "\n";
    return os.str();
}

nlohmann::json layout_diff_json(const LayoutDiff& d, bool slices) {
    return {{"a", side_json(d.a)},
            {"b", side_json(d.b)},
            {"transfer", reshard_transfer_json(d.transfer, d.a.shards.layout, d.b.shards.layout, slices)},
            {"changes", d.changes ? change_grid_json(*d.changes) : nlohmann::json()},
            {"changes_note", d.changes_note}};
}

}  // namespace strata
