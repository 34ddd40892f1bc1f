// strata pattern [--attn-layers LIST | --pattern STR | --ratios ATT,MLP] [--layers N | --from MODEL]
//                [--to megatron|attn-layers|json] [--megatron-version V] [--moe-as-mlp]
// Converts between an M1 attn_layers list, a Megatron hybrid pattern and ratios.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "model_source.h"
#include "strata/pattern/pattern_report.h"

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

void run(const Args& a) {
    const int inputs = !a.attn_layers.empty() + !a.pattern.empty();
    if (inputs > 1) check(Status::invalid_argument("give one of --attn-layers and --pattern"));
    if (inputs == 0 && a.ratios.empty() && a.from.empty())
        check(Status::invalid_argument("give --attn-layers LIST, --pattern STR, --ratios ATT,MLP or --from MODEL"));
    if (!a.attn_layers.empty() && a.from.empty() && a.layers <= 0)
        check(Status::invalid_argument("--attn-layers needs --layers N (HF layers) or --from MODEL"));
    if (!a.ratios.empty() && inputs == 0 && a.from.empty() && a.layers <= 0)
        check(Status::invalid_argument("--ratios needs --layers N (Megatron layers) or --from MODEL"));
    auto version = parse_megatron_version(a.version);
    check(version.status());
    PatternRequest q;
    q.version = *version;
    q.moe_as_mlp = a.moe_as_mlp;
    q.layers = a.layers;
    if (!a.attn_layers.empty()) q.attn_layers = a.attn_layers;
    if (!a.pattern.empty()) q.pattern = a.pattern;
    if (!a.from.empty()) {
        auto s = load_model_spec(a.from);
        check(s.status());
        q.model = PatternModel{s->layers, s->is_moe(), s->layer_kinds};
    }
    if (!a.ratios.empty()) {
        auto r = parse_ratios(a.ratios);
        check(r.status());
        q.ratios = *r;
    }
    auto report = pattern_report(q);
    check(report.status());
    const PatternReport& r = *report;
    const LayerCounts& counts = r.counts;

    if (a.to == "megatron") {
        std::cout << r.printed << "\n";
    } else if (a.to == "attn-layers") {
        if (!r.hf_layers) check(r.hf_layers.status());
        std::cout << format_index_list(r.attn_layers) << "\n";
    } else if (a.to == "json") {
        std::cout << pattern_report_json(r).dump(2) << "\n";
    } else {
        std::cout << "pattern:      " << r.printed << "\n"
                  << "layers:       " << r.symbols.size() << " Megatron layers: " << counts.attention << " '*', "
                  << counts.mamba << " 'M', " << counts.mlp << " '-'";
        if (counts.moe) std::cout << ", " << counts.moe << " 'E'";
        if (counts.gdn) std::cout << ", " << counts.gdn << " 'G'";
        if (counts.dsa + counts.mla) std::cout << ", " << counts.dsa << " 'D', " << counts.mla << " '+'";
        std::cout << "\n";
        if (r.hf_layers)
            std::cout << "HF layers:    " << r.hf_layers->size() << "; attn_layers " << format_index_list(r.attn_layers)
                      << " (" << r.attn_layers.size() << " attention, " << r.hf_layers->size() - r.attn_layers.size()
                      << " other)\n";
        else
            std::cout << "HF layers:    none (" << r.hf_layers.status().message() << ")\n";
        if (r.verdict.matching)
            std::cout << "ratios:       attention " << num(r.verdict.matching->attention) << ", MLP "
                      << num(r.verdict.matching->mlp) << " allocate the same counts\n";
        std::cout << "override:     " << r.verdict.message << "\n";
        std::cout << "flags:        " << megatron_flags(r) << "\n";
        for (const auto& m : r.messages) std::cout << (m.error ? "error: " : "warning: ") << m.text << "\n";
    }
    if (!r.ok) exit_with(1);
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
