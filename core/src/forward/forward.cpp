// The reference forward driver: checks the model is one Strata can run, then embeds the
// tokens, runs each layer's blocks with their weights loaded just for that layer, and
// applies the final norm and the LM head.
#include "strata/forward/forward.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "forward/forward_internal.h"
#include "forward/layers.h"
#include "strata/formats/format_registry.h"
#include "strata/model/architecture.h"

namespace strata {
namespace {

using nlohmann::json;

// Config features the reference forward does not implement: refuse rather than be wrong.
Status check_features(const json& cfg, const ModelSpec& spec, const ForwardTraits& traits) {
    if (!traits.supported) return Status::unsupported("forward: model_type '" + spec.model_type + "' is not supported");
    if (spec.layer_kinds.empty() || spec.layer_kinds.size() != spec.layers)
        return Status::unsupported(
            "forward: the model's layer kinds are unknown (a Megatron hybrid pattern with "
            "MLP-only layers has no HF layer structure)");
    // Gated attention, GDN mixers and shared experts exist only in the GDN family's modules.
    if (!traits.gated_modules) {
        if (spec.has_mixer(MixerKind::GatedDeltaNet))
            return Status::unsupported("forward: gated DeltaNet layers outside qwen3_next / qwen3_5 models");
        if (spec.attention_output_gate) return Status::unsupported("forward: gated attention is not supported");
        if (spec.shared_expert_ffn && !traits.ungated_shared_expert)
            return Status::unsupported("forward: shared experts are not supported");
    }
    if (!cfg.is_object()) return Status::ok();
    if (cfg.value("attention_bias", false)) return Status::unsupported("forward: attention_bias is not supported");
    if (cfg.value("use_sliding_window", false))
        return Status::unsupported("forward: use_sliding_window is not supported");
    const auto act = cfg.find("hidden_act");
    if (act != cfg.end() && act->is_string() && *act != "silu")
        return Status::unsupported("forward: hidden_act '" + act->get<std::string>() + "' (only silu)");
    const auto mlp_act = cfg.find("mlp_hidden_act");
    if (mlp_act != cfg.end() && mlp_act->is_string() && *mlp_act != "relu2")
        return Status::unsupported("forward: mlp_hidden_act '" + mlp_act->get<std::string>() + "' (only relu2)");
    // Qwen3.5's rope_parameters also carry mrope_section / mrope_interleaved: text tokens have
    // the same position on all three mRoPE axes, so the rotation equals 1-D RoPE.
    for (const char* key : {"rope_scaling", "rope_parameters"}) {
        const auto rs = cfg.find(key);
        if (rs == cfg.end() || !rs->is_object()) continue;
        const std::string type = rs->value("rope_type", rs->value("type", std::string("default")));
        if (type != "default" && type != spec.rope_scaling_type)  // what the family read into ModelSpec runs
            return Status::unsupported("forward: " + std::string(key) + " type '" + type + "' is not supported");
    }
    return Status::ok();
}

std::string backend_why(const std::string& device, const std::string& why) {
    std::string m = "forward: device '" + device + "' is not available";
    if (!why.empty()) m += ": " + why;
    return m;
}

}  // namespace

const char* forward_precision_name(ForwardPrecision p) { return p == ForwardPrecision::BF16 ? "bf16" : "f32"; }

Result<ForwardResult> run_forward(const Checkpoint& ckpt, std::span<const int32_t> tokens,
                                  const ForwardOptions& options, ProgressSink& progress, const CancelToken& cancel) {
    using namespace fwd;
    const auto start = std::chrono::steady_clock::now();
    if (tokens.empty()) return Status::invalid_argument("forward: no tokens");
    STRATA_TRY(DetectedLayout detected, detect_layout(ckpt));
    STRATA_TRY(ModelSpec spec, model_spec_from_hf_config(detected.hf_config));
    auto arch = architecture_for_model_type(spec.model_type);
    if (!arch) return Status::unsupported("forward: " + arch.status().message());
    const ForwardTraits traits = (*arch)->forward_traits(spec);
    (*arch)->adjust_forward_spec(spec, detected.hf_config, detected.options.kind == LayoutKind::Megatron);
    STRATA_RETURN_IF_ERROR(check_features(detected.hf_config, spec, traits));
    for (size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 || static_cast<uint64_t>(tokens[i]) >= spec.vocab)
            return Status::invalid_argument("forward: token " + std::to_string(tokens[i]) + " at position " +
                                            std::to_string(i) + " is outside the vocabulary [0, " +
                                            std::to_string(spec.vocab) + ")");
    std::string why;
    kernels::Backend* be = kernels::backend_by_name(options.device, &why);
    if (!be) return Status::unsupported(backend_why(options.device, why));
    STRATA_RETURN_IF_ERROR(check_backend(*be, spec));
    STRATA_TRY(WeightSource weights, WeightSource::open(ckpt, spec, options.allow_unmapped));

    Residency res;
    Exec ex(*be, options.precision == ForwardPrecision::BF16);
    const auto T = static_cast<int64_t>(tokens.size());
    const auto H = static_cast<int64_t>(spec.hidden);
    const auto V = spec.vocab;
    std::vector<int32_t> positions(tokens.size());
    std::iota(positions.begin(), positions.end(), 0);
    const bool zc = traits.zero_centred_norms;
    const ForwardNames& names = traits.names;
    LayerCtx ctx{spec, weights, ex, res, cancel, positions, T, zc, traits.grouped_gdn_projection, names,
                 traits.ungated_shared_expert};
    const auto eps = static_cast<float>(spec.rms_norm_eps);
    progress.begin("forward", spec.layers + 2);

    // Embedding: gather the token rows and drop the table at once.
    std::vector<float> x(static_cast<size_t>(T * H));
    {
        STRATA_TRY(std::vector<float> table, weights.read_f32(names.embed, {V, spec.hidden}, res));
        for (int64_t t = 0; t < T; ++t)
            std::copy_n(table.data() + static_cast<int64_t>(tokens[static_cast<size_t>(t)]) * H, H, x.data() + t * H);
    }
    progress.advance(1);

    std::vector<float> h, out;
    for (int l = 0; l < static_cast<int>(spec.layers); ++l) {
        STRATA_RETURN_IF_ERROR(cancel.check());
        const std::string p = layer_prefix(ctx, l);
        const LayerKind kind = spec.layer_kinds[static_cast<size_t>(l)];
        if (kind.mixer != MixerKind::None) {
            STRATA_TRY(Weight n1, weights.load(p + names.mixer_norm, {spec.hidden}, *be, false, res));
            STRATA_RETURN_IF_ERROR(ex.rms_norm(x, T, H, n1, eps, h, zc));
        }
        switch (kind.mixer) {
            case MixerKind::Attention:
                STRATA_RETURN_IF_ERROR(attention_block(ctx, l, h, out));
                break;
            case MixerKind::Mamba2:
                STRATA_RETURN_IF_ERROR(traits.standard_mamba2 ? mamba2_block(ctx, l, h, out)
                                                              : mamba_block(ctx, l, h, out));
                break;
            case MixerKind::GatedDeltaNet:
                STRATA_RETURN_IF_ERROR(gdn_block(ctx, l, h, out));
                break;
            case MixerKind::None:
                break;
        }
        if (kind.mixer != MixerKind::None)
            for (size_t i = 0; i < x.size(); ++i) x[i] += out[i];
        if (kind.mlp != MlpKind::None) {
            {
                STRATA_TRY(Weight n2,
                           weights.load(p + names.mlp_norm, {spec.hidden}, *be, false, res));
                STRATA_RETURN_IF_ERROR(ex.rms_norm(x, T, H, n2, eps, h, zc));
            }
            if (kind.mlp == MlpKind::MoE) {
                STRATA_RETURN_IF_ERROR(moe_block(ctx, l, h, out));
            } else {
                STRATA_RETURN_IF_ERROR(dense_mlp_block(ctx, l, h, out));
            }
            for (size_t i = 0; i < x.size(); ++i) x[i] += out[i];
        }
        if (res.now != 0) return Status::internal("forward: layer " + std::to_string(l) + " left weights resident");
        progress.advance(1);
    }

    ForwardResult r;
    {
        STRATA_TRY(Weight fn, weights.load(names.final_norm, {spec.hidden}, *be, false, res));
        STRATA_RETURN_IF_ERROR(ex.rms_norm(x, T, H, fn, eps, h, zc));
    }
    {
        const std::string head = spec.tied_embeddings ? names.embed : names.lm_head;
        STRATA_TRY(Weight w, weights.load(head, {V, spec.hidden}, *be, ex.bf16(), res));
        STRATA_RETURN_IF_ERROR(ex.matmul(h, T, H, w, r.logits));
    }
    progress.advance(1);
    r.tokens = static_cast<uint64_t>(T);
    r.vocab = V;
    r.model_type = spec.model_type;
    r.layout = weights.layout_name();
    r.device = be->description();
    r.weight_bytes_read = res.read;
    r.peak_resident_bytes = res.peak;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

Result<ForwardResult> run_forward(const std::filesystem::path& path, std::span<const int32_t> tokens,
                                  const ForwardOptions& options, ProgressSink& progress, const CancelToken& cancel) {
    STRATA_TRY(Checkpoint ckpt, open_checkpoint(path));
    return run_forward(ckpt, tokens, options, progress, cancel);
}

Result<std::vector<int32_t>> parse_token_list(std::string_view text) {
    std::vector<int32_t> ids;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) ++i;
        if (i >= text.size()) break;
        size_t j = i;
        while (j < text.size() && text[j] != ',' && text[j] != ' ' && text[j] != '\t') ++j;
        const std::string_view item = text.substr(i, j - i);
        int64_t v = 0;
        bool ok = !item.empty() && item.size() <= 10;
        for (char ch : item) {
            if (ch < '0' || ch > '9')
                ok = false;
            else
                v = v * 10 + (ch - '0');
        }
        if (!ok || v > INT32_MAX)
            return Status::invalid_argument("--tokens: '" + std::string(item) +
                                            "' is not a token id (a non-negative integer)");
        ids.push_back(static_cast<int32_t>(v));
        i = j;
    }
    if (ids.empty()) return Status::invalid_argument("--tokens: no token ids given");
    return ids;
}

std::vector<TopToken> top_tokens(std::span<const float> row, int k) {
    std::vector<int32_t> order(row.size());
    std::iota(order.begin(), order.end(), 0);
    const auto kk = static_cast<size_t>(std::clamp<int64_t>(k, 0, static_cast<int64_t>(row.size())));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kk), order.end(),
                      [&](int32_t a, int32_t b) {
                          return row[static_cast<size_t>(a)] > row[static_cast<size_t>(b)] ||
                                 (row[static_cast<size_t>(a)] == row[static_cast<size_t>(b)] && a < b);
                      });
    double mx = -INFINITY;
    for (float v : row) mx = std::max(mx, static_cast<double>(v));
    double sum = 0.0;
    for (float v : row) sum += std::exp(static_cast<double>(v) - mx);
    std::vector<TopToken> top;
    for (size_t i = 0; i < kk; ++i) {
        const float v = row[static_cast<size_t>(order[i])];
        top.push_back({order[i], v, std::exp(static_cast<double>(v) - mx) / sum});
    }
    return top;
}

}  // namespace strata
