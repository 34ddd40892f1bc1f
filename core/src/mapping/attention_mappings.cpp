// Attention mapping kinds: QKVMapping (group-major interleave of q, k, v rows) and
// KVMapping ([k_g; v_g] per group), then split by TP along rows; a rank holds
// whole query groups (facts bridge-mappings §1.8-1.9).
#include "strata/mapping/param_mapping.h"

namespace strata {
namespace {

// Interleaves row blocks per query group: for group g, each role contributes
// `rows_per_group[role]` rows taken from rows [g*rpg, (g+1)*rpg) of its tensor.
Status expand_grouped_rows(const MappingGroup& g, MappingContext& ctx, const std::vector<std::string>& roles) {
    const uint64_t groups = ctx.spec().kv_heads;
    if (groups == 0) return Status::invalid_argument("model has no query groups").in_tensor(g.layout_name);
    std::vector<const MappingMember*> members;
    std::vector<uint64_t> rpg;
    uint64_t block = 0;
    for (const auto& r : roles) {
        auto found = g.role(r);
        if (found.size() != 1)
            return Status::internal("rule for '" + g.layout_name + "' needs exactly one '" + r + "' tensor");
        const auto& c = ctx.canonical(found[0]->canonical);
        if (c.shape.empty() || c.shape[0] % groups != 0)
            return Status::invalid_argument("rows " + shape_to_string(c.shape) + " do not split into " +
                                            std::to_string(groups) + " query groups")
                .in_tensor(c.name);
        members.push_back(found[0]);
        rpg.push_back(c.shape[0] / groups);
        block += rpg.back();
    }
    const auto& first = ctx.canonical(members[0]->canonical);
    for (auto* m : members)
        if (Shape(ctx.canonical(m->canonical).shape.begin() + 1, ctx.canonical(m->canonical).shape.end()) !=
            Shape(first.shape.begin() + 1, first.shape.end()))
            return Status::invalid_argument("q/k/v column shapes differ").in_tensor(ctx.canonical(m->canonical).name);
    STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
    STRATA_TRY(auto shards, ctx.shards(g, false));
    for (const auto& shard : shards) {
        const auto s = static_cast<uint64_t>(shard.splits);
        if (groups % s != 0)
            return Status::invalid_argument(std::to_string(groups) + " query groups do not split over TP " +
                                            std::to_string(s))
                .in_tensor(g.layout_name);
        const uint64_t local = groups / s;
        Shape stored = first.shape;
        stored[0] = local * block;
        STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, first.dtype, stored));
        for (uint64_t gl = 0; gl < local; ++gl) {
            const uint64_t gg = static_cast<uint64_t>(shard.split) * local + gl;
            uint64_t row = gl * block;
            for (size_t r = 0; r < members.size(); ++r) {
                const auto& c = ctx.canonical(members[r]->canonical);
                Box box{std::vector<uint64_t>(c.shape.size(), 0), c.shape};
                box.start[0] = gg * rpg[r];
                box.extent[0] = rpg[r];
                std::vector<uint64_t> start(stored.size(), 0);
                start[0] = row;
                STRATA_RETURN_IF_ERROR(ctx.add_piece(members[r]->canonical, box, t, stored, start));
                row += rpg[r];
            }
        }
    }
    return Status::ok();
}

class QkvMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "qkv"; }
    std::vector<std::string> roles() const override { return {"q", "k", "v"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        return expand_grouped_rows(g, ctx, roles());
    }
};

class KvMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "kv"; }
    std::vector<std::string> roles() const override { return {"k", "v"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        return expand_grouped_rows(g, ctx, roles());
    }
};

}  // namespace

MappingPtr qkv() { return std::make_shared<QkvMapping>(); }
MappingPtr kv() { return std::make_shared<KvMapping>(); }

}  // namespace strata
