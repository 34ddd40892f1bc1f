// The architecture registry: the families of list.inc, and the look-ups the engine uses
// instead of comparing model types.
#include "strata/model/architecture.h"

namespace strata {

#define STRATA_ARCHITECTURE(family) const Architecture& family##_architecture();
#include "list.inc"
#undef STRATA_ARCHITECTURE

const std::vector<const Architecture*>& architectures() {
    static const std::vector<const Architecture*> kAll = {
#define STRATA_ARCHITECTURE(family) &family##_architecture(),
#include "list.inc"
#undef STRATA_ARCHITECTURE
    };
    return kAll;
}

namespace {

std::string supported_list() {
    std::string out;
    for (const Architecture* a : architectures()) out += (out.empty() ? "" : "; ") + a->supported_text();
    return out;
}

}  // namespace

Result<const Architecture*> architecture_for_hf_config(const nlohmann::json& config, const Architecture* exclude) {
    STRATA_TRY(std::string type, hf_model_type(config));
    const Architecture* best = nullptr;
    ArchMatch best_match = ArchMatch::kNone;
    for (const Architecture* a : architectures()) {
        if (a == exclude) continue;
        const ArchMatch m = a->match_hf_config(config, type);
        if (m > best_match) best = a, best_match = m;
    }
    if (!best)
        return Status::unsupported("config.json: model_type '" + type +
                                   "' is not supported (supported: " + supported_list() + ")");
    return best;
}

Result<const Architecture*> architecture_for_megatron_args(const nlohmann::json& args) {
    if (!args.is_object())
        return Status::invalid_argument("Megatron checkpoint has no args to rebuild config.json from");
    const Architecture* best = nullptr;
    ArchMatch best_match = ArchMatch::kNone;
    for (const Architecture* a : architectures()) {
        const ArchMatch m = a->match_megatron_args(args);
        if (m > best_match) best = a, best_match = m;
    }
    if (!best)
        return Status::unsupported("Megatron args describe no architecture Strata has mapping tables for (supported: " +
                                   supported_list() + ")");
    return best;
}

Result<const Architecture*> architecture_for_model_type(std::string_view model_type) {
    for (const Architecture* a : architectures())
        if (a->owns_model_type(model_type)) return a;
    return Status::unsupported("model_type '" + std::string(model_type) +
                               "' is not supported (supported: " + supported_list() + ")");
}

HfLayerConvention hf_layer_convention_for(const ModelSpec& spec) {
    auto arch = architecture_for_model_type(spec.model_type);
    return arch ? (*arch)->hf_layer_convention() : HfLayerConvention::MixerThenMlp;
}

}  // namespace strata
