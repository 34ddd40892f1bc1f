// Hybrid Mamba2 mapping kinds: in_proj / conv1d row blocks per TP rank (Megatron MambaMixer
// partition_sizes; facts/mamba-megatron.md §2.1), M1 vs exact x/B rows (§1.6, §5b), and the
// HF layer -> Megatron slot placement of hybrid models (§2.2).
#include "strata/mapping/mamba_mappings.h"

#include <string>

namespace strata {
namespace {

// "…layers.<N>.…" with N replaced by f(N); the name unchanged when it has no layer index.
template <typename F>
std::string renumber(const std::string& name, F f, int* layer = nullptr) {
    const size_t at = name.find("layers.");
    if (at == std::string::npos) return name;
    size_t i = at + 7, j = i;
    while (j < name.size() && name[j] >= '0' && name[j] <= '9') ++j;
    if (j == i) return name;
    const int n = std::stoi(name.substr(i, j - i));
    if (layer) *layer = n;
    return name.substr(0, i) + std::to_string(f(n)) + name.substr(j);
}

// One row block of a Mamba tensor: `rows` canonical rows from `begin`; stored as `rows * repeat`
// rows where stored unit j (of `unit` rows) is canonical unit j / repeat.
struct RowBlock {
    const char* what;
    uint64_t begin = 0;
    uint64_t rows = 0;
    uint64_t unit = 1;
    uint64_t repeat = 1;
    uint64_t stored() const { return rows * repeat; }
};

// Adds every rank's [block_0,r | block_1,r | …] of one canonical tensor (rows on dim 0).
Status expand_row_blocks(const MappingGroup& g, MappingContext& ctx, const std::vector<RowBlock>& blocks,
                         const std::string& name) {
    if (g.members.size() != 1) return Status::internal("Mamba rule maps more than one tensor").in_tensor(g.layout_name);
    const MappingMember& m = g.members[0];
    const TensorEntry& c = ctx.canonical(m.canonical);
    uint64_t total = 0;
    for (const RowBlock& b : blocks) total = std::max(total, b.begin + b.rows);
    if (c.shape.empty() || c.shape[0] != total)
        return Status::invalid_argument("Mamba tensor has " + shape_to_string(c.shape) + "; the model's dims give " +
                                        std::to_string(total) + " rows")
            .in_tensor(c.name);
    STRATA_TRY(std::string local, ctx.local_name(g, name));
    STRATA_TRY(auto shards, ctx.shards(g, false));
    for (const Shard& shard : shards) {
        const auto t = static_cast<uint64_t>(shard.splits), r = static_cast<uint64_t>(shard.split);
        uint64_t rows = 0;
        for (const RowBlock& b : blocks) {
            if (b.stored() % t != 0 || (b.stored() / t) % b.unit != 0)
                return Status::invalid_argument(std::string("Mamba ") + b.what + " block of " +
                                                std::to_string(b.stored()) + " rows does not split into TP " +
                                                std::to_string(t) + " whole " + std::to_string(b.unit) +
                                                "-row heads/groups")
                    .in_tensor(c.name);
            rows += b.stored() / t;
        }
        Shape stored = c.shape;
        stored[0] = rows;
        STRATA_TRY(uint32_t tensor, ctx.add_tensor(local, shard.rank, c.dtype, stored));
        uint64_t at = 0;
        for (const RowBlock& b : blocks) {
            const uint64_t chunk = b.stored() / t, first = r * chunk;
            // Runs of stored rows that are contiguous in the canonical tensor.
            for (uint64_t s = first; s < first + chunk;) {
                uint64_t canon, len;
                if (b.repeat == 1) {
                    canon = s;
                    len = first + chunk - s;
                } else {
                    canon = (s / b.unit / b.repeat) * b.unit + s % b.unit;
                    len = std::min(b.unit - s % b.unit, first + chunk - s);
                }
                Box box{std::vector<uint64_t>(c.shape.size(), 0), c.shape};
                box.start[0] = b.begin + canon;
                box.extent[0] = len;
                std::vector<uint64_t> start(stored.size(), 0);
                start[0] = at + (s - first);
                STRATA_RETURN_IF_ERROR(ctx.add_piece(m.canonical, box, tensor, stored, start));
                s += len;
            }
            at += chunk;
        }
    }
    return Status::ok();
}

Status check_mamba_dims(const ModelSpec& s, const std::string& where) {
    const MambaDims& d = s.mamba;
    if (!d.d_inner || !d.x_db || !d.n_heads || !d.head_dim || d.x_db % d.head_dim || d.n_heads * d.head_dim != d.d_inner)
        return Status::invalid_argument("model has no M1 Mamba dims (d_inner, d_xb, heads, head_dim)").in_tensor(where);
    return Status::ok();
}

// x/B repetition of a layout: exact stores each KV group once per head (M1's repeat_kv).
uint64_t xb_repeat(const MappingContext& ctx) {
    const MambaDims& d = ctx.spec().mamba;
    return ctx.options().mamba == MambaLayout::Exact ? d.n_heads / (d.x_db / d.head_dim) : 1;
}

// mixer.conv1d.weight, or mixer.conv1d_weight under core >= v0.19 (commit 35992ba: direct mixer
// parameters) when the layout asks for it.
std::string conv1d_name(std::string name, const MappingContext& ctx) {
    if (ctx.options().conv1d_params)
        for (const char* part : {"weight", "bias"}) {
            const std::string from = std::string(".conv1d.") + part, to = std::string(".conv1d_") + part;
            if (auto at = name.rfind(from); at != std::string::npos) name.replace(at, from.size(), to);
        }
    return name;
}

class MambaInProjMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "mamba-in-proj"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(check_mamba_dims(ctx.spec(), g.layout_name));
        const MambaDims& d = ctx.spec().mamba;
        const uint64_t rep = xb_repeat(ctx), hd = d.head_dim;
        const std::vector<RowBlock> blocks = {
            {"z", 0, d.d_inner, hd, 1},
            {"x", d.d_inner, d.x_db, hd, rep},
            {"B", d.d_inner + d.x_db, d.x_db, hd, rep},
            {"C", d.d_inner + 2 * d.x_db, d.d_inner, hd, 1},
            {"dt", 2 * d.d_inner + 2 * d.x_db, d.n_heads, 1, 1},
        };
        return expand_row_blocks(g, ctx, blocks, g.layout_name);
    }
};

class MambaConv1dMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "mamba-conv1d"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(check_mamba_dims(ctx.spec(), g.layout_name));
        const MambaDims& d = ctx.spec().mamba;
        const uint64_t rep = xb_repeat(ctx), hd = d.head_dim;
        const std::vector<RowBlock> blocks = {
            {"conv1d x", 0, d.x_db, hd, rep},
            {"conv1d B", d.x_db, d.x_db, hd, rep},
            {"conv1d C", 2 * d.x_db, d.d_inner, hd, 1},
        };
        return expand_row_blocks(g, ctx, blocks, conv1d_name(g.layout_name, ctx));
    }
};

// The standard Mamba2 layout (Megatron MambaMixer; transformers NemotronHMamba2Mixer): in_proj
// [z (d_inner) | x (d_inner) | B (groups * d_state) | C (groups * d_state) | dt (heads)], conv1d
// channels [x | B | C]; each block split per TP rank in whole heads (z, x) and groups (B, C)
// (facts bridge-mappings §3b MambaInProjMapping / MambaConv1dMapping).
Status check_mamba2_dims(const ModelSpec& s, const std::string& where) {
    const MambaDims& d = s.mamba;
    if (!d.d_inner || !d.n_heads || !d.head_dim || !d.n_groups || !d.d_state || d.n_heads * d.head_dim != d.d_inner ||
        d.n_heads % d.n_groups)
        return Status::invalid_argument("model has no Mamba2 dims (heads x head_dim = d_inner, groups dividing heads, "
                                        "state)")
            .in_tensor(where);
    return Status::ok();
}

std::vector<RowBlock> mamba2_conv_blocks(const MambaDims& d, uint64_t at) {
    const uint64_t bc = d.n_groups * d.d_state;
    return {{"x", at, d.d_inner, d.head_dim, 1},
            {"B", at + d.d_inner, bc, d.d_state, 1},
            {"C", at + d.d_inner + bc, bc, d.d_state, 1}};
}

class Mamba2InProjMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "mamba2-in-proj"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(check_mamba2_dims(ctx.spec(), g.layout_name));
        const MambaDims& d = ctx.spec().mamba;
        std::vector<RowBlock> blocks{{"z", 0, d.d_inner, d.head_dim, 1}};
        for (const RowBlock& b : mamba2_conv_blocks(d, d.d_inner)) blocks.push_back(b);
        blocks.push_back({"dt", 2 * d.d_inner + 2 * d.n_groups * d.d_state, d.n_heads, 1, 1});
        return expand_row_blocks(g, ctx, blocks, g.layout_name);
    }
};

class Mamba2Conv1dMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "mamba2-conv1d"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_RETURN_IF_ERROR(check_mamba2_dims(ctx.spec(), g.layout_name));
        return expand_row_blocks(g, ctx, mamba2_conv_blocks(ctx.spec().mamba, 0), conv1d_name(g.layout_name, ctx));
    }
};

class HybridSlotMapping final : public ParamMapping {
public:
    HybridSlotMapping(MappingPtr inner, HybridSlot slot) : inner_(std::move(inner)), slot_(slot) {}
    const char* kind_name() const override { return inner_->kind_name(); }
    std::vector<std::string> roles() const override { return inner_->roles(); }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        if (ctx.options().kind != LayoutKind::Megatron) return inner_->expand(g, ctx);
        MappingGroup moved = g;
        const int add = slot_ == HybridSlot::Mlp ? 1 : 0;
        moved.layout_name = renumber(g.layout_name, [&](int i) { return 2 * i + add; });
        return inner_->expand(moved, ctx);
    }

private:
    MappingPtr inner_;
    HybridSlot slot_;
};

class HybridInputNormMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "replicated"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        static const MappingPtr kReplicated = replicated();
        if (ctx.options().kind != LayoutKind::Megatron) return kReplicated->expand(g, ctx);
        int layer = -1;
        renumber(g.layout_name, [](int i) { return i; }, &layer);
        const auto& kinds = ctx.spec().layer_kinds;
        if (layer < 0 || static_cast<size_t>(layer) >= kinds.size())
            return Status::invalid_argument("layer index outside the model's " + std::to_string(kinds.size()) +
                                            " layers")
                .in_tensor(g.layout_name);
        const bool mamba = kinds[static_cast<size_t>(layer)].mixer == MixerKind::Mamba2;
        const bool te = ctx.options().norms == NormLayout::Te;
        const char* suffix = mamba ? (te ? "mixer.in_proj.layer_norm_weight" : "norm.weight")
                                   : (te ? "self_attention.linear_qkv.layer_norm_weight" : "input_layernorm.weight");
        MappingGroup moved = g;
        moved.layout_name = "decoder.layers." + std::to_string(2 * layer) + "." + suffix;
        return kReplicated->expand(moved, ctx);
    }
};

}  // namespace

MappingPtr mamba_in_proj() { return std::make_shared<MambaInProjMapping>(); }
MappingPtr mamba_conv1d() { return std::make_shared<MambaConv1dMapping>(); }
MappingPtr mamba2_in_proj() { return std::make_shared<Mamba2InProjMapping>(); }
MappingPtr mamba2_conv1d() { return std::make_shared<Mamba2Conv1dMapping>(); }
MappingPtr hybrid_slot(MappingPtr inner, HybridSlot slot) {
    return std::make_shared<HybridSlotMapping>(std::move(inner), slot);
}
MappingPtr hybrid_input_norm() { return std::make_shared<HybridInputNormMapping>(); }

}  // namespace strata
