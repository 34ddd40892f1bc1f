// strata pattern [--attn-layers LIST | --pattern STR | --ratios ATT,MLP] [--layers N | --from MODEL]
//                [--to megatron|attn-layers|json] [--megatron-version V] [--moe-as-mlp]
// Converts between an M1 attn_layers list, a Megatron hybrid pattern and ratios.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "model_source.h"
#include "strata/size_limits.h"
#include "strata/pattern/layer_pattern.h"

namespace strata::cli {
namespace {

struct Args {
    std::string attn_layers, pattern, ratios, from, to, version = "0.16";
    int layers = 0;
    bool moe_as_mlp = false;
};

Result<RatioPair> parse_ratios(const std::string& text) {
    RatioPair r;
    char extra = 0;
    if (std::sscanf(text.c_str(), "%lf,%lf%c", &r.attention, &r.mlp, &extra) != 2)
        return Status::invalid_argument("--ratios '" + text + "': expected ATT,MLP such as 0.08,0.5");
    return r;
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

nlohmann::json counts_json(const LayerCounts& c) {
    return {{"*", c.attention}, {"M", c.mamba}, {"-", c.mlp}, {"E", c.moe}, {"G", c.gdn}, {"D", c.dsa}, {"+", c.mla}};
}

void run(const Args& a) {
    const int inputs = !a.attn_layers.empty() + !a.pattern.empty();
    if (inputs > 1) check(Status::invalid_argument("give one of --attn-layers and --pattern"));
    if (inputs == 0 && a.ratios.empty() && a.from.empty())
        check(Status::invalid_argument("give --attn-layers LIST, --pattern STR, --ratios ATT,MLP or --from MODEL"));
    auto version = parse_megatron_version(a.version);
    check(version.status());
    const PatternOptions opts{*version, a.moe_as_mlp};

    std::optional<ModelSpec> spec;
    if (!a.from.empty()) {
        auto s = load_model_spec(a.from);
        check(s.status());
        spec = *s;
    }
    std::optional<RatioPair> ratios;
    if (!a.ratios.empty()) {
        auto r = parse_ratios(a.ratios);
        check(r.status());
        ratios = *r;
    }

    std::string symbols;          // main decoder symbols
    std::string printed_pattern;  // with '|' and MTP when given
    std::vector<PatternMessage> messages;
    const MlpKind hf_mlp = spec && spec->is_moe() ? MlpKind::MoE : MlpKind::Dense;
    if (!a.attn_layers.empty()) {
        const int n = spec ? static_cast<int>(spec->layers) : a.layers;
        if (n <= 0) check(Status::invalid_argument("--attn-layers needs --layers N (HF layers) or --from MODEL"));
        check(check_size_limit("--layers", static_cast<uint64_t>(n), kMaxLayers));
        auto attn = parse_index_list(a.attn_layers, n);
        check(attn.status());
        messages = validate_attn_layers(*attn, n);
        std::vector<LayerKind> kinds;
        for (MixerKind m : mixers_from_attn_layers(*attn, n)) kinds.push_back({m, hf_mlp});
        auto p = megatron_pattern_from_layers(kinds, opts);
        check(p.status());
        symbols = printed_pattern = *p;
    } else if (!a.pattern.empty()) {
        auto p = parse_layer_pattern(a.pattern, *version);
        check(p.status());
        symbols = p->layers;
        printed_pattern = to_string(*p);
    } else if (!ratios) {  // --from alone: the model's own layers (M1 hybrids: mamba_config.json attn_layers)
        auto p = megatron_pattern_from_layers(spec->layer_kinds, opts);
        check(p.status());
        symbols = printed_pattern = *p;
    } else {
        const int n = spec ? 2 * static_cast<int>(spec->layers) : a.layers;
        if (n <= 0) check(Status::invalid_argument("--ratios needs --layers N (Megatron layers) or --from MODEL"));
        check(check_size_limit("--layers", static_cast<uint64_t>(n), 2 * kMaxLayers));
        auto p = pattern_from_ratios(n, ratios->attention, ratios->mlp);
        check(p.status());
        symbols = printed_pattern = *p;
    }

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
    const OverrideVerdict verdict = check_override_pattern(symbols, check_with.attention, check_with.mlp, *version);
    bool failed = false;
    for (const auto& m : messages) failed |= m.error;
    if (ratios && (!a.attn_layers.empty() || !a.pattern.empty())) failed |= !verdict.ok;

    if (a.to == "megatron") {
        std::cout << printed_pattern << "\n";
    } else if (a.to == "attn-layers") {
        if (!hf) check(hf.status());
        std::cout << format_index_list(attn) << "\n";
    } else if (a.to == "json") {
        nlohmann::json j{{"pattern", printed_pattern},
                         {"num_layers", symbols.size()},
                         {"megatron_version", megatron_version_name(*version)},
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
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << "pattern:      " << printed_pattern << "\n"
                  << "layers:       " << symbols.size() << " Megatron layers: " << counts.attention << " '*', "
                  << counts.mamba << " 'M', " << counts.mlp << " '-'";
        if (counts.moe) std::cout << ", " << counts.moe << " 'E'";
        if (counts.gdn) std::cout << ", " << counts.gdn << " 'G'";
        if (counts.dsa + counts.mla) std::cout << ", " << counts.dsa << " 'D', " << counts.mla << " '+'";
        std::cout << "\n";
        if (hf)
            std::cout << "HF layers:    " << hf->size() << "; attn_layers " << format_index_list(attn) << " ("
                      << attn.size() << " attention, " << hf->size() - attn.size() << " other)\n";
        else
            std::cout << "HF layers:    none (" << hf.status().message() << ")\n";
        if (verdict.matching)
            std::cout << "ratios:       attention " << num(verdict.matching->attention) << ", MLP "
                      << num(verdict.matching->mlp) << " allocate the same counts\n";
        std::cout << "override:     " << verdict.message << "\n";
        if (uses_ratio_override_rule(*version))
            std::cout << "flags:        --hybrid-override-pattern \"" << printed_pattern
                      << "\" --hybrid-attention-ratio " << num(check_with.attention) << " --hybrid-mlp-ratio "
                      << num(check_with.mlp) << " --num-layers " << symbols.size() << "\n";
        else
            std::cout << "flags:        --hybrid-layer-pattern \"" << printed_pattern << "\"\n";
        for (const auto& m : messages) std::cout << (m.error ? "error: " : "warning: ") << m.text << "\n";
    }
    if (failed) exit_with(1);
}

}  // namespace

void add_pattern_command(CLI::App& app) {
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("pattern", "Convert between attn_layers lists, Megatron hybrid patterns and ratios");
    cmd->add_option("--attn-layers", args->attn_layers, "HF layers that stay attention, e.g. \"0,2,4,...,44,46,47\"");
    cmd->add_option("--pattern", args->pattern, "a Megatron hybrid layer pattern, e.g. \"M-M*-\"");
    cmd->add_option("--ratios", args->ratios,
                    "ATT,MLP: allocate a pattern as Megatron does, or check --pattern/--attn-layers against them");
    cmd->add_option("--layers", args->layers, "HF layers (with --attn-layers) or Megatron layers (with --ratios)");
    cmd->add_option("--from", args->from, "a checkpoint or synth preset giving the layer count and MLP kind");
    cmd->add_option("--to", args->to, "output only: megatron, attn-layers or json")
        ->check(CLI::IsMember({"megatron", "attn-layers", "json"}));
    cmd->add_option("--megatron-version", args->version,
                    "Megatron-Core version whose rules apply (0.15, 0.16, 0.17, main)");
    cmd->add_flag("--moe-as-mlp", args->moe_as_mlp, "write MoE layers as '-' (MindSpeed 2.1.0 style)");
    cmd->callback([args] { run(*args); });
}

}  // namespace strata::cli
