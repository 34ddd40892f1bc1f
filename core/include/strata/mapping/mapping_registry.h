// MappingRegistry: one architecture's declarative table relating each layout's
// tensor names to canonical (HF per-expert) names, like Megatron-Bridge's
// MegatronMappingRegistry. Rules are tried in order; the first whose canonical
// pattern matches a tensor wins. One table file per architecture lives in
// core/src/mapping/architectures/ and registers itself by model_type.
// Usage: STRATA_TRY(const MappingRegistry* reg, mapping_registry_for("qwen3_moe"));
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strata/mapping/layout.h"
#include "strata/mapping/name_pattern.h"
#include "strata/mapping/param_mapping.h"

namespace strata {

// When a rule applies: the layout kind, plus (Megatron) module choices; nullopt = any.
struct RuleCondition {
    LayoutKind kind = LayoutKind::Megatron;
    std::optional<ExpertLayout> experts;
    std::optional<NormLayout> norms;
    std::optional<bool> mtp_packed = std::nullopt;  // LayoutOptions::mtp_experts_packed (HF)
    bool applies(const LayoutOptions& options) const;
};

struct MappingRule {
    RuleCondition when;
    NamePattern layout;                                          // global layout name
    std::vector<std::pair<std::string, NamePattern>> canonical;  // role -> canonical pattern
    MappingPtr kind;
    Placement placement = Placement::Layer;
};

class MappingRegistry {
public:
    MappingRegistry(std::string model_type, std::string source)
        : model_type_(std::move(model_type)), source_(std::move(source)) {}
    const std::string& model_type() const { return model_type_; }
    const std::string& source() const { return source_; }  // the public table it follows

    // Adds a rule; `canonical` pairs role and pattern.
    MappingRegistry& add(RuleCondition when, std::string layout,
                         std::vector<std::pair<std::string, std::string>> canonical, MappingPtr kind,
                         Placement placement = Placement::Layer);
    const std::vector<MappingRule>& rules() const { return rules_; }

    // First rule (for these options) whose canonical pattern of some role matches `name`.
    struct Match {
        size_t rule = 0;
        std::string role;
        std::vector<std::string> captures;
    };
    std::optional<Match> match_canonical(const LayoutOptions& options, std::string_view name) const;

private:
    std::string model_type_;
    std::string source_;
    std::vector<MappingRule> rules_;
};

// The registry of a model_type ("qwen3_moe", "qwen3"); Unsupported names the known ones.
Result<const MappingRegistry*> mapping_registry_for(const std::string& model_type);
std::vector<std::string> mapping_registry_names();

// Architecture files register through this (static initialisers are not used:
// the list in mapping_registry.cpp calls each table's builder).
MappingRegistry build_qwen3_moe_registry();
MappingRegistry build_qwen3_registry();
MappingRegistry build_m1_hybrid_registry();
MappingRegistry build_qwen3_next_registry();
MappingRegistry build_qwen3_5_registry();
MappingRegistry build_qwen3_5_moe_registry();

}  // namespace strata
