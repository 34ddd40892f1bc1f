// MappingContext: rank enumeration, PP-local / EP-local naming and piece geometry
// shared by every mapping kind.
#include <charconv>

#include "strata/mapping/param_mapping.h"
#include "strata/megatron/megatron_rules.h"

namespace strata {
namespace {

// Layer index from "...layers.<N>." (the first occurrence), or -1.
int layer_of(const std::string& name, size_t* pos = nullptr, size_t* len = nullptr) {
    const size_t at = name.find("layers.");
    if (at == std::string::npos) return -1;
    size_t i = at + 7, j = i;
    while (j < name.size() && name[j] >= '0' && name[j] <= '9') ++j;
    if (j == i) return -1;
    if (pos) *pos = i;
    if (len) *len = j - i;
    return std::stoi(name.substr(i, j - i));
}

std::vector<uint64_t> row_major_strides(const Shape& shape) {
    std::vector<uint64_t> s(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
    return s;
}

}  // namespace

std::vector<const MappingMember*> MappingGroup::role(std::string_view r) const {
    std::vector<const MappingMember*> out;
    for (const auto& m : members)
        if (m.role == r) out.push_back(&m);
    auto id = [](const MappingMember* m) -> uint64_t {
        return m->captures.empty() ? 0 : std::strtoull(m->captures.back().c_str(), nullptr, 10);
    };
    std::stable_sort(out.begin(), out.end(), [&](auto* a, auto* b) { return id(a) < id(b); });
    return out;
}

Result<const MappingMember*> MappingGroup::one(const char* r) const {
    auto found = role(r);
    if (found.size() != 1)
        return Status::internal("rule for '" + layout_name + "' needs exactly one '" + r + "' tensor, got " +
                                std::to_string(found.size()));
    return found[0];
}

bool MappingContext::is_expert_name(std::string_view name) {
    return name.find(".experts.linear_fc") != std::string_view::npos ||
           name.find(".experts.local_experts.") != std::string_view::npos ||
           name.find(".experts.weight") != std::string_view::npos;
}

uint64_t MappingContext::local_experts() const {
    return megatron_local_experts(spec().experts, options().kind == LayoutKind::Megatron ? options().plan.ep : 1);
}

static Result<int> stage_of(const Layout& layout, const MappingGroup& group) {
    const int stages = static_cast<int>(layout.stage_layers.size()) - 1;
    if (layout.options.kind != LayoutKind::Megatron) return 0;
    switch (group.placement) {
        case Placement::FirstStage:
            return 0;
        case Placement::LastStage:
            return stages - 1;
        case Placement::Layer:
            break;
    }
    const int layer = layer_of(group.layout_name);
    if (layer < 0) return Status::internal("layer rule without a layer index").in_tensor(group.layout_name);
    for (int s = 0; s < stages; ++s)
        if (layer < layout.stage_layers[s + 1]) return s;
    return Status::invalid_argument("layer " + std::to_string(layer) + " is past the model's " +
                                    std::to_string(layout.stage_layers.back()) + " layers")
        .in_tensor(group.layout_name);
}

Result<std::vector<Shard>> MappingContext::shards(const MappingGroup& group, bool expert, int ep) const {
    STRATA_TRY(int stage, stage_of(layout_, group));
    const ParallelPlan& p = options().plan;
    std::vector<Shard> out;
    if (options().kind != LayoutKind::Megatron) {
        out.push_back({{}, 0, 1});
        return out;
    }
    const int etp = p.expert_tp();
    for (int t = 0; t < p.tp; ++t) {
        if (expert) {
            out.push_back({{t, stage, ep}, t % etp, etp});
        } else {
            for (int e = 0; e < p.ep; ++e) out.push_back({{t, stage, e}, t, p.tp});
        }
    }
    return out;
}

Result<std::string> MappingContext::local_name(const MappingGroup& group, const std::string& name) const {
    if (options().kind != LayoutKind::Megatron || group.placement != Placement::Layer) return name;
    size_t pos = 0, len = 0;
    const int layer = layer_of(name, &pos, &len);
    if (layer < 0) return name;
    STRATA_TRY(int stage, stage_of(layout_, group));
    const int local = layer - layout_.stage_layers[stage];
    return name.substr(0, pos) + std::to_string(local) + name.substr(pos + len);
}

Result<MappingContext::ExpertSlot> MappingContext::expert_slot(const MappingMember& member,
                                                               const std::string& name) const {
    if (member.captures.empty()) return Status::internal("expert rule without an expert wildcard").in_tensor(name);
    const std::string& id = member.captures.back();
    ExpertSlot slot;
    auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), slot.global);
    if (ec != std::errc() || ptr != id.data() + id.size())
        return Status::invalid_argument("expert id '" + id + "' is not a number").in_tensor(name);
    if (slot.global >= spec().experts)
        return Status::invalid_argument("expert " + id + " is past the model's " + std::to_string(spec().experts) +
                                        " experts")
            .in_tensor(name);
    const ExpertPlace place = megatron_expert_place(
        slot.global, spec().experts, options().kind == LayoutKind::Megatron ? options().plan.ep : 1);
    slot.ep = place.ep_rank;
    slot.local = place.local;
    slot.name = name;
    // TEGroupedMLP: trailing "weight<G>"; SequentialMLP: "local_experts.<G>.".
    const std::string seq = "local_experts." + id + ".";
    if (auto at = name.rfind(seq); at != std::string::npos) {
        slot.name =
            name.substr(0, at) + "local_experts." + std::to_string(slot.local) + "." + name.substr(at + seq.size());
    } else if (name.size() >= id.size() && name.compare(name.size() - id.size(), id.size(), id) == 0) {
        slot.name = name.substr(0, name.size() - id.size()) + std::to_string(slot.local);
    }
    return slot;
}

Result<uint32_t> MappingContext::add_tensor(const std::string& name, const RankCoord& rank, DType dtype,
                                            const Shape& shape) {
    const std::string key =
        name + "@" + std::to_string(rank.tp) + "." + std::to_string(rank.pp) + "." + std::to_string(rank.ep);
    if (auto it = index_.find(key); it != index_.end()) {
        const auto& t = layout_.tensors[it->second];
        if (t.shape != shape)
            return Status::internal("stored tensor planned with two shapes " + shape_to_string(t.shape) + " and " +
                                    shape_to_string(shape))
                .in_tensor(name);
        return it->second;
    }
    const ParallelPlan& p = options().plan;
    uint32_t file = 0;
    if (options().kind == LayoutKind::Megatron)
        file = static_cast<uint32_t>((rank.pp * p.tp + rank.tp) * p.ep + rank.ep);
    index_.emplace(key, static_cast<uint32_t>(layout_.tensors.size()));
    layout_.tensors.push_back({name, rank, dtype, shape, file});
    return static_cast<uint32_t>(layout_.tensors.size() - 1);
}

Status MappingContext::add_piece(uint32_t canonical, const Box& box, uint32_t tensor, const Shape& view,
                                 const std::vector<uint64_t>& view_start, const std::vector<size_t>& dims, float add) {
    const auto& c = layout_.canonical[canonical];
    const auto& t = layout_.tensors[tensor];
    const size_t n = c.shape.size();
    if (box.start.size() != n || box.extent.size() != n)
        return Status::internal("box rank does not match the canonical tensor").in_tensor(c.name);
    for (size_t k = 0; k < n; ++k)
        if (box.start[k] + box.extent[k] > c.shape[k])
            return Status::internal("box " + box_to_string(box) + " outside " + shape_to_string(c.shape))
                .in_tensor(c.name);
    uint64_t vn = 1, tn = 1;
    for (auto d : view) vn *= d;
    for (auto d : t.shape) tn *= d;
    if (vn != tn || view_start.size() != view.size() || view.size() < n)
        return Status::internal("view " + shape_to_string(view) + " does not fit " + shape_to_string(t.shape))
            .in_tensor(t.name);
    std::vector<size_t> map = dims;
    if (map.empty())
        for (size_t k = 0; k < n; ++k) map.push_back(view.size() - n + k);
    const auto vs = row_major_strides(view);
    Piece piece;
    piece.canonical = canonical;
    piece.box = box;
    piece.tensor = tensor;
    piece.add = add;
    for (size_t j = 0; j < view.size(); ++j) piece.offset += view_start[j] * vs[j];
    for (size_t k = 0; k < n; ++k) {
        const size_t j = map[k];
        if (view_start[j] + box.extent[k] > view[j])
            return Status::internal("piece overruns dim " + std::to_string(j) + " of view " + shape_to_string(view))
                .in_tensor(t.name);
        piece.strides.push_back(static_cast<int64_t>(vs[j]));
    }
    layout_.pieces.push_back(std::move(piece));
    return Status::ok();
}

Status MappingContext::add_whole(uint32_t canonical, uint32_t tensor, float add) {
    const auto& c = layout_.canonical[canonical];
    Box box{std::vector<uint64_t>(c.shape.size(), 0), c.shape};
    return add_piece(canonical, box, tensor, c.shape, std::vector<uint64_t>(c.shape.size(), 0), {}, add);
}

}  // namespace strata
