#include "strata/mapping/name_pattern.h"

#include <cctype>

namespace strata {

NamePattern::NamePattern(std::string pattern) : text_(std::move(pattern)) {
    std::string literal;
    for (size_t i = 0; i < text_.size(); ++i) {
        if (text_[i] != '*') {
            literal += text_[i];
            continue;
        }
        const bool any = i + 1 < text_.size() && text_[i + 1] == '*';
        if (any) ++i;
        tokens_.push_back({literal, any ? Kind::AnyChars : Kind::Digits, false});
        kinds_.push_back(any ? Kind::AnyChars : Kind::Digits);
        literal.clear();
    }
    tokens_.push_back({literal, Kind::Digits, true});
    // Capture order: every `**` first, then every `*`, each left to right (Bridge _resolve_names).
    order_.assign(kinds_.size(), 0);
    size_t next = 0;
    for (size_t w = 0; w < kinds_.size(); ++w)
        if (kinds_[w] == Kind::AnyChars) order_[w] = next++;
    for (size_t w = 0; w < kinds_.size(); ++w)
        if (kinds_[w] == Kind::Digits) order_[w] = next++;
}

bool NamePattern::match_from(std::string_view name, size_t t, std::vector<std::string_view>& caps) const {
    const Token& tok = tokens_[t];
    if (name.substr(0, tok.literal.size()) != tok.literal) return false;
    name.remove_prefix(tok.literal.size());
    if (tok.is_tail) return name.empty();
    if (tok.kind == Kind::Digits) {
        // Regex (\d+) is greedy but may backtrack: try longest first.
        size_t n = 0;
        while (n < name.size() && std::isdigit(static_cast<unsigned char>(name[n]))) ++n;
        for (size_t len = n; len >= 1; --len) {
            caps.push_back(name.substr(0, len));
            if (match_from(name.substr(len), t + 1, caps)) return true;
            caps.pop_back();
        }
        return false;
    }
    for (size_t len = name.size() + 1; len-- > 0;) {  // (.*) greedy
        caps.push_back(name.substr(0, len));
        if (match_from(name.substr(len), t + 1, caps)) return true;
        caps.pop_back();
    }
    return false;
}

std::optional<std::vector<std::string>> NamePattern::match(std::string_view name) const {
    std::vector<std::string_view> caps;
    if (!match_from(name, 0, caps)) return std::nullopt;
    std::vector<std::string> out(caps.size());
    for (size_t w = 0; w < caps.size(); ++w) out[order_[w]] = std::string(caps[w]);
    return out;
}

std::string NamePattern::fill(const std::vector<std::string>& captures) const {
    std::string out;
    for (size_t t = 0; t < tokens_.size(); ++t) {
        out += tokens_[t].literal;
        if (tokens_[t].is_tail) break;
        const size_t c = order_[t];
        if (c < captures.size())
            out += captures[c];
        else
            out += kinds_[t] == Kind::AnyChars ? "**" : "*";
    }
    return out;
}

}  // namespace strata
