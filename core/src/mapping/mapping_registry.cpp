#include "strata/mapping/mapping_registry.h"

#include "strata/model/architecture.h"

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
    for (const Architecture* a : architectures())
        if (const MappingRegistry* r = a->mapping_registry(model_type)) return r;
    std::string known;
    for (const auto& n : mapping_registry_names()) known += (known.empty() ? "" : ", ") + n;
    return Status::unsupported("no mapping table for model_type '" + model_type + "' (known: " + known + ")");
}

std::vector<std::string> mapping_registry_names() {
    std::vector<std::string> out;
    for (const Architecture* a : architectures())
        for (auto& n : a->mapping_table_names()) out.push_back(std::move(n));
    return out;
}

}  // namespace strata
