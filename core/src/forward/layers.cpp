// The blocks of the reference forward: Qwen3 attention (and Qwen3-Next's gated form), dense
// SwiGLU MLP, Qwen3-MoE sparse block (with Qwen3-Next's shared expert) and M1's Mamba2 mixer.
// Each loads its own weights and drops them on return, so at most one layer (for MoE: the
// router plus one expert) is resident at a time.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "forward/layers.h"

namespace strata::fwd {
namespace {

// Qwen3NextAttention's q_proj yields [q_h ; gate_h] per head (view(..., -1, 2 * head_dim) then
// chunk): split them into q [T, heads, hd] and gate [T, heads * hd].
void split_query_gate(std::vector<float>& q, std::vector<float>& gate, int64_t T, int64_t heads, int64_t hd) {
    std::vector<float> qq(static_cast<size_t>(T * heads * hd));
    gate.resize(qq.size());
    for (int64_t r = 0; r < T * heads; ++r) {
        std::copy_n(q.data() + r * 2 * hd, hd, qq.data() + r * hd);
        std::copy_n(q.data() + r * 2 * hd + hd, hd, gate.data() + r * hd);
    }
    q.swap(qq);
}

// An MLP of the model's activation (experts and shared experts follow the dense MLP's).
Status expert_mlp(const LayerCtx& c, const std::string& p, std::span<const float> x, int64_t rows, uint64_t ffn,
                  std::vector<float>& out) {
    if (c.spec.mlp_activation == MlpActivation::SquaredReLU) return squared_relu_mlp(c, p, x, rows, ffn, out);
    return swiglu(c, p, x, rows, ffn, out);
}

// transformers NemotronHTopkRouter (DeepSeek-V3's noaux_tc routing): scores = sigmoid(logits);
// choice = scores + bias; each of router_groups groups scored by the sum of its top two choices;
// the best router_topk_groups groups kept; top-k choices among them; weights = the scores of
// those experts, divided by their sum (+1e-20) when norm_topk_prob, times routed_scaling_factor.
Status sigmoid_group_topk(const ModelSpec& s, const std::vector<float>& logits, const std::vector<float>& bias,
                          int64_t T, std::vector<int32_t>& idx, std::vector<float>& weights) {
    const auto E = static_cast<int64_t>(s.experts), K = static_cast<int64_t>(s.experts_per_token);
    const auto G = static_cast<int64_t>(s.router_groups), KG = static_cast<int64_t>(s.router_topk_groups);
    if (G < 1 || E % G != 0 || E / G < 2 || KG < 1 || KG > G || K > KG * (E / G))
        return Status::unsupported("forward: router groups " + std::to_string(G) + " / top groups " +
                                   std::to_string(KG) + " do not fit " + std::to_string(E) + " experts, top-" +
                                   std::to_string(K));
    const int64_t per = E / G;
    idx.assign(static_cast<size_t>(T * K), 0);
    weights.assign(static_cast<size_t>(T * K), 0.0f);
    std::vector<float> score(static_cast<size_t>(E)), choice(score.size());
    std::vector<int64_t> order(static_cast<size_t>(std::max(E, G)));
    for (int64_t t = 0; t < T; ++t) {
        for (int64_t e = 0; e < E; ++e) {
            score[size_t(e)] = sigmoid(logits[size_t(t * E + e)]);
            choice[size_t(e)] = score[size_t(e)] + bias[size_t(e)];
        }
        std::vector<float> group_score(static_cast<size_t>(G));
        for (int64_t g = 0; g < G; ++g) {
            float a = -INFINITY, b = -INFINITY;  // the group's two best choices
            for (int64_t e = g * per; e < (g + 1) * per; ++e) {
                const float v = choice[size_t(e)];
                if (v > a) b = a, a = v;
                else if (v > b) b = v;
            }
            group_score[size_t(g)] = a + b;
        }
        std::vector<int64_t> groups(static_cast<size_t>(G));
        std::iota(groups.begin(), groups.end(), 0);
        std::stable_sort(groups.begin(), groups.end(),
                         [&](int64_t x, int64_t y) { return group_score[size_t(x)] > group_score[size_t(y)]; });
        std::vector<char> keep(static_cast<size_t>(G), 0);
        for (int64_t i = 0; i < KG; ++i) keep[size_t(groups[size_t(i)])] = 1;
        std::vector<int64_t> experts;
        for (int64_t e = 0; e < E; ++e)
            if (keep[size_t(e / per)]) experts.push_back(e);
        std::stable_sort(experts.begin(), experts.end(),
                         [&](int64_t x, int64_t y) { return choice[size_t(x)] > choice[size_t(y)]; });
        float sum = 0.0f;
        for (int64_t j = 0; j < K; ++j) sum += score[size_t(experts[size_t(j)])];
        for (int64_t j = 0; j < K; ++j) {
            const int64_t e = experts[size_t(j)];
            float w = score[size_t(e)];
            if (s.norm_topk_prob) w /= sum + 1e-20f;
            idx[size_t(t * K + j)] = static_cast<int32_t>(e);
            weights[size_t(t * K + j)] = w * static_cast<float>(s.routed_scaling_factor);
        }
    }
    return Status::ok();
}

// Qwen3NextSparseMoeBlock's shared expert: sigmoid(shared_expert_gate(h)) * swiglu(h), added
// after the routed experts (transformers adds it to their sum last).
// Nemotron-H's shared expert (ungated_shared_expert) is a squared-ReLU MLP added as is.
Status add_shared_expert(const LayerCtx& c, const std::string& p, std::span<const float> h, std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const auto T = c.tokens, H = static_cast<int64_t>(s.hidden);
    std::vector<float> shared, gate;
    STRATA_RETURN_IF_ERROR(expert_mlp(c, p + c.names.shared_expert, h, T, s.shared_expert_ffn, shared));
    if (c.ungated_shared_expert) {
        for (size_t i = 0; i < out.size(); ++i) out[i] += shared[i];
        return Status::ok();
    }
    {
        STRATA_TRY(Weight wg,
                   c.w.load(p + "shared_expert_gate.weight", {1, s.hidden}, c.ex.backend(), c.ex.bf16(), c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, wg, gate));
    }
    for (int64_t t = 0; t < T; ++t) {
        const float g = sigmoid(gate[static_cast<size_t>(t)]);
        for (int64_t i = 0; i < H; ++i)
            out[static_cast<size_t>(t * H + i)] += g * shared[static_cast<size_t>(t * H + i)];
    }
    return Status::ok();
}

// The start both Mamba2 layouts share: in_proj -> [z (d_inner) | xBC (conv_dim) | dt (heads)],
// then the depthwise causal conv + SiLU over xBC.
Status mamba_in_proj_conv(const LayerCtx& c, const std::string& p, std::span<const float> h, int64_t conv_dim,
                          std::vector<float>& z, std::vector<float>& xbc, std::vector<float>& dt) {
    const ModelSpec& s = c.spec;
    const MambaDims& m = s.mamba;
    const auto T = c.tokens, H = static_cast<int64_t>(s.hidden);
    const auto d_inner = static_cast<int64_t>(m.d_inner), nheads = static_cast<int64_t>(m.n_heads);
    const int64_t rows = d_inner + conv_dim + nheads;
    std::vector<float> zxbcdt;
    {
        STRATA_TRY(Weight w,
                   c.w.load(p + "in_proj.weight", {uint64_t(rows), s.hidden}, c.ex.backend(), c.ex.bf16(), c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, w, zxbcdt));
    }
    z.resize(static_cast<size_t>(T * d_inner));
    xbc.resize(static_cast<size_t>(T * conv_dim));
    dt.resize(static_cast<size_t>(T * nheads));
    for (int64_t t = 0; t < T; ++t) {
        const float* r = zxbcdt.data() + t * rows;
        std::copy_n(r, d_inner, z.data() + t * d_inner);
        std::copy_n(r + d_inner, conv_dim, xbc.data() + t * conv_dim);
        std::copy_n(r + d_inner + conv_dim, nheads, dt.data() + t * nheads);
    }
    STRATA_TRY(Weight cw, c.w.load(p + "conv1d.weight", {uint64_t(conv_dim), m.d_conv}, c.ex.backend(), false, c.res));
    STRATA_TRY(Weight cb, c.w.load(p + "conv1d.bias", {uint64_t(conv_dim)}, c.ex.backend(), false, c.res));
    std::vector<float> y;
    STRATA_RETURN_IF_ERROR(c.ex.conv1d(cs(xbc), T, conv_dim, cw, &cb, y));
    xbc.swap(y);
    return Status::ok();
}

kernels::SsmScanArgs scan_dims(int64_t len, int64_t heads, int64_t head_dim, int64_t groups, int64_t state,
                               float dt_min) {
    kernels::SsmScanArgs dims;
    dims.len = len;
    dims.heads = heads;
    dims.head_dim = head_dim;
    dims.groups = groups;
    dims.state_dim = state;
    dims.dt_min = dt_min;
    return dims;
}

// The end both Mamba2 layouts share: the selective scan with A = -exp(A_log), D and dt_bias; the
// gated RMSNorm (gate first, groups of d_inner / groups); out_proj.
Status mamba_scan_norm_out(const LayerCtx& c, const std::string& p, const kernels::SsmScanArgs& dims,
                           const std::vector<float>& x, const std::vector<float>& dt, const std::vector<float>& b,
                           const std::vector<float>& cm, const std::vector<float>& z, float eps,
                           std::vector<float>& out) {
    const MambaDims& m = c.spec.mamba;
    const auto T = c.tokens, d_inner = static_cast<int64_t>(m.d_inner);
    std::vector<float> y;
    {
        STRATA_TRY(std::vector<float> a_log, c.w.read_f32(p + "A_log", {m.n_heads}, c.res));
        std::vector<float> a(a_log.size());
        for (size_t i = 0; i < a.size(); ++i) a[i] = -std::exp(a_log[i]);  // A = -exp(A_log.float())
        STRATA_TRY(Weight d, c.w.load(p + "D", {m.n_heads}, c.ex.backend(), false, c.res));
        STRATA_TRY(Weight dtb, c.w.load(p + "dt_bias", {m.n_heads}, c.ex.backend(), false, c.res));
        STRATA_RETURN_IF_ERROR(c.ex.ssm_scan(dims, cs(x), cs(dt), cs(a), cs(b), cs(cm), d, dtb, y));
    }
    {
        STRATA_TRY(Weight nw, c.w.load(p + "norm.weight", {m.d_inner}, c.ex.backend(), false, c.res));
        std::vector<float> g;
        STRATA_RETURN_IF_ERROR(c.ex.gated_rms_norm(cs(y), cs(z), T, d_inner, d_inner / dims.groups, nw, eps,
                                                   kernels::GateOrder::GateThenNorm, g));
        y.swap(g);
    }
    STRATA_TRY(Weight wo, c.w.load(p + "out_proj.weight", {c.spec.hidden, m.d_inner}, c.ex.backend(), c.ex.bf16(), c.res));
    return c.ex.matmul(cs(y), T, d_inner, wo, out);
}

}  // namespace

// RoPE with rope_scaling type "llama3" (transformers modeling_rope_utils.py
// _compute_llama3_parameters): inverse frequencies whose wavelength exceeds
// original_max_position / low_freq_factor are divided by factor, those shorter than
// original_max_position / high_freq_factor kept, the band between interpolated. Applied on the
// host (rotate-half, as the rope kernel), in float32 like transformers.
Status rope_scaled(const ModelSpec& s, std::vector<float>& x, std::span<const int32_t> positions, int64_t heads,
                   int64_t hd) {
    if (s.rope_scaling_type != "llama3")
        return Status::unsupported("forward: rope_scaling type '" + s.rope_scaling_type + "' is not supported");
    const int64_t half = hd / 2;
    const auto factor = static_cast<float>(s.rope_scaling_factor);
    const auto low = static_cast<float>(s.rope_low_freq_factor), high = static_cast<float>(s.rope_high_freq_factor);
    const auto old_len = static_cast<float>(s.rope_original_max_position);
    const float low_wavelen = old_len / low, high_wavelen = old_len / high;
    std::vector<float> inv(static_cast<size_t>(half));
    for (int64_t i = 0; i < half; ++i) {
        const float f =
            1.0f / std::pow(static_cast<float>(s.rope_theta), static_cast<float>(2 * i) / static_cast<float>(hd));
        const float wavelen = 2.0f * static_cast<float>(M_PI) / f;
        float g = wavelen > low_wavelen ? f / factor : f;
        const float smooth = (old_len / wavelen - low) / (high - low);
        const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
        if (medium) g = (1.0f - smooth) * g / factor + smooth * g;
        inv[static_cast<size_t>(i)] = g;
    }
    const auto T = static_cast<int64_t>(positions.size());
    for (int64_t t = 0; t < T; ++t) {
        const auto pos = static_cast<float>(positions[static_cast<size_t>(t)]);
        for (int64_t i = 0; i < half; ++i) {
            const float ang = pos * inv[static_cast<size_t>(i)];
            const auto c = static_cast<float>(std::cos(static_cast<double>(ang)));
            const auto sn = static_cast<float>(std::sin(static_cast<double>(ang)));
            for (int64_t h = 0; h < heads; ++h) {
                float* p = x.data() + (t * heads + h) * hd;
                const float x1 = p[i], x2 = p[i + half];
                p[i] = x1 * c - x2 * sn;
                p[i + half] = x2 * c + x1 * sn;
            }
        }
    }
    return Status::ok();
}

// transformers models/qwen3/modeling_qwen3.py Qwen3Attention: q/k projected, RMSNorm per
// head (q_norm/k_norm over head_dim), RoPE (rotate-half), causal GQA softmax(qk^T/sqrt(d))v, o_proj.
// With attention_output_gate (models/qwen3_next/modeling_qwen3_next.py Qwen3NextAttention)
// q_proj also yields a per-head gate, the attention output is multiplied by sigmoid(gate)
// before o_proj, and q_norm/k_norm are zero-centred; RoPE may be partial (partial_rotary_factor).
Status attention_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const std::string p = layer_prefix(c, layer, c.names.attention);
    const auto T = c.tokens, H = static_cast<int64_t>(s.hidden);
    const auto nh = static_cast<int64_t>(s.heads), nkv = static_cast<int64_t>(s.kv_heads);
    const auto hd = static_cast<int64_t>(s.head_dim);
    const bool bf = c.ex.bf16();
    const uint64_t q_rows = s.heads * s.head_dim * (s.attention_output_gate ? 2 : 1);
    std::vector<float> q, k, v, tmp, gate;
    {
        STRATA_TRY(Weight wq, c.w.load(p + "q_proj.weight", {q_rows, s.hidden}, c.ex.backend(), bf, c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, wq, q));
    }
    if (s.attention_output_gate) split_query_gate(q, gate, T, nh, hd);
    {
        STRATA_TRY(Weight wk,
                   c.w.load(p + "k_proj.weight", {s.kv_heads * s.head_dim, s.hidden}, c.ex.backend(), bf, c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, wk, k));
    }
    {
        STRATA_TRY(Weight wv,
                   c.w.load(p + "v_proj.weight", {s.kv_heads * s.head_dim, s.hidden}, c.ex.backend(), bf, c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, wv, v));
    }
    if (s.qk_norm) {
        STRATA_TRY(Weight qn, c.w.load(p + "q_norm.weight", {s.head_dim}, c.ex.backend(), false, c.res));
        STRATA_TRY(Weight kn, c.w.load(p + "k_norm.weight", {s.head_dim}, c.ex.backend(), false, c.res));
        const auto eps = static_cast<float>(s.rms_norm_eps);
        STRATA_RETURN_IF_ERROR(c.ex.rms_norm(cs(q), T * nh, hd, qn, eps, tmp, c.zero_centred_norms));
        q.swap(tmp);
        STRATA_RETURN_IF_ERROR(c.ex.rms_norm(cs(k), T * nkv, hd, kn, eps, tmp, c.zero_centred_norms));
        k.swap(tmp);
    }
    const auto theta = static_cast<float>(s.rope_theta);
    const auto prf = static_cast<float>(s.partial_rotary_factor);
    if (!s.rotary) {
        // Nemotron-H attention: no position embedding (the Mamba2 layers carry position).
    } else if (!s.rope_scaling_type.empty()) {
        STRATA_RETURN_IF_ERROR(rope_scaled(s, q, c.positions, nh, hd));
        STRATA_RETURN_IF_ERROR(rope_scaled(s, k, c.positions, nkv, hd));
    } else {
        STRATA_RETURN_IF_ERROR(c.ex.rope(q, c.positions, nh, hd, theta, prf));
        STRATA_RETURN_IF_ERROR(c.ex.rope(k, c.positions, nkv, hd, theta, prf));
    }
    STRATA_RETURN_IF_ERROR(c.ex.attention(cs(q), cs(k), cs(v), T, nh, nkv, hd, tmp));
    for (size_t i = 0; i < gate.size(); ++i) tmp[i] *= sigmoid(gate[i]);
    STRATA_TRY(Weight wo, c.w.load(p + "o_proj.weight", {s.hidden, s.heads * s.head_dim}, c.ex.backend(), bf, c.res));
    return c.ex.matmul(cs(tmp), T, nh * hd, wo, out);
}

// Qwen3MLP / an expert: down(silu(gate(x)) * up(x)).
Status swiglu(const LayerCtx& c, const std::string& p, std::span<const float> x, int64_t rows, uint64_t ffn,
              std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const auto H = static_cast<int64_t>(s.hidden);
    const bool bf = c.ex.bf16();
    std::vector<float> g, u;
    {
        STRATA_TRY(Weight wg, c.w.load(p + "gate_proj.weight", {ffn, s.hidden}, c.ex.backend(), bf, c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(x, rows, H, wg, g));
    }
    {
        STRATA_TRY(Weight wu, c.w.load(p + "up_proj.weight", {ffn, s.hidden}, c.ex.backend(), bf, c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(x, rows, H, wu, u));
    }
    STRATA_RETURN_IF_ERROR(c.ex.silu_gate(cs(g), cs(u), g));
    STRATA_TRY(Weight wd, c.w.load(p + "down_proj.weight", {s.hidden, ffn}, c.ex.backend(), bf, c.res));
    return c.ex.matmul(cs(g), rows, static_cast<int64_t>(ffn), wd, out);
}

// transformers NemotronHMLP (mlp_hidden_act relu2): down(relu(up(x))^2), no gate projection.
Status squared_relu_mlp(const LayerCtx& c, const std::string& p, std::span<const float> x, int64_t rows, uint64_t ffn,
                        std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const bool bf = c.ex.bf16();
    std::vector<float> u;
    {
        STRATA_TRY(Weight wu, c.w.load(p + "up_proj.weight", {ffn, s.hidden}, c.ex.backend(), bf, c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(x, rows, static_cast<int64_t>(s.hidden), wu, u));
    }
    for (float& v : u) v = v > 0.0f ? v * v : 0.0f;
    STRATA_TRY(Weight wd, c.w.load(p + "down_proj.weight", {s.hidden, ffn}, c.ex.backend(), bf, c.res));
    return c.ex.matmul(cs(u), rows, static_cast<int64_t>(ffn), wd, out);
}

Status dense_mlp_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out) {
    const std::string p = layer_prefix(c, layer, c.names.mlp);
    if (c.spec.mlp_activation == MlpActivation::SquaredReLU) return squared_relu_mlp(c, p, h, c.tokens, c.spec.ffn, out);
    return swiglu(c, p, h, c.tokens, c.spec.ffn, out);
}

// transformers Qwen3MoeSparseMoeBlock: router logits -> softmax (f32) -> top-k -> divided by
// their sum when norm_topk_prob; each routed expert runs on its tokens and its output, times
// the routing weight, is added to those tokens in ascending expert order (HF's index_add_).
// Qwen3-Next / Qwen3.5 add a gated shared expert (add_shared_expert).
Status moe_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const std::string p = layer_prefix(c, layer, c.names.mlp);
    const auto T = c.tokens, H = static_cast<int64_t>(s.hidden), E = static_cast<int64_t>(s.experts);
    const auto K = static_cast<int64_t>(s.experts_per_token);
    std::vector<float> router, weights;
    std::vector<int32_t> idx;
    {
        STRATA_TRY(Weight gate, c.w.load(p + "gate.weight", {s.experts, s.hidden}, c.ex.backend(), c.ex.bf16(), c.res));
        STRATA_RETURN_IF_ERROR(c.ex.matmul(h, T, H, gate, router));
    }
    if (s.router == RouterKind::SigmoidGroupTopK) {
        STRATA_TRY(std::vector<float> bias, c.w.read_f32(p + "gate.e_score_correction_bias", {s.experts}, c.res));
        STRATA_RETURN_IF_ERROR(sigmoid_group_topk(s, router, bias, T, idx, weights));
    } else {
        STRATA_RETURN_IF_ERROR(c.ex.topk(cs(router), T, E, K, s.norm_topk_prob, idx, weights));
    }
    out.assign(static_cast<size_t>(T * H), 0.0f);
    std::vector<float> xe, ye;
    for (int64_t e = 0; e < E; ++e) {
        std::vector<std::pair<int64_t, float>> routed;  // (token, weight)
        for (int64_t t = 0; t < T; ++t)
            for (int64_t j = 0; j < K; ++j)
                if (idx[static_cast<size_t>(t * K + j)] == e)
                    routed.emplace_back(t, weights[static_cast<size_t>(t * K + j)]);
        if (routed.empty()) continue;  // HF skips experts no token chose; so do the weight reads
        STRATA_RETURN_IF_ERROR(c.cancel.check());
        const auto n = static_cast<int64_t>(routed.size());
        xe.resize(static_cast<size_t>(n * H));
        for (int64_t r = 0; r < n; ++r)
            std::copy_n(h.data() + routed[static_cast<size_t>(r)].first * H, H, xe.data() + r * H);
        STRATA_RETURN_IF_ERROR(expert_mlp(c, p + "experts." + std::to_string(e) + ".", cs(xe), n, s.expert_ffn, ye));
        for (int64_t r = 0; r < n; ++r) {
            const auto [t, w] = routed[static_cast<size_t>(r)];
            float* dst = out.data() + t * H;
            const float* src = ye.data() + r * H;
            for (int64_t i = 0; i < H; ++i) dst[i] += src[i] * w;
        }
    }
    if (s.shared_expert_ffn > 0) return add_shared_expert(c, p, h, out);
    return Status::ok();
}

// M1's Mamba2 mixer (jingshenghang/M1 mamba2/hybrid_mamba_layer.py, Mamba2.forward without a
// cache; facts/mamba-megatron.md §1.2): in_proj -> [z | x | B | C | dt]; depthwise causal conv
// + SiLU over [x | B | C] (un-repeated, repeat_kv_before_conv=False); x and B reshaped to
// d_xb/d_state KV groups and repeated so head h uses group h / repeat_group (HF repeat_kv);
// C has one group per head; scan with A = -exp(A_log), softplus(dt + dt_bias), D skip;
// RMSNormGated(norm_before_gate=False, group d_inner/ngroups, eps 1e-5); out_proj.
Status mamba_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const MambaDims& m = s.mamba;
    const std::string p = layer_prefix(c, layer, c.names.mamba);
    const auto T = c.tokens;
    const auto d_inner = static_cast<int64_t>(m.d_inner), d_xb = static_cast<int64_t>(m.x_db);
    const auto nheads = static_cast<int64_t>(m.n_heads), ngroups = static_cast<int64_t>(m.n_groups);
    const auto d_state = static_cast<int64_t>(m.d_state), headdim = static_cast<int64_t>(m.head_dim);
    if (d_state == 0 || d_xb % d_state != 0 || nheads * headdim != d_inner || ngroups != nheads || headdim != d_state)
        return Status::unsupported(
            "forward: M1 Mamba2 needs nheads = ngroups, headdim = d_state, d_xb a multiple "
            "of d_state (mamba_config gives d_inner " +
            std::to_string(d_inner) + ", d_xb " + std::to_string(d_xb) + ", ngroups " + std::to_string(ngroups) +
            ", d_state " + std::to_string(d_state) + ")");
    const int64_t xb_groups = d_xb / d_state;
    if (xb_groups == 0 || nheads % xb_groups != 0)
        return Status::unsupported("forward: M1 Mamba2: " + std::to_string(nheads) + " heads do not split over " +
                                   std::to_string(xb_groups) + " x/B groups");
    const int64_t repeat = nheads / xb_groups;
    const int64_t conv_dim = d_inner + 2 * d_xb;
    // M1 uses causal_conv1d_fn; its pure-torch fallback slices the wrong end of the padded
    // output ([:, -(d_conv-1):]), so the kernel's causal conv is the reference.
    std::vector<float> z, xbc, dt;
    STRATA_RETURN_IF_ERROR(mamba_in_proj_conv(c, p, h, conv_dim, z, xbc, dt));
    // Repeat x and B per KV group: head h reads group h / repeat (HF repeat_kv order).
    std::vector<float> x(static_cast<size_t>(T * nheads * d_state)), b(x.size()),
        cm(static_cast<size_t>(T * ngroups * d_state));
    for (int64_t t = 0; t < T; ++t) {
        const float* r = xbc.data() + t * conv_dim;
        for (int64_t hh = 0; hh < nheads; ++hh) {
            const int64_t g = hh / repeat;
            std::copy_n(r + g * d_state, d_state, x.data() + (t * nheads + hh) * d_state);
            std::copy_n(r + d_xb + g * d_state, d_state, b.data() + (t * nheads + hh) * d_state);
        }
        std::copy_n(r + 2 * d_xb, ngroups * d_state, cm.data() + t * ngroups * d_state);
    }
    return mamba_scan_norm_out(c, p, scan_dims(T, nheads, headdim, ngroups, d_state, 0.0f), x, dt, b, cm, z, 1e-5f, out);
}

// The standard Mamba2 mixer (transformers NemotronHMamba2Mixer.torch_forward; Megatron
// MambaMixer): in_proj -> [z | xBC | dt] with xBC = [x (d_inner) | B (groups * d_state) |
// C (groups * d_state)]; depthwise causal conv + SiLU over xBC; head h reads B/C group
// h / (heads / groups); dt = clamp(softplus(dt + dt_bias), time_step_min); D skip;
// RMSNormGated(gate first, groups of d_inner / n_groups, eps layer_norm_epsilon); out_proj.
Status mamba2_block(const LayerCtx& c, int layer, std::span<const float> h, std::vector<float>& out) {
    const ModelSpec& s = c.spec;
    const MambaDims& m = s.mamba;
    const std::string p = layer_prefix(c, layer, c.names.mamba);
    const auto T = c.tokens;
    const auto d_inner = static_cast<int64_t>(m.d_inner), nheads = static_cast<int64_t>(m.n_heads);
    const auto ngroups = static_cast<int64_t>(m.n_groups), d_state = static_cast<int64_t>(m.d_state);
    if (ngroups == 0 || nheads % ngroups != 0 || static_cast<int64_t>(m.head_dim) * nheads != d_inner)
        return Status::unsupported("forward: Mamba2 needs heads x head_dim = d_inner and groups dividing heads");
    const int64_t bc = ngroups * d_state, conv_dim = d_inner + 2 * bc;
    std::vector<float> z, xbc, dt;
    STRATA_RETURN_IF_ERROR(mamba_in_proj_conv(c, p, h, conv_dim, z, xbc, dt));
    std::vector<float> x(static_cast<size_t>(T * d_inner)), b(static_cast<size_t>(T * bc)), cm(b.size());
    for (int64_t t = 0; t < T; ++t) {
        const float* r = xbc.data() + t * conv_dim;
        std::copy_n(r, d_inner, x.data() + t * d_inner);
        std::copy_n(r + d_inner, bc, b.data() + t * bc);
        std::copy_n(r + d_inner + bc, bc, cm.data() + t * bc);
    }
    const auto dims = scan_dims(T, nheads, static_cast<int64_t>(m.head_dim), ngroups, d_state, static_cast<float>(m.dt_min));
    return mamba_scan_norm_out(c, p, dims, x, dt, b, cm, z, static_cast<float>(s.rms_norm_eps), out);
}

}  // namespace strata::fwd
