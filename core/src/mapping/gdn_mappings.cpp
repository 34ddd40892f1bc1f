// GDN hybrid mapping kinds (facts bridge-mappings §1.8, §3.2-3.6; Megatron-Bridge
// param_mapping.py GDNLinearMapping / GDNLinearMappingSeparate / GDNConv1dMapping and
// merge_qkv_weights with attention_output_gate; Megatron-Core ssm/gated_delta_net.py for
// the per-rank row order, fixed for TP > 1 in Megatron-Bridge#1694).
#include "strata/mapping/gdn_mappings.h"

namespace strata {
namespace {

// Rows [from, from + rows) of a canonical tensor (all other dims whole) land at row `at`
// of the stored tensor `t` of shape `stored`.
Status add_rows(MappingContext& ctx, const MappingMember& m, uint64_t from, uint64_t rows, uint32_t t,
                const Shape& stored, uint64_t at) {
    const auto& c = ctx.canonical(m.canonical);
    Box box{std::vector<uint64_t>(c.shape.size(), 0), c.shape};
    box.start[0] = from;
    box.extent[0] = rows;
    std::vector<uint64_t> start(stored.size(), 0);
    start[0] = at;
    return ctx.add_piece(m.canonical, box, t, stored, start);
}

Status expect_shape(const TensorEntry& c, const Shape& want, const char* what) {
    if (c.shape != want)
        return Status::invalid_argument(std::string(what) + " has shape " + shape_to_string(c.shape) +
                                        ", the config implies " + shape_to_string(want))
            .in_tensor(c.name);
    return Status::ok();
}

struct GdnSizes {
    uint64_t nk, nv, dk, dv, ratio, qk, v;
};

Result<GdnSizes> gdn_sizes(const MappingContext& ctx, const std::string& name) {
    const GdnDims& d = ctx.spec().gdn;
    if (d.key_heads == 0 || d.value_heads == 0 || d.value_heads % d.key_heads != 0)
        return Status::invalid_argument("the model has no valid GDN head counts").in_tensor(name);
    return GdnSizes{d.key_heads,
                    d.value_heads,
                    d.key_head_dim,
                    d.value_head_dim,
                    d.value_heads / d.key_heads,
                    d.key_heads * d.key_head_dim,
                    d.value_heads * d.value_head_dim};
}

// Megatron shards GDN by key head (and the value heads that follow it).
Status check_gdn_tp(const GdnSizes& s, uint64_t tp, const std::string& name) {
    if (s.nk % tp != 0 || s.nv % tp != 0)
        return Status::invalid_argument("TP " + std::to_string(tp) + " must divide the " + std::to_string(s.nk) +
                                        " GDN key heads and " + std::to_string(s.nv) + " value heads")
            .in_tensor(name);
    return Status::ok();
}

class GdnInProjGroupedMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "gdn-in-proj"; }
    std::vector<std::string> roles() const override { return {"qkvz", "ba"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_TRY(const MappingMember* qkvz, g.one("qkvz"));
        STRATA_TRY(const MappingMember* ba, g.one("ba"));
        STRATA_TRY(GdnSizes s, gdn_sizes(ctx, g.layout_name));
        const auto& cq = ctx.canonical(qkvz->canonical);
        const uint64_t h = cq.shape.size() == 2 ? cq.shape[1] : 0;
        const uint64_t blk = 2 * s.dk + 2 * s.ratio * s.dv;  // rows per key head in in_proj_qkvz
        STRATA_RETURN_IF_ERROR(expect_shape(cq, {s.nk * blk, h}, "in_proj_qkvz"));
        STRATA_RETURN_IF_ERROR(expect_shape(ctx.canonical(ba->canonical), {2 * s.nv, h}, "in_proj_ba"));
        STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
        STRATA_TRY(auto shards, ctx.shards(g, false));
        for (const auto& shard : shards) {
            const auto tp = static_cast<uint64_t>(shard.splits);
            STRATA_RETURN_IF_ERROR(check_gdn_tp(s, tp, g.layout_name));
            const uint64_t kl = s.nk / tp, vr = s.ratio * s.dv;  // local key heads, v rows per key head
            const Shape stored{(2 * s.qk + 2 * s.v + 2 * s.nv) / tp, h};
            STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, cq.dtype, stored));
            const uint64_t q0 = 0, k0 = kl * s.dk, v0 = 2 * kl * s.dk, z0 = v0 + kl * vr, b0 = z0 + kl * vr,
                           a0 = b0 + kl * s.ratio;
            for (uint64_t i = 0; i < kl; ++i) {
                const uint64_t head = static_cast<uint64_t>(shard.split) * kl + i, base = head * blk;
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *qkvz, base, s.dk, t, stored, q0 + i * s.dk));
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *qkvz, base + s.dk, s.dk, t, stored, k0 + i * s.dk));
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *qkvz, base + 2 * s.dk, vr, t, stored, v0 + i * vr));
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *qkvz, base + 2 * s.dk + vr, vr, t, stored, z0 + i * vr));
                const uint64_t bb = head * 2 * s.ratio;  // in_proj_ba: [b (r); a (r)] per key head
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *ba, bb, s.ratio, t, stored, b0 + i * s.ratio));
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *ba, bb + s.ratio, s.ratio, t, stored, a0 + i * s.ratio));
            }
        }
        return Status::ok();
    }
};

class GdnInProjSeparateMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "gdn-in-proj-separate"; }
    std::vector<std::string> roles() const override { return {"qkv", "z", "b", "a"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_TRY(const MappingMember* qkv, g.one("qkv"));
        STRATA_TRY(const MappingMember* z, g.one("z"));
        STRATA_TRY(const MappingMember* b, g.one("b"));
        STRATA_TRY(const MappingMember* a, g.one("a"));
        STRATA_TRY(GdnSizes s, gdn_sizes(ctx, g.layout_name));
        const auto& cq = ctx.canonical(qkv->canonical);
        const uint64_t h = cq.shape.size() == 2 ? cq.shape[1] : 0;
        STRATA_RETURN_IF_ERROR(expect_shape(cq, {2 * s.qk + s.v, h}, "in_proj_qkv"));
        STRATA_RETURN_IF_ERROR(expect_shape(ctx.canonical(z->canonical), {s.v, h}, "in_proj_z"));
        STRATA_RETURN_IF_ERROR(expect_shape(ctx.canonical(b->canonical), {s.nv, h}, "in_proj_b"));
        STRATA_RETURN_IF_ERROR(expect_shape(ctx.canonical(a->canonical), {s.nv, h}, "in_proj_a"));
        STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
        STRATA_TRY(auto shards, ctx.shards(g, false));
        for (const auto& shard : shards) {
            const auto tp = static_cast<uint64_t>(shard.splits), r = static_cast<uint64_t>(shard.split);
            STRATA_RETURN_IF_ERROR(check_gdn_tp(s, tp, g.layout_name));
            const uint64_t ql = s.qk / tp, vl = s.v / tp, hl = s.nv / tp;
            const Shape stored{2 * ql + 2 * vl + 2 * hl, h};
            STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, cq.dtype, stored));
            STRATA_RETURN_IF_ERROR(add_rows(ctx, *qkv, r * ql, ql, t, stored, 0));                   // Q_r
            STRATA_RETURN_IF_ERROR(add_rows(ctx, *qkv, s.qk + r * ql, ql, t, stored, ql));           // K_r
            STRATA_RETURN_IF_ERROR(add_rows(ctx, *qkv, 2 * s.qk + r * vl, vl, t, stored, 2 * ql));   // V_r
            STRATA_RETURN_IF_ERROR(add_rows(ctx, *z, r * vl, vl, t, stored, 2 * ql + vl));           // Z_r
            STRATA_RETURN_IF_ERROR(add_rows(ctx, *b, r * hl, hl, t, stored, 2 * ql + 2 * vl));       // B_r
            STRATA_RETURN_IF_ERROR(add_rows(ctx, *a, r * hl, hl, t, stored, 2 * ql + 2 * vl + hl));  // A_r
        }
        return Status::ok();
    }
};

class GdnConv1dMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "gdn-conv1d"; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        if (g.members.size() != 1) return Status::internal("GDN conv1d rule maps more than one tensor");
        const MappingMember& m = g.members[0];
        STRATA_TRY(GdnSizes s, gdn_sizes(ctx, g.layout_name));
        const auto& c = ctx.canonical(m.canonical);
        if (c.shape.empty() || c.shape[0] != 2 * s.qk + s.v)
            return Status::invalid_argument("conv1d has shape " + shape_to_string(c.shape) + ", the config implies " +
                                            std::to_string(2 * s.qk + s.v) + " channels")
                .in_tensor(c.name);
        STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
        STRATA_TRY(auto shards, ctx.shards(g, false));
        for (const auto& shard : shards) {
            const auto tp = static_cast<uint64_t>(shard.splits), r = static_cast<uint64_t>(shard.split);
            STRATA_RETURN_IF_ERROR(check_gdn_tp(s, tp, g.layout_name));
            const uint64_t ql = s.qk / tp, vl = s.v / tp;
            Shape stored = c.shape;
            stored[0] = 2 * ql + vl;
            STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, c.dtype, stored));
            STRATA_RETURN_IF_ERROR(add_rows(ctx, m, r * ql, ql, t, stored, 0));
            STRATA_RETURN_IF_ERROR(add_rows(ctx, m, s.qk + r * ql, ql, t, stored, ql));
            STRATA_RETURN_IF_ERROR(add_rows(ctx, m, 2 * s.qk + r * vl, vl, t, stored, 2 * ql));
        }
        return Status::ok();
    }
};

class GatedQkvMapping final : public ParamMapping {
public:
    const char* kind_name() const override { return "gated-qkv"; }
    std::vector<std::string> roles() const override { return {"q", "k", "v"}; }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        STRATA_TRY(const MappingMember* q, g.one("q"));
        STRATA_TRY(const MappingMember* k, g.one("k"));
        STRATA_TRY(const MappingMember* v, g.one("v"));
        const ModelSpec& spec = ctx.spec();
        const uint64_t nh = spec.heads, ng = spec.kv_heads, hd = spec.head_dim;
        if (ng == 0 || nh % ng != 0) return Status::invalid_argument("bad query groups").in_tensor(g.layout_name);
        const uint64_t hpg = nh / ng;
        const auto& cq = ctx.canonical(q->canonical);
        const uint64_t h = cq.shape.size() == 2 ? cq.shape[1] : 0;
        STRATA_RETURN_IF_ERROR(expect_shape(cq, {2 * nh * hd, h}, "gated q_proj ([q; gate] per head)"));
        STRATA_RETURN_IF_ERROR(expect_shape(ctx.canonical(k->canonical), {ng * hd, h}, "k_proj"));
        STRATA_RETURN_IF_ERROR(expect_shape(ctx.canonical(v->canonical), {ng * hd, h}, "v_proj"));
        STRATA_TRY(std::string name, ctx.local_name(g, g.layout_name));
        STRATA_TRY(auto shards, ctx.shards(g, false));
        const uint64_t block = (2 * hpg + 2) * hd;  // rows per query group
        for (const auto& shard : shards) {
            const auto tp = static_cast<uint64_t>(shard.splits);
            if (ng % tp != 0)
                return Status::invalid_argument(std::to_string(ng) + " query groups do not split over TP " +
                                                std::to_string(tp))
                    .in_tensor(g.layout_name);
            const uint64_t gl = ng / tp;
            const Shape stored{gl * block, h};
            STRATA_TRY(uint32_t t, ctx.add_tensor(name, shard.rank, cq.dtype, stored));
            for (uint64_t j = 0; j < gl; ++j) {
                const uint64_t group = static_cast<uint64_t>(shard.split) * gl + j, row = j * block;
                for (uint64_t i = 0; i < hpg; ++i) {
                    const uint64_t head = group * hpg + i;
                    STRATA_RETURN_IF_ERROR(add_rows(ctx, *q, head * 2 * hd, hd, t, stored, row + i * hd));
                    STRATA_RETURN_IF_ERROR(add_rows(ctx, *q, head * 2 * hd + hd, hd, t, stored, row + (hpg + i) * hd));
                }
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *k, group * hd, hd, t, stored, row + 2 * hpg * hd));
                STRATA_RETURN_IF_ERROR(add_rows(ctx, *v, group * hd, hd, t, stored, row + (2 * hpg + 1) * hd));
            }
        }
        return Status::ok();
    }
};

// Layer index of "...layers.<N>...", or -1.
int layer_index(const std::string& name) {
    const size_t at = name.find("layers.");
    if (at == std::string::npos) return -1;
    size_t i = at + 7, j = i;
    while (j < name.size() && name[j] >= '0' && name[j] <= '9') ++j;
    return j == i ? -1 : std::stoi(name.substr(i, j - i));
}

class LayerNamedMapping final : public ParamMapping {
public:
    LayerNamedMapping(MappingPtr inner, LayerSelect select, std::string from, std::string to)
        : inner_(std::move(inner)), select_(select), from_(std::move(from)), to_(std::move(to)) {}
    const char* kind_name() const override { return inner_->kind_name(); }
    std::vector<std::string> roles() const override { return inner_->roles(); }
    Status expand(const MappingGroup& g, MappingContext& ctx) const override {
        const int layer = layer_index(g.layout_name);
        const auto& kinds = ctx.spec().layer_kinds;
        if (layer < 0 || static_cast<size_t>(layer) >= kinds.size())
            return Status::invalid_argument("layer " + std::to_string(layer) + " is not a layer of the model's " +
                                            std::to_string(kinds.size()))
                .in_tensor(g.layout_name);
        const LayerKind k = kinds[static_cast<size_t>(layer)];
        const bool rename =
            select_ == LayerSelect::GdnMixer ? k.mixer == MixerKind::GatedDeltaNet : k.mlp == MlpKind::MoE;
        if (!rename) return inner_->expand(g, ctx);
        const size_t at = g.layout_name.find(from_);
        if (at == std::string::npos)
            return Status::internal("layer_named rule: '" + from_ + "' not in '" + g.layout_name + "'");
        MappingGroup renamed = g;
        renamed.layout_name = g.layout_name.substr(0, at) + to_ + g.layout_name.substr(at + from_.size());
        return inner_->expand(renamed, ctx);
    }

private:
    MappingPtr inner_;
    LayerSelect select_;
    std::string from_, to_;
};

}  // namespace

MappingPtr gdn_in_proj_grouped() { return std::make_shared<GdnInProjGroupedMapping>(); }
MappingPtr gdn_in_proj_separate() { return std::make_shared<GdnInProjSeparateMapping>(); }
MappingPtr gdn_conv1d() { return std::make_shared<GdnConv1dMapping>(); }
MappingPtr gated_qkv() { return std::make_shared<GatedQkvMapping>(); }
MappingPtr layer_named(MappingPtr inner, LayerSelect select, std::string from, std::string to) {
    return std::make_shared<LayerNamedMapping>(std::move(inner), select, std::move(from), std::move(to));
}

}  // namespace strata
