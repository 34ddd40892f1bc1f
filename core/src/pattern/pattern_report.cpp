#include "strata/pattern/pattern_report.h"

#include <cstdio>

#include "strata/size_limits.h"

namespace strata {
namespace {

struct Symbols {
    std::string main, printed;
};

// The pattern from whichever input was given.
Result<Symbols> pattern_symbols(const PatternRequest& q, std::vector<PatternMessage>& messages) {
    const PatternOptions opts{q.version, q.moe_as_mlp};
    const MlpKind hf_mlp = q.model && q.model->moe ? MlpKind::MoE : MlpKind::Dense;
    if (q.attn_layers) {
        const int n = q.model ? static_cast<int>(q.model->layers) : q.layers;
        if (n <= 0) return Status::invalid_argument("attn_layers needs the number of HF layers, or a model to count");
        STRATA_RETURN_IF_ERROR(check_size_limit("layers", static_cast<uint64_t>(n), kMaxLayers));
        STRATA_TRY(auto attn, parse_index_list(*q.attn_layers, n));
        messages = validate_attn_layers(attn, n);
        std::vector<LayerKind> kinds;
        for (MixerKind m : mixers_from_attn_layers(attn, n)) kinds.push_back({m, hf_mlp});
        STRATA_TRY(std::string p, megatron_pattern_from_layers(kinds, opts));
        return Symbols{p, p};
    }
    if (q.pattern) {
        STRATA_TRY(LayerPattern p, parse_layer_pattern(*q.pattern, q.version));
        return Symbols{p.layers, to_string(p)};
    }
    if (!q.ratios) {  // a model alone: its own layers (M1 hybrids: mamba_config.json attn_layers)
        if (!q.model) return Status::invalid_argument("give attn_layers, a pattern, ratios or a model");
        STRATA_TRY(std::string p, megatron_pattern_from_layers(q.model->layer_kinds, opts));
        return Symbols{p, p};
    }
    const int n = q.model ? 2 * static_cast<int>(q.model->layers) : q.layers;
    if (n <= 0) return Status::invalid_argument("ratios need the number of Megatron layers, or a model to count");
    STRATA_RETURN_IF_ERROR(check_size_limit("layers", static_cast<uint64_t>(n), 2 * kMaxLayers));
    STRATA_TRY(std::string p, pattern_from_ratios(n, q.ratios->attention, q.ratios->mlp));
    return Symbols{p, p};
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

nlohmann::json counts_json(const LayerCounts& c) {
    return {{"*", c.attention}, {"M", c.mamba}, {"-", c.mlp}, {"E", c.moe}, {"G", c.gdn}, {"D", c.dsa}, {"+", c.mla}};
}

}  // namespace

Result<PatternReport> pattern_report(const PatternRequest& q) {
    if (q.attn_layers && q.pattern) return Status::invalid_argument("give one of attn_layers and a pattern");
    PatternReport r;
    r.version = q.version;
    STRATA_TRY(Symbols s, pattern_symbols(q, r.messages));
    r.symbols = std::move(s.main);
    r.printed = std::move(s.printed);
    r.counts = count_layers(r.symbols);
    // A MoE model whose pattern has no 'E' writes its MoE MLPs as '-' (MindSpeed style).
    const bool moe_dash = q.model && q.model->moe && r.symbols.find(symbol::kMoE) == std::string::npos;
    r.hf_layers = layers_from_megatron_pattern(r.symbols, moe_dash ? MlpKind::MoE : MlpKind::Dense);
    if (r.hf_layers) {
        std::vector<MixerKind> mixers;
        for (const auto& k : *r.hf_layers) mixers.push_back(k.mixer);
        r.attn_layers = attn_layers_from_mixers(mixers);
        if (q.model && r.hf_layers->size() != q.model->layers)
            r.messages.push_back({false, "the pattern has " + std::to_string(r.hf_layers->size()) +
                                             " HF layers (mixer + MLP pairs) but the model has " +
                                             std::to_string(q.model->layers)});
    }
    r.checked_with = q.ratios ? *q.ratios : ratios_matching_counts(r.counts).value_or(RatioPair{});
    r.verdict = check_override_pattern(r.symbols, r.checked_with.attention, r.checked_with.mlp, q.version);
    for (const auto& m : r.messages) r.ok = r.ok && !m.error;
    if (q.ratios && (q.attn_layers || q.pattern)) r.ok = r.ok && r.verdict.ok;
    return r;
}

std::string megatron_flags(const PatternReport& r) {
    if (!uses_ratio_override_rule(r.version)) return "--hybrid-layer-pattern \"" + r.printed + "\"";
    return "--hybrid-override-pattern \"" + r.printed + "\" --hybrid-attention-ratio " + num(r.checked_with.attention) +
           " --hybrid-mlp-ratio " + num(r.checked_with.mlp) + " --num-layers " + std::to_string(r.symbols.size());
}

nlohmann::json pattern_report_json(const PatternReport& r) {
    nlohmann::json j{{"pattern", r.printed},
                     {"num_layers", r.symbols.size()},
                     {"megatron_version", megatron_version_name(r.version)},
                     {"counts", counts_json(r.counts)}};
    if (r.hf_layers) {
        j["hf_layers"] = r.hf_layers->size();
        j["attn_layers"] = r.attn_layers;
        j["attn_layers_text"] = format_index_list(r.attn_layers);
    }
    if (r.verdict.matching) j["matching_ratios"] = {r.verdict.matching->attention, r.verdict.matching->mlp};
    j["override_check"] = {{"ratios", {r.checked_with.attention, r.checked_with.mlp}},
                           {"ok", r.verdict.ok},
                           {"message", r.verdict.message},
                           {"auto_pattern", r.verdict.auto_pattern}};
    j["flags"] = megatron_flags(r);
    nlohmann::json msgs = nlohmann::json::array();
    for (const auto& m : r.messages) msgs.push_back({{"error", m.error}, {"text", m.text}});
    j["messages"] = msgs;
    j["ok"] = r.ok;
    return j;
}

}  // namespace strata
