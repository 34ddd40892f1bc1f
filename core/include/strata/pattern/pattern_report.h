// One `pattern` conversion as its clients ask for it (`strata pattern`, Python's
// strata.pattern): from an M1 attn_layers list, a Megatron hybrid pattern, ratios, or a model's
// own layers, the pattern, its layer counts, the HF layers and attn_layers it means, the ratio
// override check of the Megatron version, the warnings and errors, and the JSON both print.
// One home for that composition.
// Usage: PatternRequest q; q.pattern = "M-M*-"; STRATA_TRY(PatternReport r, pattern_report(q));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/pattern/layer_kind.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/status.h"

namespace strata {

// What a pattern needs of a model (ModelSpec's layers and their kinds).
struct PatternModel {
    uint64_t layers = 0;
    bool moe = false;
    std::vector<LayerKind> layer_kinds;
};

struct PatternRequest {
    // One of attn_layers and pattern, or ratios alone (allocate), or a model alone (its own layers).
    std::optional<std::string> attn_layers;  // "0,2,4,...,46,47"
    std::optional<std::string> pattern;      // "M-M*-"
    std::optional<RatioPair> ratios;         // allocate, or check the pattern against them
    std::optional<PatternModel> model;       // gives the layer count and MLP kind
    int layers = 0;  // HF layers (with attn_layers) or Megatron layers (with ratios) when no model
    MegatronVersion version = kDefaultMegatronVersion;
    bool moe_as_mlp = false;
};

struct PatternReport {
    MegatronVersion version = kDefaultMegatronVersion;
    std::string symbols;  // main decoder symbols
    std::string printed;  // as given, with '|' segments and MTP
    LayerCounts counts;
    Result<std::vector<LayerKind>> hf_layers = Status::internal("not computed");
    std::vector<int> attn_layers;  // of hf_layers
    RatioPair checked_with;        // the ratios the override check used
    OverrideVerdict verdict;
    std::vector<PatternMessage> messages;
    bool ok = true;  // no error message, and (ratios with a pattern) the override check passes
};

Result<PatternReport> pattern_report(const PatternRequest& request);

// The Megatron-LM flags that build this pattern under the report's version: up to 0.16 the
// override pattern with the ratios it was checked against and --num-layers (Megatron checks
// the pattern against what those ratios allocate; the verdict says whether it agrees), from
// 0.17 --hybrid-layer-pattern alone.
std::string megatron_flags(const PatternReport& report);

// {"pattern", "num_layers", "megatron_version", "counts", "hf_layers"?, "attn_layers"?,
//  "attn_layers_text"?, "matching_ratios"?, "override_check", "flags", "messages", "ok"}
nlohmann::json pattern_report_json(const PatternReport& report);

}  // namespace strata
