// MLP and expert mapping kinds (facts bridge-mappings §1.10, §1.12-1.14, §6;
// mamba-megatron §2.3): GatedMLPMapping (each TP/ETP rank stores [gate_r; up_r]),
// legacy GroupedMLP weight1/weight2 (memory = E_l blocks of fc_i^T, Megatron-LM#909),
// HF fused stacks [E, ...] and transformers v5 gate_up_proj [E, 2I, H].
#include "strata/mapping/param_mapping.h"

namespace strata {
namespace {

class GatedMlpMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "gated-mlp"; }
    std::vector<std::string> roles() const override { return {"gate", "up"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_TRY(const MappingMember* gate, g.one("gate"));
        STRATA_TRY(const MappingMember* up, g.one("up"));
        const auto& gc = ctx.canonical(gate->canonical);
        if (ctx.canonical(up->canonical).shape != gc.shape || gc.shape.empty())
            return Status::invalid_argument("gate and up shapes differ").in_tensor(ctx.canonical(up->canonical).name);
        STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
        std::vector<Shard> shards;
        if (ctx.options().kind == LayoutKind::Megatron && MappingContext::is_expert_name(g.layout_name)) {
            STRATA_TRY(auto slot, ctx.expert_slot(*gate, name));
            name = slot.name;
            STRATA_TRY(shards, ctx.shards(g, true, slot.ep));
        } else {
            STRATA_TRY(shards, ctx.shards(g, false));
        }
        const uint64_t f = gc.shape[0];
        for (const auto& shard : shards) {
            const auto s = static_cast<uint64_t>(shard.splits);
            if (f % s)
                return Status::invalid_argument("FFN " + std::to_string(f) + " does not split into " +
                                                std::to_string(s))
                    .in_tensor(gc.name);
            const uint64_t part = f / s;
            Shape stored = gc.shape;
            stored[0] = 2 * part;
            STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, gc.dtype, stored));
            uint64_t row = 0;
            for (const MappingMember* m : {gate, up}) {
                Box box{std::vector<uint64_t>(gc.shape.size(), 0), gc.shape};
                box.start[0] = part * static_cast<uint64_t>(shard.split);
                box.extent[0] = part;
                std::vector<uint64_t> start(stored.size(), 0);
                start[0] = row;
                STRATA_RETURN_IF_ERROR(ctx.add_piece(m->canonical, box, t, stored, start));
                row += part;
            }
        }
        return Status::ok();
    }
};

// The experts of one layer grouped by EP rank, each list ordered by global id.
Result<std::vector<std::vector<const MappingMember*>>> by_ep_rank(const MappingGroup& g, MappingContext& ctx,
                                                                  const char* role) {
    auto members = g.role(role);
    if (members.size() != ctx.spec().experts)
        return Status::invalid_argument("layer has " + std::to_string(members.size()) + " '" + role +
                                        "' experts, the config says " + std::to_string(ctx.spec().experts))
            .in_tensor(g.layout_name);
    const uint64_t el = ctx.local_experts();
    std::vector<std::vector<const MappingMember*>> out(members.size() / el);
    for (size_t i = 0; i < members.size(); ++i) {
        STRATA_TRY(auto slot, ctx.expert_slot(*members[i], g.layout_name));
        if (slot.global != i) return Status::invalid_argument("expert ids are not 0..E-1").in_tensor(g.layout_name);
        out[slot.ep].push_back(members[i]);
    }
    return out;
}

// weight1 [H, E_l*2F/e]; forward views it [E_l, H, 2F/e], block i = [gate_i,r; up_i,r]^T.
class LegacyGroupedFc1Mapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "legacy-grouped-fc1"; }
    std::vector<std::string> roles() const override { return {"gate", "up"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_TRY(auto gates, by_ep_rank(g, ctx, "gate"));
        STRATA_TRY(auto ups, by_ep_rank(g, ctx, "up"));
        STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
        for (size_t ep = 0; ep < gates.size(); ++ep) {
            const auto& c = ctx.canonical(gates[ep][0]->canonical);  // [F, H]
            const uint64_t f = c.shape[0], h = c.shape[1], el = gates[ep].size();
            STRATA_TRY(auto shards, ctx.shards(g, true, static_cast<int>(ep)));
            for (const auto& shard : shards) {
                const uint64_t part = f / static_cast<uint64_t>(shard.splits);
                STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, c.dtype, {h, el * 2 * part}));
                const Shape view{el, h, 2 * part};
                for (uint64_t i = 0; i < el; ++i) {
                    const MappingMember* pair[2] = {gates[ep][i], ups[ep][i]};
                    for (uint64_t half = 0; half < 2; ++half) {
                        Box box{{part * static_cast<uint64_t>(shard.split), 0}, {part, h}};
                        // canonical row (FFN) -> view dim 2, canonical column (hidden) -> view dim 1
                        STRATA_RETURN_IF_ERROR(
                            ctx.add_piece(pair[half]->canonical, box, t, view, {i, 0, half * part}, {2, 1}));
                    }
                }
            }
        }
        return Status::ok();
    }
};

// weight2 [E_l*F/e, H]; forward views it [E_l, F/e, H], block i = down_i[:, r-th block]^T.
class LegacyGroupedFc2Mapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "legacy-grouped-fc2"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_TRY(auto downs, by_ep_rank(g, ctx, ""));
        STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
        for (size_t ep = 0; ep < downs.size(); ++ep) {
            const auto& c = ctx.canonical(downs[ep][0]->canonical);  // [H, F]
            const uint64_t h = c.shape[0], f = c.shape[1], el = downs[ep].size();
            STRATA_TRY(auto shards, ctx.shards(g, true, static_cast<int>(ep)));
            for (const auto& shard : shards) {
                const uint64_t part = f / static_cast<uint64_t>(shard.splits);
                STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, c.dtype, {el * part, h}));
                const Shape view{el, part, h};
                for (uint64_t i = 0; i < el; ++i) {
                    Box box{{0, part * static_cast<uint64_t>(shard.split)}, {h, part}};
                    STRATA_RETURN_IF_ERROR(ctx.add_piece(downs[ep][i]->canonical, box, t, view, {i, 0, 0}, {2, 1}));
                }
            }
        }
        return Status::ok();
    }
};

// HF fused experts: [E, ...] where slice e is expert e's tensor.
class FusedStackMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "fused-stack"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        auto members = g.role("");
        if (members.empty() || members.size() != ctx.spec().experts)
            return Status::invalid_argument("fused tensor needs all " + std::to_string(ctx.spec().experts) +
                                            " experts, found " + std::to_string(members.size()))
                .in_tensor(g.layout_name);
        const auto& c = ctx.canonical(members[0]->canonical);
        Shape stored{members.size()};
        stored.insert(stored.end(), c.shape.begin(), c.shape.end());
        STRATA_TRY(uint32_t t, ctx.add_tensor(g.layout_name, {}, c.dtype, stored));
        for (uint64_t e = 0; e < members.size(); ++e) {
            const auto& m = ctx.canonical(members[e]->canonical);
            if (m.shape != c.shape) return Status::invalid_argument("expert shapes differ").in_tensor(m.name);
            std::vector<uint64_t> start(stored.size(), 0);
            start[0] = e;
            STRATA_RETURN_IF_ERROR(ctx.add_piece(
                members[e]->canonical, {std::vector<uint64_t>(c.shape.size(), 0), c.shape}, t, stored, start));
        }
        return Status::ok();
    }
};

// transformers v5: gate_up_proj [E, 2I, H], slice e = cat(gate_e, up_e) (gate = rows [0, I)).
class FusedGateUpMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "fused-gate-up"; }
    std::vector<std::string> roles() const override { return {"gate", "up"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        auto gates = g.role("gate"), ups = g.role("up");
        if (gates.size() != ctx.spec().experts || ups.size() != gates.size())
            return Status::invalid_argument("gate_up_proj needs gate and up of all " +
                                            std::to_string(ctx.spec().experts) + " experts")
                .in_tensor(g.layout_name);
        const auto& c = ctx.canonical(gates[0]->canonical);  // [I, H]
        const Shape stored{gates.size(), 2 * c.shape[0], c.shape[1]};
        STRATA_TRY(uint32_t t, ctx.add_tensor(g.layout_name, {}, c.dtype, stored));
        for (uint64_t e = 0; e < gates.size(); ++e) {
            const Box box{{0, 0}, c.shape};
            STRATA_RETURN_IF_ERROR(ctx.add_piece(gates[e]->canonical, box, t, stored, {e, 0, 0}));
            STRATA_RETURN_IF_ERROR(ctx.add_piece(ups[e]->canonical, box, t, stored, {e, c.shape[0], 0}));
        }
        return Status::ok();
    }
};

}  // namespace

MappingPtr gated_mlp() { return std::make_shared<GatedMlpMapping>(); }
MappingPtr legacy_grouped_fc1() { return std::make_shared<LegacyGroupedFc1Mapping>(); }
MappingPtr legacy_grouped_fc2() { return std::make_shared<LegacyGroupedFc2Mapping>(); }
MappingPtr fused_stack() { return std::make_shared<FusedStackMapping>(); }
MappingPtr fused_gate_up() { return std::make_shared<FusedGateUpMapping>(); }

}  // namespace strata
