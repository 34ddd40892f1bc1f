// Mapping kinds that move one canonical tensor as a whole or split along one dim
// (Megatron-Bridge param_mapping.py: Direct, Replicated, ColumnParallel,
// RowParallel, vocab padding, RMSNorm2ZeroCenteredRMSNorm; facts bridge-mappings §1.3-1.6, §1.11).
#include <algorithm>

#include "strata/mapping/param_mapping.h"

namespace strata {
namespace {

Status need_one(const MappingGroup& g) {
    if (g.members.size() != 1)
        return Status::internal("rule maps " + std::to_string(g.members.size()) + " tensors to '" + g.layout_name +
                                "'; expected one");
    return Status::ok();
}

// Where an expert or plain tensor goes: its local name and the ranks that store it.
struct Target {
    std::string name;
    std::vector<Shard> shards;
};

Result<Target> target_of(const MappingGroup& g, const MappingMember& m, MappingContext& ctx) {
    STRATA_TRY(std::string local, ctx.local_name(g, g.layout_name));
    Target t;
    if (ctx.options().kind == LayoutKind::Megatron && MappingContext::is_expert_name(g.layout_name)) {
        STRATA_TRY(auto slot, ctx.expert_slot(m, local));
        t.name = slot.name;
        STRATA_TRY(t.shards, ctx.shards(g, true, slot.ep));
    } else {
        t.name = local;
        STRATA_TRY(t.shards, ctx.shards(g, false));
    }
    return t;
}

// Whole tensor on every rank that holds it.
class ReplicatedMapping : public ParamMapping {
public:
    explicit ReplicatedMapping(float add = 0.0f) : add_(add) {}
    const char* kind_name() const override { return add_ != 0.0f ? "zero-centred-norm" : "replicated"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(need_one(g));
        const auto& m = g.members[0];
        const auto& c = ctx.canonical(m.canonical);
        STRATA_TRY(auto target, target_of(g, m, ctx));
        for (const auto& shard : target.shards) {
            STRATA_TRY(uint32_t t, ctx.add_tensor(target.name, shard.rank, c.dtype, c.shape));
            STRATA_RETURN_IF_ERROR(ctx.add_whole(m.canonical, t, add_));
        }
        return Status::ok();
    }

private:
    float add_;
};

// Direct: copied unchanged (HF layouts, and tensors no parallelism touches).
class DirectMapping final : public ReplicatedMapping {
public:
    const char* kind_name() const override { return "direct"; }
};

class ZeroCenteredNormMapping final : public ReplicatedMapping {
public:
    ZeroCenteredNormMapping() : ReplicatedMapping(-1.0f) {}
};

// Splits dim `dim` into `splits` equal blocks; rank `split` stores block `split`.
// With `padded_rows` > rows (vocab), the stored tensor has padded_rows/splits rows and
// rows past the canonical end stay zero.
Status add_split(MappingContext& ctx, const MappingMember& m, const std::string& name, const Shard& shard, size_t dim,
                 uint64_t padded_rows = 0) {
    const auto& c = ctx.canonical(m.canonical);
    if (dim >= c.shape.size()) return Status::internal("split dim past the tensor's rank").in_tensor(c.name);
    const uint64_t full = padded_rows ? padded_rows : c.shape[dim];
    const auto s = static_cast<uint64_t>(shard.splits);
    if (full % s != 0)
        return Status::invalid_argument("dim " + std::to_string(dim) + " (" + std::to_string(full) +
                                        ") does not split into " + std::to_string(s))
            .in_tensor(c.name);
    const uint64_t part = full / s, begin = part * static_cast<uint64_t>(shard.split);
    Shape stored = c.shape;
    stored[dim] = part;
    STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, c.dtype, stored));
    if (begin >= c.shape[dim]) return Status::ok();  // all padding
    Box box{std::vector<uint64_t>(c.shape.size(), 0), c.shape};
    box.start[dim] = begin;
    box.extent[dim] = std::min(part, c.shape[dim] - begin);
    return ctx.add_piece(m.canonical, box, t, stored, std::vector<uint64_t>(stored.size(), 0));
}

class ColumnMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "column"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(need_one(g));
        STRATA_TRY(auto target, target_of(g, g.members[0], ctx));
        for (const auto& shard : target.shards)
            STRATA_RETURN_IF_ERROR(add_split(ctx, g.members[0], target.name, shard, 0));
        return Status::ok();
    }
};

class RowMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "row"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(need_one(g));
        const auto& m = g.members[0];
        STRATA_TRY(auto target, target_of(g, m, ctx));
        const auto& c = ctx.canonical(m.canonical);
        for (const auto& shard : target.shards) {
            if (c.shape.size() == 1) {  // 1-D bias of a row-parallel layer: replicated
                STRATA_TRY(uint32_t t, ctx.add_tensor(target.name, shard.rank, c.dtype, c.shape));
                STRATA_RETURN_IF_ERROR(ctx.add_whole(m.canonical, t));
            } else {
                STRATA_RETURN_IF_ERROR(add_split(ctx, m, target.name, shard, 1));
            }
        }
        return Status::ok();
    }
};

// Embedding / output layer: column split of the vocab padded as Megatron pads it.
class VocabMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "vocab"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(need_one(g));
        STRATA_TRY(auto target, target_of(g, g.members[0], ctx));
        const uint64_t padded = std::max(ctx.layout().padded_vocab, ctx.canonical(g.members[0].canonical).shape[0]);
        for (const auto& shard : target.shards)
            STRATA_RETURN_IF_ERROR(add_split(ctx, g.members[0], target.name, shard, 0, padded));
        return Status::ok();
    }
};

}  // namespace

MappingPtr direct() { return std::make_shared<DirectMapping>(); }
MappingPtr replicated() { return std::make_shared<ReplicatedMapping>(); }
MappingPtr column() { return std::make_shared<ColumnMapping>(); }
MappingPtr row() { return std::make_shared<RowMapping>(); }
MappingPtr vocab() { return std::make_shared<VocabMapping>(); }
MappingPtr zero_centered_norm() { return std::make_shared<ZeroCenteredNormMapping>(); }

}  // namespace strata
