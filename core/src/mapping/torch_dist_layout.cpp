// Rank tensors -> chunks of global tensors (mapping/torch_dist_layout.h). Coordinates are
// worked in int64 so a piece's element strides can be turned into steps along the stored
// tensor's axes; a piece whose image in the global tensor is not a translated box is refused.
#include "strata/mapping/torch_dist_layout.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "strata/megatron/megatron_rules.h"

namespace strata {
namespace {

using Coord = std::vector<int64_t>;

Coord unravel(int64_t offset, const Shape& shape) {
    Coord c(shape.size(), 0);
    for (size_t d = shape.size(); d-- > 0;) {
        const auto n = static_cast<int64_t>(shape[d]);
        c[d] = n ? offset % n : 0;
        offset = n ? offset / n : 0;
    }
    return c;
}

// Element offset of a coordinate step in a row-major tensor of `shape`.
int64_t ravel(const Coord& c, const Shape& shape) {
    int64_t offset = 0, stride = 1;
    for (size_t d = shape.size(); d-- > 0;) {
        offset += c[d] * stride;
        stride *= static_cast<int64_t>(shape[d]);
    }
    return offset;
}

Coord minus(const Coord& a, const Coord& b) {
    Coord c(a.size());
    for (size_t i = 0; i < a.size(); ++i) c[i] = a[i] - b[i];
    return c;
}

// Element offset, in a piece's stored tensor, of canonical position `at` inside its box.
int64_t stored_offset(const Piece& p, const std::vector<uint64_t>& at) {
    auto offset = static_cast<int64_t>(p.offset);
    for (size_t d = 0; d < at.size(); ++d) offset += static_cast<int64_t>(at[d] - p.box.start[d]) * p.strides[d];
    return offset;
}

// The part of a rank-tensor piece that lands in one global tensor.
struct SubPiece {
    uint32_t canonical = 0;
    Box box;
    Coord start;               // in the rank tensor
    std::vector<Coord> steps;  // per canonical dimension, in the rank tensor's axes
    float add = 0.0f;
};

// Sub-pieces that share one translation into one global tensor: one chunk.
struct Group {
    uint32_t global = 0;
    Coord delta;  // global coordinate - rank coordinate
    Coord lo, hi;  // bounding box in the rank tensor (hi exclusive)
    uint64_t elements = 0;
    std::vector<SubPiece> parts;
};

Status add_sub_piece(const Layout& at_plan, const Layout& global, const Piece& p, const Piece& q, const Box& inter,
                     std::vector<Group>& groups) {
    const Shape& ts = at_plan.tensors[p.tensor].shape;
    const Shape& gs = global.tensors[q.tensor].shape;
    const std::string& name = at_plan.tensors[p.tensor].name;
    if (ts.size() != gs.size())
        return Status::internal("rank tensor and global tensor differ in rank (" + global.tensors[q.tensor].name + ")")
            .in_tensor(name);
    const int64_t ot = stored_offset(p, inter.start), og = stored_offset(q, inter.start);
    SubPiece sp{p.canonical, inter, unravel(ot, ts), {}, p.add};
    const Coord cg = unravel(og, gs);
    Coord hi = sp.start, lo = sp.start;
    for (size_t d = 0; d < inter.start.size(); ++d) {
        Coord step(ts.size(), 0);
        if (inter.extent[d] > 1) {
            step = minus(unravel(ot + p.strides[d], ts), sp.start);
            if (step != minus(unravel(og + q.strides[d], gs), cg))
                return Status::unsupported("its piece of '" + at_plan.canonical[p.canonical].name +
                                           "' is not a shifted box of '" + global.tensors[q.tensor].name +
                                           "', which a torch_dist chunk needs")
                    .in_tensor(name);
            for (size_t k = 0; k < ts.size(); ++k) {
                const int64_t reach = step[k] * static_cast<int64_t>(inter.extent[d] - 1);
                (reach > 0 ? hi : lo)[k] += reach;
            }
        }
        sp.steps.push_back(std::move(step));
    }
    for (auto& h : hi) ++h;
    const Coord delta = minus(cg, sp.start);
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const Group& x) { return x.global == q.tensor && x.delta == delta; });
    if (g == groups.end()) {
        groups.push_back({q.tensor, delta, lo, hi, 0, {}});
        g = groups.end() - 1;
    }
    for (size_t k = 0; k < ts.size(); ++k) {
        g->lo[k] = std::min(g->lo[k], lo[k]);
        g->hi[k] = std::max(g->hi[k], hi[k]);
    }
    g->elements += inter.numel();
    g->parts.push_back(std::move(sp));
    return Status::ok();
}

uint64_t box_numel(const Coord& lo, const Coord& hi) {
    uint64_t n = 1;
    for (size_t k = 0; k < lo.size(); ++k) n *= static_cast<uint64_t>(hi[k] - lo[k]);
    return n;
}

// A rank tensor's groups as chunks: one group covers the whole tensor (vocab padding rows
// included); several must tile it.
Status check_tiling(const LayoutTensor& t, std::vector<Group>& groups) {
    if (groups.size() == 1) {
        groups[0].lo.assign(t.shape.size(), 0);
        groups[0].hi.assign(t.shape.begin(), t.shape.end());
        return Status::ok();
    }
    uint64_t total = 0;
    for (const Group& g : groups) {
        if (g.elements != box_numel(g.lo, g.hi))
            return Status::unsupported("its pieces do not form boxes of the global tensors, which torch_dist chunks "
                                       "need")
                .in_tensor(t.name);
        total += g.elements;
    }
    uint64_t want = 1;
    for (auto d : t.shape) want *= d;
    if (total != want)
        return Status::unsupported("its chunks leave " + std::to_string(want - total) + " elements unsaved")
            .in_tensor(t.name);
    return Status::ok();
}

// The part of a sub-piece whose rows (axis 0 of the rank tensor) fall in [lo, hi); nullopt when
// none do. Rows must follow one canonical dimension (any step) or none.
Result<std::optional<SubPiece>> rows_of(const SubPiece& sp, int64_t lo, int64_t hi, const std::string& tensor) {
    int along = -1;
    for (size_t d = 0; d < sp.steps.size(); ++d)
        if (sp.steps[d][0] != 0) {
            if (along >= 0 || sp.steps[d][0] < 0)
                return Status::unsupported("rows that follow two canonical dimensions cannot be split into sections")
                    .in_tensor(tensor);
            along = static_cast<int>(d);
        }
    if (along < 0) {
        if (sp.start[0] < lo || sp.start[0] >= hi) return std::optional<SubPiece>{};
        return std::optional<SubPiece>{sp};
    }
    const int64_t k = sp.steps[along][0], n = static_cast<int64_t>(sp.box.extent[along]);
    const int64_t first = std::max<int64_t>(0, (lo - sp.start[0] + k - 1) / k);
    const int64_t last = std::min<int64_t>(n - 1, (hi - 1 - sp.start[0]) >= 0 ? (hi - 1 - sp.start[0]) / k : -1);
    if (first > last) return std::optional<SubPiece>{};
    SubPiece part = sp;
    part.box.start[along] += static_cast<uint64_t>(first);
    part.box.extent[along] = static_cast<uint64_t>(last - first + 1);
    for (size_t a = 0; a < part.start.size(); ++a) part.start[a] += first * sp.steps[along][a];
    return std::optional<SubPiece>{std::move(part)};
}

struct Builder {
    const Layout& at_plan;
    const Layout& global;
    const TorchDistNaming& naming;
    TorchDistLayout out;
    std::vector<int> file_of;  // at_plan file -> out file (-1: none yet)
    std::map<std::pair<std::string, Shape>, Shape> saved;  // (key, offsets) -> sizes
    std::set<std::string> objects;

    uint32_t out_file(uint32_t plan_file) {
        if (file_of[plan_file] < 0) {
            const RankCoord& r = at_plan.files[plan_file].rank;
            const ParallelPlan& p = at_plan.options.plan;
            file_of[plan_file] = static_cast<int>(out.layout.files.size());
            out.layout.files.push_back(
                {"__" + std::to_string(megatron_global_rank(r.tp, r.pp, r.ep, p.tp, p.ep)) + "_0.distcp", r});
            out.extra_states.emplace_back();
        }
        return static_cast<uint32_t>(file_of[plan_file]);
    }

    Status add_group(const LayoutTensor& t, const Group& g) {
        const LayoutTensor& gt = global.tensors[g.global];
        auto place = torch_dist_place_of_legacy(gt.name, gt.shape, naming);
        if (!place) return place.status().in_tensor(t.name);
        if (place->sections.empty()) return add_chunk(t, g, *place);
        // Each section of the global rows this group covers is a chunk of its own key.
        uint64_t section_start = 0;
        for (const TorchDistSection& section : place->sections) {
            const int64_t from = std::max<int64_t>(g.lo[0], static_cast<int64_t>(section_start) - g.delta[0]);
            const int64_t to = std::min<int64_t>(g.hi[0], static_cast<int64_t>(section_start + section.rows) - g.delta[0]);
            if (from < to) {
                Group part = g;
                part.lo[0] = from;
                part.hi[0] = to;
                part.parts.clear();
                uint64_t elements = 0;
                for (const SubPiece& sp : g.parts) {
                    STRATA_TRY(auto rows, rows_of(sp, from, to, t.name));
                    if (!rows) continue;
                    elements += rows->box.numel();
                    part.parts.push_back(std::move(*rows));
                }
                if (elements != box_numel(part.lo, part.hi))
                    return Status::unsupported("its rows do not split into the '" + section.name + "' section's box")
                        .in_tensor(t.name);
                part.elements = elements;
                STRATA_RETURN_IF_ERROR(add_chunk(t, part, *place, &section, section_start));
            }
            section_start += section.rows;
        }
        if (section_start != gt.shape[0])
            return Status::internal("the sections do not add up to the rows of '" + gt.name + "'").in_tensor(t.name);
        return Status::ok();
    }

    // One chunk of global tensor g.global; `section` (Mamba in_proj / conv1d) makes it a chunk
    // of that section's own key, rows counted from the section's start.
    Status add_chunk(const LayoutTensor& t, const Group& g, const TorchDistPlace& place,
                     const TorchDistSection* section = nullptr, uint64_t section_start = 0) {
        const LayoutTensor& gt = global.tensors[g.global];
        TorchDistChunk chunk{section ? place.key + "." + section->name : place.key, {}, {}};
        Shape sizes;
        for (size_t i = 0; i < place.leading.size(); ++i) {
            chunk.global_shape.push_back(place.leading_size[i]);
            chunk.offsets.push_back(place.leading[i]);
            sizes.push_back(1);
        }
        Shape extent;
        for (size_t k = 0; k < t.shape.size(); ++k) {
            const int64_t start = g.lo[k] + g.delta[k], end = g.hi[k] + g.delta[k];
            if (start < 0 || end > static_cast<int64_t>(gt.shape[k]))
                return Status::internal("a chunk reaches outside '" + gt.name + "' " + shape_to_string(gt.shape))
                    .in_tensor(t.name);
            const bool rows = section && k == 0;
            chunk.global_shape.push_back(rows ? section->rows : gt.shape[k]);
            chunk.offsets.push_back(static_cast<uint64_t>(start) - (rows ? section_start : 0));
            extent.push_back(static_cast<uint64_t>(g.hi[k] - g.lo[k]));
            sizes.push_back(extent.back());
        }
        auto [it, fresh] = saved.emplace(std::make_pair(chunk.key, chunk.offsets), sizes);
        if (!fresh) {  // a replica: saved once, by the first rank that holds it
            if (it->second != sizes)
                return Status::internal("overlapping chunks of different sizes").in_tensor(chunk.key);
            return Status::ok();
        }
        const uint32_t file = out_file(t.file);
        const auto index = static_cast<uint32_t>(out.layout.tensors.size());
        Box box;
        box.start = chunk.offsets;
        box.extent = sizes;
        out.layout.tensors.push_back({chunk.key + box_to_string(box), t.rank, t.dtype, sizes, file});
        for (const SubPiece& sp : g.parts) {
            Piece piece{sp.canonical, sp.box, index, static_cast<uint64_t>(ravel(minus(sp.start, g.lo), extent)), {},
                        sp.add};
            for (const Coord& step : sp.steps) piece.strides.push_back(ravel(step, extent));
            out.layout.pieces.push_back(std::move(piece));
        }
        for (const std::string& o : place.extra_states)
            if (objects.insert(o).second) out.extra_states[file].push_back(o);
        out.chunks.push_back(std::move(chunk));
        return Status::ok();
    }
};

// A rank tensor no canonical element reaches: vocab padding rows only (a TP rank past the real
// vocab, as at vocab 256 padded to 512 for TP4). Vocab-parallel tensors split their rows evenly
// by TP rank (VocabParallelEmbedding, the output layer), so its rows sit at tp · rows in the
// global tensor of the same name. A tied output layer's copy of them is the embedding's.
Result<std::vector<Group>> padding_only(const Layout& at_plan, const Layout& global, const LayoutTensor& t) {
    const auto g = std::find_if(global.tensors.begin(), global.tensors.end(),
                                [&](const LayoutTensor& x) { return x.name == t.name; });
    if (g == global.tensors.end()) {
        if (at_plan.spec.tied_embeddings && t.name == "output_layer.weight") return std::vector<Group>{};
        return Status::internal("no global tensor holds it").in_tensor(t.name);
    }
    const auto tp = static_cast<uint64_t>(at_plan.options.plan.tp);
    if (t.shape.empty() || g->shape.size() != t.shape.size() || g->shape[0] != t.shape[0] * tp ||
        !std::equal(t.shape.begin() + 1, t.shape.end(), g->shape.begin() + 1))
        return Status::internal("a tensor of padding only that is not a vocab-parallel slice").in_tensor(t.name);
    Group group{static_cast<uint32_t>(g - global.tensors.begin()), Coord(t.shape.size(), 0), {}, {}, 0, {}};
    group.delta[0] = static_cast<int64_t>(t.rank.tp * t.shape[0]);
    return std::vector<Group>{std::move(group)};
}

}  // namespace

Result<TorchDistNaming> torch_dist_naming(const ModelSpec& spec, const LayoutOptions& options, NormLayout spec_norms) {
    TorchDistNaming n;
    n.layers = spec.layers;
    n.experts = spec.experts;
    n.local_spec = spec_norms == NormLayout::Local;
    if (spec.has_mixer(MixerKind::GatedDeltaNet))
        return Status::unsupported(
            "torch_dist output of Gated DeltaNet hybrids (their in_proj / conv1d torch_dist sub-keys) is not written "
            "yet; write the legacy format (--ckpt-format torch)");
    if (spec.mtp_layers)
        return Status::unsupported("torch_dist output of MTP layers is not written yet; write --ckpt-format torch");
    const bool hybrid = spec.has_mixer(MixerKind::Mamba2) || !spec.megatron_pattern.empty();
    if (hybrid) {
        // Megatron's stock MambaMixer rows [z|x|B|C|dt]; M1's own rows (KV-sized x and B) load only
        // into M1's mixer, whose torch_dist keys are unknown.
        if (spec.mamba.x_db != 0 && options.mamba == MambaLayout::M1)
            return Status::unsupported(
                "torch_dist output of M1's own Mamba rows (KV-sized x and B) is not written: Megatron's MambaMixer "
                "cannot load them; use --mamba-layout exact, or write --ckpt-format torch");
        // HybridStack keys every layer on its own (facts torch-dist.md §1.5).
        n.stacked = false;
        n.mamba_d_inner = spec.mamba.d_inner;
        n.mamba_heads = spec.mamba.n_heads;
        return n;
    }
    std::vector<bool> moe;
    for (const LayerKind& k : spec.layer_kinds) moe.push_back(k.mlp == MlpKind::MoE);
    if (moe.empty()) moe.assign(spec.layers, spec.is_moe());
    // Megatron stacks homogeneous layers along a leading axis, and keys layers one by one
    // otherwise (moe_layer_freq other than 1).
    n.stacked = std::all_of(moe.begin(), moe.end(), [&](bool m) { return m == moe.front(); });
    n.moe_layer = [moe](uint64_t l) { return l < moe.size() && moe[l]; };
    return n;
}

Result<TorchDistLayout> torch_dist_layout(const Layout& at_plan, const Layout& global, const TorchDistNaming& naming) {
    const ParallelPlan& gp = global.options.plan;
    if (at_plan.options.kind != LayoutKind::Megatron || global.options.kind != LayoutKind::Megatron ||
        gp.tp != 1 || gp.pp != 1 || gp.ep != 1 || gp.expert_tp() != 1 || global.canonical.size() != at_plan.canonical.size())
        return Status::internal("torch_dist_layout needs a Megatron layout and its TP1 PP1 EP1 global layout");
    Builder b{at_plan, global, naming, {}, std::vector<int>(at_plan.files.size(), -1), {}, {}};
    b.out.layout.options = at_plan.options;
    b.out.layout.spec = at_plan.spec;
    b.out.layout.canonical = at_plan.canonical;
    b.out.layout.padded_vocab = at_plan.padded_vocab;
    b.out.layout.stage_layers = at_plan.stage_layers;
    const auto global_pieces = global.pieces_by_canonical();
    // Global pieces are listed by offset; a duplicated box's copies are taken in that order.
    std::map<std::tuple<uint32_t, Shape, Shape, int, int>, size_t> copy_seen;
    size_t pi = 0;
    for (uint32_t ti = 0; ti < at_plan.tensors.size(); ++ti) {
        const LayoutTensor& t = at_plan.tensors[ti];
        std::vector<Group> groups;
        for (; pi < at_plan.pieces.size() && at_plan.pieces[pi].tensor == ti; ++pi) {
            const Piece& p = at_plan.pieces[pi];
            // A canonical box stored several times in the global tensor (the exact Mamba layout
            // repeats x and B per head): the k-th copy a stage's TP ranks hold, in rank order, is
            // the k-th copy in the global tensor.
            std::map<std::pair<Shape, Shape>, std::vector<uint32_t>> copies;
            for (uint32_t qi : global_pieces[p.canonical]) {
                const Piece& q = global.pieces[qi];
                if (intersect(p.box, q.box)) copies[{q.box.start, q.box.extent}].push_back(qi);
            }
            for (auto& [box, candidates] : copies) {
                uint32_t qi = candidates.front();
                if (candidates.size() > 1) {
                    const auto key = std::make_tuple(p.canonical, box.first, box.second, t.rank.pp, t.rank.ep);
                    const size_t k = copy_seen[key]++;
                    if (k >= candidates.size())
                        return Status::unsupported("more copies of a canonical box than the global tensor holds")
                            .in_tensor(t.name);
                    qi = candidates[k];
                }
                const Piece& q = global.pieces[qi];
                STRATA_RETURN_IF_ERROR(add_sub_piece(at_plan, global, p, q, *intersect(p.box, q.box), groups));
            }
        }
        if (groups.empty()) {
            STRATA_TRY(groups, padding_only(at_plan, global, t));
            if (groups.empty()) continue;
        }
        STRATA_RETURN_IF_ERROR(check_tiling(t, groups));
        for (const Group& g : groups) STRATA_RETURN_IF_ERROR(b.add_group(t, g));
    }
    return std::move(b.out);
}

}  // namespace strata
