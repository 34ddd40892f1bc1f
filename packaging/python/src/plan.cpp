// strata.plan and strata.pattern: the plan report (core parallel/plan_report.h, the one
// `strata plan --json` prints) and the layer pattern conversions, composed from the same core
// calls as `strata pattern --to json` (app/cli/commands/pattern.cpp), returned as Python
// dicts. MODEL is resolved by the CLI's own model_source.cpp.
#include <cstdio>

#include <pybind11/stl.h>

#include "bindings.h"
#include "errors.h"
#include "model_source.h"
#include "python_json.h"
#include "strata/parallel/plan_report.h"
#include "strata/parallel/pattern_shards.h"
#include "strata/parallel/shard_layout.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/size_limits.h"

namespace strata::python {
namespace {

struct PlanArgs {
    std::string model, pattern, version;
    ParallelPlan plan;
    uint64_t mamba_heads = 0, mamba_groups = 0;
};

nlohmann::json plan_json(const PlanArgs& a) {
    const MegatronVersion version = unwrap(parse_megatron_version(a.version));
    ModelSpec spec = unwrap(cli::load_model_spec(a.model));
    if (a.mamba_heads) spec.mamba.n_heads = a.mamba_heads;
    if (a.mamba_groups) spec.mamba.n_groups = a.mamba_groups;
    return plan_report_json(unwrap(plan_report(a.model, spec, a.pattern, a.plan, version)));
}

struct PatternArgs {
    std::optional<std::string> attn_layers, pattern, from;
    std::optional<std::pair<double, double>> ratios;
    int layers = 0;
    std::string version;
    bool moe_as_mlp = false;
};

nlohmann::json counts_json(const LayerCounts& c) {
    return {{"*", c.attention}, {"M", c.mamba}, {"-", c.mlp}, {"E", c.moe}, {"G", c.gdn}, {"D", c.dsa}, {"+", c.mla}};
}

// The main decoder symbols and the pattern as printed, from whichever input was given.
std::pair<std::string, std::string> pattern_symbols(const PatternArgs& a, const std::optional<ModelSpec>& spec,
                                                    const PatternOptions& opts, MegatronVersion version,
                                                    std::vector<PatternMessage>& messages) {
    const MlpKind hf_mlp = spec && spec->is_moe() ? MlpKind::MoE : MlpKind::Dense;
    if (a.attn_layers) {
        const int n = spec ? static_cast<int>(spec->layers) : a.layers;
        if (n <= 0) throw StatusError(Status::invalid_argument("attn_layers needs layers=N (HF layers) or from_model"));
        check(check_size_limit("layers", static_cast<uint64_t>(n), kMaxLayers));
        const auto attn = unwrap(parse_index_list(*a.attn_layers, n));
        messages = validate_attn_layers(attn, n);
        std::vector<LayerKind> kinds;
        for (MixerKind m : mixers_from_attn_layers(attn, n)) kinds.push_back({m, hf_mlp});
        const std::string p = unwrap(megatron_pattern_from_layers(kinds, opts));
        return {p, p};
    }
    if (a.pattern) {
        const LayerPattern p = unwrap(parse_layer_pattern(*a.pattern, version));
        return {p.layers, to_string(p)};
    }
    if (!a.ratios) {
        const std::string p = unwrap(megatron_pattern_from_layers(spec->layer_kinds, opts));
        return {p, p};
    }
    const int n = spec ? 2 * static_cast<int>(spec->layers) : a.layers;
    if (n <= 0) throw StatusError(Status::invalid_argument("ratios needs layers=N (Megatron layers) or from_model"));
    check(check_size_limit("layers", static_cast<uint64_t>(n), 2 * kMaxLayers));
    const std::string p = unwrap(pattern_from_ratios(n, a.ratios->first, a.ratios->second));
    return {p, p};
}

nlohmann::json pattern_json(const PatternArgs& a) {
    if (a.attn_layers && a.pattern) throw StatusError(Status::invalid_argument("give one of attn_layers and pattern"));
    if (!a.attn_layers && !a.pattern && !a.ratios && !a.from)
        throw StatusError(Status::invalid_argument("give attn_layers, pattern, ratios or from_model"));
    const MegatronVersion version = unwrap(parse_megatron_version(a.version));
    const PatternOptions opts{version, a.moe_as_mlp};
    std::optional<ModelSpec> spec;
    if (a.from) spec = unwrap(cli::load_model_spec(*a.from));
    std::optional<RatioPair> ratios;
    if (a.ratios) ratios = RatioPair{a.ratios->first, a.ratios->second};

    std::vector<PatternMessage> messages;
    const auto [symbols, printed] = pattern_symbols(a, spec, opts, version, messages);
    const LayerCounts counts = count_layers(symbols);
    const bool moe_dash = spec && spec->is_moe() && symbols.find(symbol::kMoE) == std::string::npos;
    auto hf = layers_from_megatron_pattern(symbols, moe_dash ? MlpKind::MoE : MlpKind::Dense);
    std::vector<int> attn;
    if (hf) {
        std::vector<MixerKind> mixers;
        for (const auto& k : *hf) mixers.push_back(k.mixer);
        attn = attn_layers_from_mixers(mixers);
        if (spec && hf->size() != spec->layers)
            messages.push_back({false, "the pattern has " + std::to_string(hf->size()) +
                                           " HF layers (mixer + MLP pairs) but the model has " +
                                           std::to_string(spec->layers)});
    }
    const RatioPair check_with = ratios ? *ratios : ratios_matching_counts(counts).value_or(RatioPair{});
    const OverrideVerdict verdict = check_override_pattern(symbols, check_with.attention, check_with.mlp, version);
    bool failed = false;
    for (const auto& m : messages) failed |= m.error;
    if (ratios && (a.attn_layers || a.pattern)) failed |= !verdict.ok;

    nlohmann::json j{{"pattern", printed},
                     {"num_layers", symbols.size()},
                     {"megatron_version", megatron_version_name(version)},
                     {"counts", counts_json(counts)}};
    if (hf) {
        j["hf_layers"] = hf->size();
        j["attn_layers"] = attn;
        j["attn_layers_text"] = format_index_list(attn);
    }
    if (verdict.matching) j["matching_ratios"] = {verdict.matching->attention, verdict.matching->mlp};
    j["override_check"] = {{"ratios", {check_with.attention, check_with.mlp}},
                           {"ok", verdict.ok},
                           {"message", verdict.message},
                           {"auto_pattern", verdict.auto_pattern}};
    nlohmann::json msgs = nlohmann::json::array();
    for (const auto& m : messages) msgs.push_back({{"error", m.error}, {"text", m.text}});
    j["messages"] = msgs;
    j["ok"] = !failed;  // `strata pattern` exits 1 when this is false
    return j;
}

}  // namespace

void bind_plan(py::module_& m) {
    m.def(
        "_plan",
        [](std::string model, int tp, int pp, int ep, int etp, int cp, int vpp, int dp, int world,
           bool sequence_parallel, std::optional<int> first_stage_layers, std::optional<int> last_stage_layers,
           int make_vocab_size_divisible_by, std::string pattern, uint64_t mamba_heads, uint64_t mamba_groups,
           std::string megatron_version) {
            PlanArgs a;
            a.model = std::move(model);
            a.pattern = std::move(pattern);
            a.version = std::move(megatron_version);
            a.plan = {tp,
                      pp,
                      ep,
                      etp,
                      cp,
                      vpp,
                      dp,
                      world,
                      sequence_parallel,
                      first_stage_layers,
                      last_stage_layers,
                      make_vocab_size_divisible_by};
            a.mamba_heads = mamba_heads;
            a.mamba_groups = mamba_groups;
            return to_python(plan_json(a));
        },
        py::arg("model"), py::arg("tp") = 1, py::arg("pp") = 1, py::arg("ep") = 1, py::arg("etp") = 0,
        py::arg("cp") = 1, py::arg("vpp") = 1, py::arg("dp") = 0, py::arg("world") = 0,
        py::arg("sequence_parallel") = false, py::arg("first_stage_layers") = py::none(),
        py::arg("last_stage_layers") = py::none(), py::arg("make_vocab_size_divisible_by") = 128,
        py::arg("pattern") = "", py::arg("mamba_heads") = 0, py::arg("mamba_groups") = 0,
        py::arg("megatron_version") = "0.16");
    m.def(
        "_pattern",
        [](std::optional<std::string> attn_layers, std::optional<std::string> pattern,
           std::optional<std::pair<double, double>> ratios, int layers, std::optional<std::string> from_model,
           std::string megatron_version, bool moe_as_mlp) {
            PatternArgs a{std::move(attn_layers),      std::move(pattern), std::move(from_model), ratios, layers,
                          std::move(megatron_version), moe_as_mlp};
            return to_python(pattern_json(a));
        },
        py::arg("attn_layers") = py::none(), py::arg("pattern") = py::none(), py::arg("ratios") = py::none(),
        py::arg("layers") = 0, py::arg("from_model") = py::none(), py::arg("megatron_version") = "0.16",
        py::arg("moe_as_mlp") = false);
}

}  // namespace strata::python
