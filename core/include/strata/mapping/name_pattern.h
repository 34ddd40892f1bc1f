// NamePattern: a tensor-name pattern with Megatron-Bridge wildcard semantics
// (mapping_registry.py): `**` matches any characters (dots included), `*` matches
// digits only; the match is anchored. Captures are positional and substitute back,
// first into every `**`, then into every `*`, left to right (facts bridge-mappings §1.2).
// Usage: NamePattern p("decoder.layers.*.mlp.experts.linear_fc1.weight*");
//        if (auto caps = p.match(name)) std::string hf = hf_pattern.fill(*caps);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

class NamePattern {
public:
    NamePattern() = default;
    explicit NamePattern(std::string pattern);

    const std::string& text() const { return text_; }
    // Number of `**` plus `*` wildcards.
    size_t wildcard_count() const { return kinds_.size(); }

    // The captured strings in wildcard order (all `**` first, then all `*`), or nullopt.
    std::optional<std::vector<std::string>> match(std::string_view name) const;
    // Substitutes captures: the first `**` gets the first capture, and so on (the
    // Bridge's order). Extra captures are ignored; missing ones leave the wildcard.
    std::string fill(const std::vector<std::string>& captures) const;

private:
    enum class Kind { AnyChars, Digits };
    struct Token {
        std::string literal;  // text before the wildcard (or the tail when is_tail)
        Kind kind = Kind::Digits;
        bool is_tail = false;
    };
    bool match_from(std::string_view name, size_t token, std::vector<std::string_view>& caps) const;

    std::string text_;
    std::vector<Token> tokens_;
    std::vector<Kind> kinds_;    // wildcard kinds in textual order
    std::vector<size_t> order_;  // textual wildcard index -> capture index (`**` first)
};

}  // namespace strata
