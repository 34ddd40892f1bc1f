// The Gated DeltaNet mixer of Qwen3-Next and Qwen3.5 for the reference forward, after
// transformers models/qwen3_next/modeling_qwen3_next.py Qwen3NextGatedDeltaNet and
// models/qwen3_5/modeling_qwen3_5.py Qwen3_5GatedDeltaNet (prefill without a cache):
//   projections -> mixed [Q ; K ; V] (flat, head-major), z, b, a
//   depthwise causal conv1d + SiLU over the mixed channels, split into q, k, v heads
//   beta = sigmoid(b), g = -exp(A_log) * softplus(a + dt_bias)
//   gated delta rule (q, k l2-normalised; value head j reads key head j / (nv / nk))
//   RMSNormGated per value head (norm, then * weight, then * silu(z); weight not zero-centred)
//   out_proj.
// Only the projections differ: Qwen3-Next groups in_proj_qkvz / in_proj_ba by key head,
// Qwen3.5 stores in_proj_qkv / in_proj_z / in_proj_b / in_proj_a flat.
#include <algorithm>
#include <cmath>

#include "forward/layers.h"

namespace strata::fwd {
namespace {

struct GdnShape {
    int64_t nk = 0, nv = 0, dk = 0, dv = 0;
    int64_t ratio() const { return nv / nk; }      // value heads per key head
    int64_t key_dim() const { return nk * dk; }    // Q (and K) channels
    int64_t value_dim() const { return nv * dv; }  // V (and Z) channels
    int64_t conv_dim() const { return 2 * key_dim() + value_dim(); }
};

// The mixer's inputs per token, in transformers' flat order after projection.
struct Projected {
    std::vector<float> qkv;  // [T, conv_dim] = [Q ; K ; V], each head-major
    std::vector<float> z;    // [T, value_dim]
    std::vector<float> b;    // [T, nv]
    std::vector<float> a;    // [T, nv]
};

// Qwen3-Next: in_proj_qkvz rows are, per key head kh, [q_kh (dk) ; k_kh (dk) ; v (r dv) ; z (r dv)]
// and in_proj_ba rows [b (r) ; a (r)] (fix_query_key_value_ordering); regroup them flat.
Status project_grouped(const LayerCtx& c, const std::string& p, std::span<const float> h, const GdnShape& g,
                       Projected& out) {
    const ModelSpec& s = c.spec;
    const auto T = c.tokens, H = static_cast<int64_t>(s.hidden);
    const int64_t r = g.ratio(), qk = g.key_dim(), vd = g.value_dim();
    const int64_t group = 2 * g.dk + 2 * r * g.dv;
    std::vector<float> qkvz, ba;
    {
        STRATA_TRY(Weight w, c.w.load(p + "in_proj_qkvz.weight", {uint64_t(g.nk * group), s.hidden}, c.ex.backend(),
                                      c.ex.bf16(), c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, w, qkvz));
    }
    {
        STRATA_TRY(Weight w, c.w.load(p + "in_proj_ba.weight", {uint64_t(2 * g.nv), s.hidden}, c.ex.backend(),
                                      c.ex.bf16(), c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, w, ba));
    }
    out.qkv.resize(static_cast<size_t>(T * g.conv_dim()));
    out.z.resize(static_cast<size_t>(T * vd));
    out.b.resize(static_cast<size_t>(T * g.nv));
    out.a.resize(out.b.size());
    for (int64_t t = 0; t < T; ++t) {
        float* mixed = out.qkv.data() + t * g.conv_dim();
        for (int64_t kh = 0; kh < g.nk; ++kh) {
            const float* src = qkvz.data() + t * g.nk * group + kh * group;
            std::copy_n(src, g.dk, mixed + kh * g.dk);
            std::copy_n(src + g.dk, g.dk, mixed + qk + kh * g.dk);
            std::copy_n(src + 2 * g.dk, r * g.dv, mixed + 2 * qk + kh * r * g.dv);
            std::copy_n(src + 2 * g.dk + r * g.dv, r * g.dv, out.z.data() + t * vd + kh * r * g.dv);
            const float* bsrc = ba.data() + t * 2 * g.nv + kh * 2 * r;
            std::copy_n(bsrc, r, out.b.data() + t * g.nv + kh * r);
            std::copy_n(bsrc + r, r, out.a.data() + t * g.nv + kh * r);
        }
    }
    return Status::ok();
}

// Qwen3.5: the four projections are already flat.
Status project_separate(const LayerCtx& c, const std::string& p, std::span<const float> h, const GdnShape& g,
                        Projected& out) {
    const ModelSpec& s = c.spec;
    const auto T = c.tokens, H = static_cast<int64_t>(s.hidden);
    const std::pair<const char*, std::pair<int64_t, std::vector<float>*>> parts[] = {
        {"in_proj_qkv.weight", {g.conv_dim(), &out.qkv}},
        {"in_proj_z.weight", {g.value_dim(), &out.z}},
        {"in_proj_b.weight", {g.nv, &out.b}},
        {"in_proj_a.weight", {g.nv, &out.a}},
    };
    for (const auto& [name, rows_dst] : parts) {
        STRATA_TRY(Weight w,
                   c.w.load(p + name, {uint64_t(rows_dst.first), s.hidden}, c.ex.backend(), c.ex.bf16(), c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, w, *rows_dst.second));
    }
    return Status::ok();
}

// torch's softplus (threshold 20), in f32 as transformers computes it.
float softplus(float v) { return v > 20.0f ? v : std::log1p(std::exp(v)); }

// g = -exp(A_log) * softplus(a + dt_bias) (the log decay), beta = sigmoid(b); in place on a and b.
Status decay_and_beta(const LayerCtx& c, const std::string& p, const GdnShape& g, Projected& x) {
    STRATA_TRY(std::vector<float> a_log, c.w.read_f32(p + "A_log", {uint64_t(g.nv)}, c.res));
    STRATA_TRY(std::vector<float> dt_bias, c.w.read_f32(p + "dt_bias", {uint64_t(g.nv)}, c.res));
    for (int64_t t = 0; t < c.tokens; ++t)
        for (int64_t h = 0; h < g.nv; ++h) {
            const auto i = static_cast<size_t>(t * g.nv + h);
            const auto hh = static_cast<size_t>(h);
            x.a[i] = -std::exp(a_log[hh]) * softplus(x.a[i] + dt_bias[hh]);
            x.b[i] = sigmoid(x.b[i]);
        }
    return Status::ok();
}

// Splits the convolved [Q ; K ; V] rows into q, k [T, nk, dk] and v [T, nv, dv].
void split_qkv(std::span<const float> mixed, const GdnShape& g, int64_t T, std::vector<float>& q, std::vector<float>& k,
               std::vector<float>& v) {
    const int64_t qk = g.key_dim(), vd = g.value_dim();
    q.resize(static_cast<size_t>(T * qk));
    k.resize(q.size());
    v.resize(static_cast<size_t>(T * vd));
    for (int64_t t = 0; t < T; ++t) {
        const float* row = mixed.data() + t * g.conv_dim();
        std::copy_n(row, qk, q.data() + t * qk);
        std::copy_n(row + qk, qk, k.data() + t * qk);
        std::copy_n(row + 2 * qk, vd, v.data() + t * vd);
    }
}

}  // namespace

Status gdn_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const GdnDims& d = s.gdn;
    const GdnShape g{static_cast<int64_t>(d.key_heads), static_cast<int64_t>(d.value_heads),
                     static_cast<int64_t>(d.key_head_dim), static_cast<int64_t>(d.value_head_dim)};
    if (g.nk <= 0 || g.nv % g.nk != 0 || g.dk <= 0 || g.dv <= 0)
        return Status::unsupported(
            "forward: Gated DeltaNet needs linear_num_value_heads a multiple of "
            "linear_num_key_heads and positive head dims");
    const std::string p = layer_prefix(c, layer, "linear_attn.");
    const auto T = c.tokens;
    Projected x;
    if (c.grouped_gdn_projection) {
        STRATA_RETURN_IF_ERROR(project_grouped(c, p, h, g, x));
    } else {
        STRATA_RETURN_IF_ERROR(project_separate(c, p, h, g, x));
    }
    {
        // No conv bias in Qwen3-Next / Qwen3.5 (nn.Conv1d(bias=False)).
        STRATA_TRY(Weight cw, c.w.load(p + "conv1d.weight", {uint64_t(g.conv_dim()), d.conv_kernel}, c.ex.backend(),
                                       false, c.res));
        std::vector<float> y;
        STRATA_RETURN_IF_ERROR(c.ex.conv1d(cs(x.qkv), T, g.conv_dim(), cw, nullptr, y));
        x.qkv.swap(y);
    }
    STRATA_RETURN_IF_ERROR(decay_and_beta(c, p, g, x));
    std::vector<float> q, k, v, core;
    split_qkv(cs(x.qkv), g, T, q, k, v);
    kernels::GatedDeltaArgs dims;
    dims.len = T;
    dims.k_heads = g.nk;
    dims.v_heads = g.nv;
    dims.k_dim = g.dk;
    dims.v_dim = g.dv;
    dims.l2norm_qk = true;  // use_qk_l2norm_in_kernel=True
    STRATA_RETURN_IF_ERROR(c.ex.gated_delta(dims, cs(q), cs(k), cs(v), cs(x.a), cs(x.b), core));
    {
        STRATA_TRY(Weight nw, c.w.load(p + "norm.weight", {d.value_head_dim}, c.ex.backend(), false, c.res));
        std::vector<float> y;
        STRATA_RETURN_IF_ERROR(c.ex.gated_rms_norm(cs(core), cs(x.z), T * g.nv, g.dv, 0, nw,
                                                   static_cast<float>(s.rms_norm_eps), kernels::GateOrder::NormThenGate,
                                                   y));
        core.swap(y);
    }
    STRATA_TRY(Weight wo, c.w.load(p + "out_proj.weight", {s.hidden, uint64_t(g.value_dim())}, c.ex.backend(),
                                   c.ex.bf16(), c.res));
    return c.ex.matmul(cs(core), T, g.value_dim(), wo, out);
}

}  // namespace strata::fwd
