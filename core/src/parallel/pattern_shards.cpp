// Pattern shards: choose the config a hybrid pattern describes, lay it out, check its stages.
#include "strata/parallel/pattern_shards.h"

#include "strata/formats/checkpoint.h"
#include "strata/hybrid/hybrid_layout.h"
#include "strata/hybrid/hybridize.h"
#include "strata/model/architecture.h"
#include "strata/model/hf_layout.h"
#include "strata/parallel/checks.h"

namespace strata {

namespace {

using nlohmann::json;

std::string kind_text(const LayerKind& k) {
    return std::string(mixer_kind_name(k.mixer)) + " + " + mlp_kind_name(k.mlp) + " MLP";
}

std::string list_text(const std::vector<int>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return "{" + s + "}";
}

// The pattern as one LayerKind per HF layer, counted the model family's way. A '-' is the
// model's MoE MLP when the pattern has no 'E' (MindSpeed's pre-'E' scripts;
// model_spec_from_megatron_args reads args the same way).
Result<std::vector<LayerKind>> pattern_kinds(const LayerPattern& pattern, const ModelSpec& model) {
    const bool has_e = pattern.layers.find(symbol::kMoE) != std::string::npos;
    auto kinds = hf_layers_from_pattern(pattern.layers, hf_layer_convention_for(model),
                                        model.is_moe() && !has_e ? MlpKind::MoE : MlpKind::Dense);
    if (!kinds)
        return Status::invalid_argument("the pattern has no per-HF-layer form, so no model's tensors map onto it: " +
                                        kinds.status().message());
    return kinds;
}

bool m1_mixer(MixerKind m) { return m == MixerKind::Attention || m == MixerKind::Mamba2; }

// The first HF layer whose kinds differ by more than M1's attention <-> Mamba2 mixer swap; -1 if none.
int first_non_m1_difference(const std::vector<LayerKind>& model, const std::vector<LayerKind>& pattern) {
    for (size_t i = 0; i < model.size(); ++i) {
        const bool swap = m1_mixer(model[i].mixer) && m1_mixer(pattern[i].mixer) && model[i].mlp == pattern[i].mlp;
        if (model[i] != pattern[i] && !swap) return static_cast<int>(i);
    }
    return -1;
}

// The first HF layer whose kinds differ; -1 if none.
int first_difference(const std::vector<LayerKind>& model, const std::vector<LayerKind>& pattern) {
    for (size_t i = 0; i < model.size(); ++i)
        if (model[i] != pattern[i]) return static_cast<int>(i);
    return -1;
}

// A checkpoint of names, dtypes and shapes only (config.json's tensors), for plan_hybridize,
// which looks tensors up but never reads their bytes.
Result<Checkpoint> header_only_checkpoint(const json& config) {
    const DType dtype = parse_dtype_loose(config.value("torch_dtype", std::string("bfloat16"))).value_or(DType::BF16);
    STRATA_TRY(auto entries, hf_tensor_entries(config, dtype));
    Checkpoint ckpt;
    ckpt.config = config;
    for (auto& e : entries) {
        TensorInfo t;
        t.location.nbytes = e.byte_size();
        t.name = std::move(e.name);
        t.dtype = e.dtype;
        t.shape = std::move(e.shape);
        ckpt.tensors.push_back(std::move(t));
    }
    STRATA_RETURN_IF_ERROR(ckpt.finalize());
    return ckpt;
}

// config.json (with mamba_config) of the M1 hybrid `strata hybridize` makes of the model with
// these attention layers. An M1 hybrid model is re-hybridized from the transformer under it,
// keeping its Mamba dims.
Result<json> m1_hybrid_config(const json& hf_config, const std::vector<int>& attn_layers) {
    if (attn_layers.empty())
        return Status::unsupported(
            "the pattern has no attention layer; M1's recipe (`strata hybridize --attn-layers`) keeps at least one, "
            "so no checkpoint of this model has the pattern's tensors");
    json base = hf_config;
    HybridizeOptions o;
    if (is_m1_hybrid_config(hf_config)) {
        STRATA_TRY(M1Dims d, m1_dims_from_hybrid_config(hf_config));
        o.mamba = {.expand = d.expand, .d_conv = d.d_conv, .d_state = d.d_state};
        base.erase("mamba_config");
    }
    o.attn_layers = format_index_list(attn_layers);
    // M1 advises attention first and last; Megatron does not require it, and a plan may try it.
    o.allow_mamba_ends = true;
    STRATA_TRY(Checkpoint headers, header_only_checkpoint(base));
    STRATA_TRY(HybridizePlan plan, plan_hybridize(headers, o));
    json hybrid = std::move(base);
    hybrid["mamba_config"] = json::parse(plan.mamba_config.dump());
    return hybrid;
}

// The Megatron layer (pattern position) each pipeline stage of the layout starts at, plus the
// end. A hybrid layout, or one of a family with one HF layer per symbol, counts Megatron
// layers already; a GPT-stack layout counts HF layers, each the pattern's mixer slot and the
// MLP slot after it.
std::vector<int> layout_stage_starts(const Layout& layout, const LayerPattern& pattern) {
    if (!layout.spec.megatron_pattern.empty() ||
        hf_layer_convention_for(layout.spec) == HfLayerConvention::OnePerSymbol)
        return layout.stage_layers;
    std::vector<int> mixer_at;
    for (int i = 0; i < pattern.num_layers(); ++i)
        if (is_mixer_symbol(pattern.layers[static_cast<size_t>(i)])) mixer_at.push_back(i);
    mixer_at.push_back(pattern.num_layers());
    std::vector<int> out;
    for (int s : layout.stage_layers)
        out.push_back(s >= 0 && s < static_cast<int>(mixer_at.size()) ? mixer_at[static_cast<size_t>(s)] : -1);
    return out;
}

// The layout's bytes are this plan's only when its stages hold the pattern's stages' layers.
Status check_stages(const Layout& layout, const LayerPattern& pattern, const ModelSpec& model, const ParallelPlan& plan,
                    MegatronVersion version) {
    STRATA_TRY(auto stages, pipeline_layout(model, pattern, plan, version));
    std::vector<int> want;
    for (const StageLayers& s : stages) want.push_back(s.first);
    want.push_back(pattern.num_layers());
    const std::vector<int> got = layout_stage_starts(layout, pattern);
    if (got == want) return Status::ok();
    return Status::unsupported("the pattern's pipeline stages start at Megatron layers " + list_text(want) +
                               " but the Megatron layout Strata writes for this model starts them at " +
                               list_text(got) +
                               " (it splits evenly or by the first/last-stage counts, not by '|' segments), so its "
                               "per-rank bytes are not this plan's");
}

}  // namespace

Result<PatternShardLayout> pattern_shard_layout(const json& hf_config, const LayerPattern& pattern,
                                                const ShardLayoutOptions& options, MegatronVersion version) {
    STRATA_TRY(ModelSpec model, model_spec_from_hf_config(hf_config));
    STRATA_TRY(std::vector<LayerKind> kinds, pattern_kinds(pattern, model));
    const bool one_each = hf_layer_convention_for(model) == HfLayerConvention::OnePerSymbol;
    if (kinds.size() != model.layer_kinds.size())
        return Status::invalid_argument("the pattern has " + std::to_string(kinds.size()) + " HF layers (" +
                                        (one_each ? "one per symbol" : "a mixer slot and its MLP slot each") +
                                        ") but the model has " + std::to_string(model.layer_kinds.size()));
    PatternShardLayout out;
    json config = hf_config;
    // M1's recipe swaps attention and Mamba2 mixers of a layer pair; a model of single-module
    // layers has no such recipe, so any other pattern names tensors none of its checkpoints has.
    const int i =
        one_each ? first_difference(model.layer_kinds, kinds) : first_non_m1_difference(model.layer_kinds, kinds);
    if (kinds == model.layer_kinds) {
        out.basis = "the model's own layers";
    } else if (i >= 0) {
        return Status::unsupported(
            "HF layer " + std::to_string(i) + " is " + kind_text(kinds[static_cast<size_t>(i)]) +
            " in the pattern but " + kind_text(model.layer_kinds[static_cast<size_t>(i)]) + " in the model; " +
            (one_each ? "a model with one HF layer per pattern symbol has no recipe that changes its layers"
                      : "only attention and Mamba2 mixers can be swapped (M1's recipe, `strata hybridize`)") +
            ", so no checkpoint of this model has the pattern's tensors");
    } else {
        std::vector<MixerKind> mixers;
        for (const LayerKind& k : kinds) mixers.push_back(k.mixer);
        const std::vector<int> attn = attn_layers_from_mixers(mixers);
        STRATA_TRY(config, m1_hybrid_config(hf_config, attn));
        out.basis = "the M1 hybrid of the model with attn_layers " + format_index_list(attn) +
                    ", as `strata hybridize` writes it";
    }
    STRATA_TRY(out.layout, shard_layout(config, options));
    STRATA_RETURN_IF_ERROR(check_stages(out.layout.layout, pattern, model, options.layout.plan, version));
    return out;
}

}  // namespace strata
