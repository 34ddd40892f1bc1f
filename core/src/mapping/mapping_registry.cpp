#include "strata/mapping/mapping_registry.h"

namespace strata {

bool RuleCondition::applies(const LayoutOptions& o) const {
    if (o.kind != kind) return false;
    if (experts && *experts != o.experts) return false;
    if (norms && *norms != o.norms) return false;
    if (mtp_packed && *mtp_packed != o.mtp_experts_packed) return false;
    return true;
}

MappingRegistry& MappingRegistry::add(RuleCondition when, std::string layout,
                                      std::vector<std::pair<std::string, std::string>> canonical, MappingPtr kind,
                                      Placement placement) {
    MappingRule rule;
    rule.when = when;
    rule.layout = NamePattern(std::move(layout));
    for (auto& [role, pattern] : canonical) rule.canonical.emplace_back(role, NamePattern(std::move(pattern)));
    rule.kind = std::move(kind);
    rule.placement = placement;
    rules_.push_back(std::move(rule));
    return *this;
}

std::optional<MappingRegistry::Match> MappingRegistry::match_canonical(const LayoutOptions& options,
                                                                       std::string_view name) const {
    for (size_t r = 0; r < rules_.size(); ++r) {
        if (!rules_[r].when.applies(options)) continue;
        for (const auto& [role, pattern] : rules_[r].canonical)
            if (auto caps = pattern.match(name)) return Match{r, role, std::move(*caps)};
    }
    return std::nullopt;
}

Result<const MappingRegistry*> mapping_registry_for(const std::string& model_type) {
    static const MappingRegistry kQwen3Moe = build_qwen3_moe_registry();
    static const MappingRegistry kQwen3 = build_qwen3_registry();
    if (model_type == kQwen3Moe.model_type()) return &kQwen3Moe;
    if (model_type == kQwen3.model_type()) return &kQwen3;
    static const MappingRegistry kM1Hybrid = build_m1_hybrid_registry();
    if (model_type == kM1Hybrid.model_type()) return &kM1Hybrid;
    static const MappingRegistry kQwen3Next = build_qwen3_next_registry();
    static const MappingRegistry kQwen35 = build_qwen3_5_registry();
    static const MappingRegistry kQwen35Moe = build_qwen3_5_moe_registry();
    for (const MappingRegistry* r : {&kQwen3Next, &kQwen35, &kQwen35Moe})
        if (model_type == r->model_type()) return r;
    std::string known;
    for (const auto& n : mapping_registry_names()) known += (known.empty() ? "" : ", ") + n;
    return Status::unsupported("no mapping table for model_type '" + model_type + "' (known: " + known + ")");
}

std::vector<std::string> mapping_registry_names() {
    return {"qwen3_moe", "qwen3", "m1_hybrid", "qwen3_next", "qwen3_5", "qwen3_5_moe"};
}

}  // namespace strata
