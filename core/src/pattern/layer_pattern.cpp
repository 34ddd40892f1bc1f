// Megatron hybrid layer patterns. The allocation and override rules mirror
// NVIDIA/Megatron-LM megatron/core/ssm/mamba_hybrid_layer_allocation.py (_allocate_auto,
// allocate_layers, ≤ core v0.16) and megatron/core/models/hybrid/hybrid_layer_allocation.py
// (pattern_from_ratios, parse_hybrid_pattern, v0.17+). See facts/mamba-megatron.md §2.4.
#include "strata/pattern/layer_pattern.h"
#include "strata/size_limits.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

namespace strata {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

// The version where a symbol first became legal.
const char* introduced_in(char c) {
    switch (c) {
        case symbol::kMamba:
        case symbol::kAttention:
        case symbol::kMlp:
            return "<=0.15";
        case symbol::kMoE:
            return "0.16";
        case symbol::kGdn:
        case symbol::kPipe:
        case symbol::kMtp:
            return "0.17";
        case symbol::kDsa:
        case symbol::kMla:
            return "main";
        default:
            return nullptr;
    }
}

std::string counts_text(const LayerCounts& c) {
    std::string s;
    auto add = [&](int n, char sym) {
        if (n == 0) return;
        if (!s.empty()) s += ", ";
        s += std::to_string(n) + " '" + std::string(1, sym) + "'";
    };
    add(c.attention, symbol::kAttention);
    add(c.mamba, symbol::kMamba);
    add(c.mlp, symbol::kMlp);
    add(c.moe, symbol::kMoE);
    add(c.gdn, symbol::kGdn);
    add(c.dsa, symbol::kDsa);
    add(c.mla, symbol::kMla);
    return s.empty() ? "no layers" : s;
}

std::string ratio_text(double r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", r);
    return buf;
}

// Candidate ratios with `digits` decimals whose Python round(n·r) is `count`, nearest to count/n first.
std::vector<double> ratio_candidates(int n, int count, int digits) {
    std::vector<double> out;
    if (count == 0) return {0.0};
    const double scale = std::pow(10.0, digits);
    const double lo = (count - 0.5) / n, hi = (count + 0.5) / n;
    const auto k0 = static_cast<int64_t>(std::floor(lo * scale)) - 1;
    const auto k1 = static_cast<int64_t>(std::ceil(hi * scale)) + 1;
    for (int64_t k = std::max<int64_t>(k0, 0); k <= k1; ++k) {
        const double r = static_cast<double>(k) / scale;  // == the double the decimal literal parses to
        if (r > 1.0) break;
        if (python_round(static_cast<double>(n) * r) == count) out.push_back(r);
    }
    const double target = static_cast<double>(count) / n;
    std::sort(out.begin(), out.end(), [&](double a, double b) { return std::abs(a - target) < std::abs(b - target); });
    return out;
}

}  // namespace

Result<MegatronVersion> parse_megatron_version(std::string_view text) {
    std::string s = lower(trim(text));
    if (s == "main" || s == "latest" || s == "dev") return MegatronVersion::Main;
    for (const char* prefix : {"core_r", "core_v", "core-v", "v", "<="}) {
        const std::string p(prefix);
        if (s.rfind(p, 0) == 0) s = s.substr(p.size());
    }
    int major = -1, minor = -1;
    if (std::sscanf(s.c_str(), "%d.%d", &major, &minor) != 2 || major < 0 || minor < 0)
        return Status::invalid_argument("megatron version '" + std::string(text) +
                                        "' is not understood (use e.g. 0.15, 0.16, 0.17, main)");
    if (major > 0) return MegatronVersion::Main;
    if (minor <= 15) return MegatronVersion::V0_15;
    if (minor == 16) return MegatronVersion::V0_16;
    return MegatronVersion::V0_17;  // 0.17–0.19 share the symbol set (facts §2.4)
}

const char* megatron_version_name(MegatronVersion version) {
    switch (version) {
        case MegatronVersion::V0_15:
            return "<=0.15";
        case MegatronVersion::V0_16:
            return "0.16";
        case MegatronVersion::V0_17:
            return "0.17+";
        case MegatronVersion::Main:
            return "main";
    }
    return "?";
}

bool uses_ratio_override_rule(MegatronVersion version) {
    return version == MegatronVersion::V0_15 || version == MegatronVersion::V0_16;
}

std::string legal_layer_symbols(MegatronVersion version) {
    switch (version) {
        case MegatronVersion::V0_15:
            return "M*-";
        case MegatronVersion::V0_16:
            return "M*-E";
        case MegatronVersion::V0_17:
            return "M*-EG";
        case MegatronVersion::Main:
            return "M*-EGD+";
    }
    return "";
}

bool is_layer_symbol(char c, MegatronVersion version) {
    return legal_layer_symbols(version).find(c) != std::string::npos;
}

bool is_mixer_symbol(char c) {
    return c == symbol::kMamba || c == symbol::kAttention || c == symbol::kGdn || c == symbol::kDsa ||
           c == symbol::kMla;
}

bool is_mlp_symbol(char c) { return c == symbol::kMlp || c == symbol::kMoE; }

const char* symbol_name(char c) {
    switch (c) {
        case symbol::kMamba:
            return "Mamba";
        case symbol::kAttention:
            return "attention";
        case symbol::kMlp:
            return "MLP";
        case symbol::kMoE:
            return "MoE";
        case symbol::kGdn:
            return "GDN";
        case symbol::kDsa:
            return "DSA";
        case symbol::kMla:
            return "MLA";
        case symbol::kPipe:
            return "pipeline segment";
        case symbol::kMtp:
            return "MTP separator";
        default:
            return "?";
    }
}

std::string LayerPattern::segment(size_t index) const {
    size_t start = 0;
    for (size_t i = 0; i < index && i < segment_lengths.size(); ++i) start += static_cast<size_t>(segment_lengths[i]);
    if (index >= segment_lengths.size()) return "";
    return layers.substr(start, static_cast<size_t>(segment_lengths[index]));
}

Result<LayerPattern> parse_layer_pattern(std::string_view text, MegatronVersion version) {
    const std::string legal = legal_layer_symbols(version);
    const bool pipes_ok = version == MegatronVersion::V0_17 || version == MegatronVersion::Main;
    LayerPattern out;
    // Split on '/': part 0 is the main decoder, the rest one MTP depth each.
    std::vector<std::string> parts(1);
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool structural = c == symbol::kMtp || c == symbol::kPipe;
        if (structural ? !pipes_ok : legal.find(c) == std::string::npos) {
            std::string msg = "pattern position " + std::to_string(i) + ": '" + std::string(1, c) + "' ";
            if (const char* since = introduced_in(c))
                msg += "(" + std::string(symbol_name(c)) + ") needs Megatron " + since + ", not " +
                       megatron_version_name(version);
            else
                msg += "is not a layer symbol";
            msg += " (legal: " + legal + (pipes_ok ? " | /" : "") + ")";
            return Status::invalid_argument(msg);
        }
        if (c == symbol::kMtp)
            parts.emplace_back();
        else
            parts.back() += c;
    }
    int len = 0;
    for (char c : parts[0]) {
        if (c == symbol::kPipe) {
            out.segment_lengths.push_back(len);
            len = 0;
        } else {
            out.layers += c;
            ++len;
        }
    }
    out.segment_lengths.push_back(len);
    if (parts.size() > 1 &&
        !std::all_of(parts.begin() + 1, parts.end(), [](const std::string& p) { return p.empty(); })) {
        for (size_t i = 2; i < parts.size(); ++i)
            if (parts[i] != parts[1])
                return Status::invalid_argument("all MTP patterns must be identical: pattern 1 is '" + parts[1] +
                                                "', pattern " + std::to_string(i) + " is '" + parts[i] + "'");
        if (parts[1].find(symbol::kPipe) != std::string::npos)
            return Status::invalid_argument("MTP pattern '" + parts[1] + "' may not contain '|'");
        out.mtp = parts[1];
        out.mtp_depths = static_cast<int>(parts.size() - 1);
    }
    // main: standard attention cannot share a model with MLA/DSA (hybrid_layer_allocation.py _validate_pattern).
    const std::string all = out.layers + out.mtp;
    if (all.find(symbol::kAttention) != std::string::npos &&
        (all.find(symbol::kDsa) != std::string::npos || all.find(symbol::kMla) != std::string::npos))
        return Status::invalid_argument("'*' (attention) may not be combined with 'D' (DSA) or '+' (MLA) in one model");
    return out;
}

std::string to_string(const LayerPattern& pattern) {
    std::string s;
    size_t pos = 0;
    for (size_t i = 0; i < pattern.segment_lengths.size(); ++i) {
        if (i > 0) s += symbol::kPipe;
        const auto n = static_cast<size_t>(pattern.segment_lengths[i]);
        s += pattern.layers.substr(pos, n);
        pos += n;
    }
    if (pattern.segment_lengths.empty()) s = pattern.layers;
    for (int d = 0; d < pattern.mtp_depths; ++d) s += symbol::kMtp + pattern.mtp;
    return s;
}

LayerCounts count_layers(std::string_view symbols) {
    LayerCounts c;
    for (char ch : symbols) {
        switch (ch) {
            case symbol::kAttention:
                ++c.attention;
                break;
            case symbol::kMamba:
                ++c.mamba;
                break;
            case symbol::kMlp:
                ++c.mlp;
                break;
            case symbol::kMoE:
                ++c.moe;
                break;
            case symbol::kGdn:
                ++c.gdn;
                break;
            case symbol::kDsa:
                ++c.dsa;
                break;
            case symbol::kMla:
                ++c.mla;
                break;
            default:
                break;
        }
    }
    return c;
}

int64_t python_round(double x) {
    // x - floor(x) is exact for every finite double, so the tie test is exact too.
    double f = std::floor(x);
    const double d = x - f;
    if (d > 0.5 || (d == 0.5 && std::fmod(f, 2.0) != 0.0)) f += 1.0;
    return static_cast<int64_t>(f);
}

Result<std::string> pattern_from_ratios(int num_layers, double attention_ratio, double mlp_ratio) {
    if (num_layers < 1) return Status::invalid_argument("number of layers must be at least 1");
    if (!(attention_ratio >= 0.0 && attention_ratio <= 1.0))
        return Status::invalid_argument("attention ratio " + ratio_text(attention_ratio) + " is outside [0, 1]");
    if (!(mlp_ratio >= 0.0 && mlp_ratio <= 1.0))
        return Status::invalid_argument("MLP ratio " + ratio_text(mlp_ratio) + " is outside [0, 1]");
    if (!(attention_ratio + mlp_ratio <= 1.0))
        return Status::invalid_argument("attention ratio + MLP ratio = " + ratio_text(attention_ratio + mlp_ratio) +
                                        " exceeds 1 (Mamba ratio = 1 - attention - MLP)");
    const int n = num_layers;
    // Attention: evenly spaced, starting and ending with Mamba. Step for step as in Python:
    // int / int is a true (double) division, and x moves by += section / -= 1.
    const auto attention_count = python_round(static_cast<double>(n) * attention_ratio);
    int64_t mamba_count = n - attention_count;
    const double section = static_cast<double>(mamba_count) / static_cast<double>(attention_count + 1);
    std::string types(static_cast<size_t>(n), symbol::kMamba);
    double x = section;
    for (int l = 0; l < n; ++l) {
        if (x < 0.5) {
            types[static_cast<size_t>(l)] = symbol::kAttention;
            x += section;
        } else {
            x -= 1;
        }
    }
    // MLP: evenly distributed over the Mamba slots, right-justified, never replacing attention.
    const auto mlp_count = python_round(static_cast<double>(n) * mlp_ratio);
    if (mlp_count > 0) {
        mamba_count -= mlp_count;
        const double ratio = static_cast<double>(mamba_count) / static_cast<double>(mlp_count);
        x = ratio;
        for (int l = 0; l < n; ++l) {
            if (types[static_cast<size_t>(l)] != symbol::kMamba) continue;
            if (x < 0.5) {
                types[static_cast<size_t>(l)] = symbol::kMlp;
                x += ratio;
            } else {
                x -= 1;
            }
        }
    }
    return types;
}

std::optional<RatioPair> ratios_matching_counts(const LayerCounts& counts) {
    const int n = counts.total();
    if (n == 0 || counts.moe || counts.gdn || counts.dsa || counts.mla) return std::nullopt;
    for (int digits = 2; digits <= 6; ++digits) {
        for (double a : ratio_candidates(n, counts.attention, digits)) {
            for (double m : ratio_candidates(n, counts.mlp, digits)) {
                if (!(a + m <= 1.0)) continue;
                auto p = pattern_from_ratios(n, a, m);
                if (p && count_layers(*p) == counts) return RatioPair{a, m};
            }
        }
    }
    return std::nullopt;
}

OverrideVerdict check_override_pattern(std::string_view symbols, double attention_ratio, double mlp_ratio,
                                       MegatronVersion version) {
    OverrideVerdict v;
    const LayerCounts have = count_layers(symbols);
    const int n = static_cast<int>(symbols.size());
    v.matching = ratios_matching_counts(have);
    std::string hint;
    if (v.matching)
        hint = " The ratios " + ratio_text(v.matching->attention) + "/" + ratio_text(v.matching->mlp) +
               " allocate the same counts; 0/0 accepts any pattern.";
    else
        hint =
            " No ratio pair allocates these counts (the allocation only makes 'M', '*' and '-'); use 0/0, which "
            "accepts any pattern.";
    if (!uses_ratio_override_rule(version)) {
        v.message = std::string("Megatron ") + megatron_version_name(version) +
                    " has no override rule: --hybrid-layer-pattern is used as written (ratios are deprecated and "
                    "only generate a pattern).";
        if (attention_ratio > 0 || mlp_ratio > 0) {
            auto p = pattern_from_ratios(n, attention_ratio, mlp_ratio);
            if (p) v.auto_pattern = *p;
        }
        return v;
    }
    auto auto_pattern = pattern_from_ratios(n, attention_ratio, mlp_ratio);
    if (!auto_pattern) {
        v.ok = false;
        v.message = auto_pattern.status().message();
        return v;
    }
    v.auto_pattern = *auto_pattern;
    if (attention_ratio == 0.0 && mlp_ratio == 0.0) {
        v.message = "ratios 0/0: Megatron " + std::string(megatron_version_name(version)) +
                    " accepts any override pattern of the right length (" + counts_text(have) + ")." +
                    (v.matching ? " Ratios " + ratio_text(v.matching->attention) + "/" + ratio_text(v.matching->mlp) +
                                      " would also match its counts."
                                : std::string());
        return v;
    }
    const LayerCounts want = count_layers(*auto_pattern);
    const std::string flags =
        "--hybrid-attention-ratio " + ratio_text(attention_ratio) + " --hybrid-mlp-ratio " + ratio_text(mlp_ratio);
    if (want == have) {
        v.message = "legal for Megatron " + std::string(megatron_version_name(version)) + ": with " + flags + " the " +
                    std::to_string(n) + "-layer auto allocation has the same counts (" + counts_text(have) + ")" +
                    (*auto_pattern == symbols ? " and the same order." : "; only the order differs, which is allowed.");
        return v;
    }
    v.ok = false;
    v.message = "Megatron " + std::string(megatron_version_name(version)) +
                " rejects this override pattern (\"The number of each type of layer in the override pattern must "
                "match the number in the overridden pattern\"): with " +
                flags + " the " + std::to_string(n) + "-layer auto allocation has " + counts_text(want) +
                " but the pattern has " + counts_text(have) + "." + hint;
    return v;
}

// ---- HF layers ----------------------------------------------------------------------------

Result<std::vector<int>> parse_index_list(std::string_view text, int num_layers) {
    std::string s = trim(text);
    if (!s.empty() && s.front() == '[') s.erase(0, 1);
    if (!s.empty() && s.back() == ']') s.pop_back();
    // "…" (U+2026) is what a pasted ellipsis often is.
    for (size_t p; (p = s.find("\xE2\x80\xA6")) != std::string::npos;) s.replace(p, 3, "...");
    std::vector<std::string> tokens;
    std::string cur;
    for (char c : s) {
        if (c == ',') {
            tokens.push_back(trim(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    tokens.push_back(trim(cur));
    if (tokens.size() == 1 && tokens[0].empty()) return std::vector<int>{};

    auto parse_int = [](const std::string& t, int& out) {
        if (t.empty() || t.size() > 9 ||
            !std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return false;
        out = std::stoi(t);
        return true;
    };
    std::vector<int> out;
    bool pending_ellipsis = false;
    int step = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const std::string& t = tokens[i];
        if (t == "..." || t == "..") {
            if (pending_ellipsis) return Status::invalid_argument("index list: two '...' in a row");
            if (out.size() < 2)
                return Status::invalid_argument("index list: '...' needs two numbers before it to give the step");
            step = out[out.size() - 1] - out[out.size() - 2];
            if (step <= 0)
                return Status::invalid_argument("index list: the step before '...' must be positive, got " +
                                                std::to_string(step));
            pending_ellipsis = true;
            continue;
        }
        int a = 0, b = 0;
        const size_t dash = t.find('-', 1);
        if (dash != std::string::npos) {
            if (!parse_int(t.substr(0, dash), a) || !parse_int(t.substr(dash + 1), b) || b < a)
                return Status::invalid_argument("index list: '" + t + "' is not a range a-b with a <= b");
        } else if (!parse_int(t, a)) {
            return Status::invalid_argument("index list: '" + t + "' is not a non-negative integer");
        } else {
            b = a;
        }
        // Ranges are checked before they are expanded: "0-99999999" must not allocate 400 MB.
        const int bound = num_layers > 0 ? num_layers : static_cast<int>(kMaxLayers);
        if (b > a && b >= bound)
            return Status::invalid_argument("index list: range '" + t + "' runs past the last layer " +
                                            std::to_string(bound - 1));
        if (out.size() + static_cast<size_t>(b - a) + 1 > kMaxLayers)
            return Status::invalid_argument("index list: more than " + std::to_string(kMaxLayers) + " indices");
        if (pending_ellipsis) {
            const int last = out.back();
            if (a >= bound)
                return Status::invalid_argument("index list: '...' continues to " + std::to_string(a) +
                                                ", past the last layer " + std::to_string(bound - 1));
            if (a <= last || (a - last) % step != 0)
                return Status::invalid_argument("index list: '...' continues " + std::to_string(last) + " by " +
                                                std::to_string(step) + " but does not reach " + std::to_string(a));
            for (int v = last + step; v < a; v += step) out.push_back(v);
            pending_ellipsis = false;
        }
        for (int v = a; v <= b; ++v) out.push_back(v);
    }
    if (pending_ellipsis) {
        if (num_layers <= 0) return Status::invalid_argument("index list: a trailing '...' needs the number of layers");
        if (num_layers > static_cast<int>(kMaxLayers))
            return Status::invalid_argument("index list: " + std::to_string(num_layers) + " layers exceed the limit of " +
                                            std::to_string(kMaxLayers));
        for (int v = out.back() + step; v < num_layers; v += step) out.push_back(v);
    }
    return out;
}

std::string format_index_list(const std::vector<int>& v) {
    std::string s;
    auto emit = [&](int x) { s += (s.empty() ? "" : ",") + std::to_string(x); };
    size_t i = 0;
    while (i < v.size()) {
        size_t j = i + 1;
        if (j < v.size() && v[j] > v[i]) {
            const int step = v[j] - v[i];
            while (j + 1 < v.size() && v[j + 1] - v[j] == step) ++j;
            if (j - i + 1 >= 6) {  // a,b,c,...,y,z is shorter than the run and parses back exactly
                emit(v[i]);
                emit(v[i + 1]);
                emit(v[i + 2]);
                s += ",...";
                emit(v[j - 1]);
                emit(v[j]);
                i = j + 1;
                continue;
            }
        }
        emit(v[i]);
        ++i;
    }
    return s;
}

std::vector<PatternMessage> validate_attn_layers(const std::vector<int>& attn, int num_layers) {
    std::vector<PatternMessage> out;
    std::set<int> seen;
    for (size_t i = 0; i < attn.size(); ++i) {
        const int x = attn[i];
        if (x < 0 || x >= num_layers)
            out.push_back({true, "index " + std::to_string(x) + " is outside 0.." + std::to_string(num_layers - 1)});
        if (!seen.insert(x).second) out.push_back({true, "index " + std::to_string(x) + " is listed twice"});
        if (i > 0 && x < attn[i - 1])
            out.push_back(
                {true, "indices must be sorted: " + std::to_string(x) + " comes after " + std::to_string(attn[i - 1])});
    }
    // jingshenghang/M1 README_Qwen.md: "first and last layer must stay attention".
    if (num_layers > 0 && !seen.count(0))
        out.push_back({true, "layer 0 must stay attention (M1: first and last layer must stay attention)"});
    if (num_layers > 1 && !seen.count(num_layers - 1))
        out.push_back({true, "layer " + std::to_string(num_layers - 1) +
                                 " must stay attention (M1: first and last layer must stay attention)"});
    return out;
}

std::vector<MixerKind> mixers_from_attn_layers(const std::vector<int>& attn, int num_layers, MixerKind other) {
    std::vector<MixerKind> out(static_cast<size_t>(std::max(num_layers, 0)), other);
    for (int i : attn)
        if (i >= 0 && i < num_layers) out[static_cast<size_t>(i)] = MixerKind::Attention;
    return out;
}

std::vector<int> attn_layers_from_mixers(const std::vector<MixerKind>& mixers) {
    std::vector<int> out;
    for (size_t i = 0; i < mixers.size(); ++i)
        if (mixers[i] == MixerKind::Attention) out.push_back(static_cast<int>(i));
    return out;
}

char mixer_symbol(MixerKind kind) {
    switch (kind) {
        case MixerKind::Attention:
            return symbol::kAttention;
        case MixerKind::Mamba2:
            return symbol::kMamba;
        case MixerKind::GatedDeltaNet:
            return symbol::kGdn;
        case MixerKind::None:
            return 0;
    }
    return '?';
}

char mlp_symbol(MlpKind kind, const PatternOptions& options) {
    switch (kind) {
        case MlpKind::Dense:
            return symbol::kMlp;
        case MlpKind::MoE:
            return options.moe_as_mlp || !is_layer_symbol(symbol::kMoE, options.version) ? symbol::kMlp : symbol::kMoE;
        case MlpKind::None:
            return 0;
    }
    return 0;
}

Result<std::string> megatron_pattern_from_layers(const std::vector<LayerKind>& layers, const PatternOptions& options) {
    std::string out;
    for (size_t i = 0; i < layers.size(); ++i) {
        const char m = mixer_symbol(layers[i].mixer);
        if (m == 0 && layers[i].mlp == MlpKind::None)
            return Status::invalid_argument("HF layer " + std::to_string(i) + " has neither a mixer nor an MLP");
        if (m != 0 && !is_layer_symbol(m, options.version))
            return Status::invalid_argument("HF layer " + std::to_string(i) + " is " +
                                            mixer_kind_name(layers[i].mixer) + " ('" + std::string(1, m) +
                                            "'), which needs Megatron " + introduced_in(m) + ", not " +
                                            megatron_version_name(options.version));
        if (m != 0) out += m;
        if (const char p = mlp_symbol(layers[i].mlp, options)) out += p;
    }
    return out;
}

Result<std::vector<LayerKind>> layers_from_megatron_pattern(std::string_view symbols, MlpKind mlp_dash) {
    std::vector<LayerKind> out;
    bool open = false;  // the last HF layer has a mixer and no MLP yet
    for (size_t i = 0; i < symbols.size(); ++i) {
        const char c = symbols[i];
        if (c == symbol::kPipe) continue;
        if (is_mixer_symbol(c)) {
            LayerKind k;
            k.mixer = c == symbol::kMamba ? MixerKind::Mamba2
                      : c == symbol::kGdn ? MixerKind::GatedDeltaNet
                                          : MixerKind::Attention;
            k.mlp = MlpKind::None;
            out.push_back(k);
            open = true;
        } else if (is_mlp_symbol(c)) {
            if (!open)
                return Status::invalid_argument("pattern position " + std::to_string(i) + ": '" + std::string(1, c) +
                                                "' (" + symbol_name(c) +
                                                ") does not follow a mixer, so it is not part of any HF layer "
                                                "(HF layers are a mixer then at most one MLP/MoE)");
            out.back().mlp = c == symbol::kMoE ? MlpKind::MoE : mlp_dash;
            open = false;
        } else {
            return Status::invalid_argument("pattern position " + std::to_string(i) + ": '" + std::string(1, c) +
                                            "' is not a layer symbol");
        }
    }
    return out;
}

Result<std::vector<LayerKind>> layers_one_per_symbol(std::string_view symbols) {
    std::vector<LayerKind> out;
    for (size_t i = 0; i < symbols.size(); ++i) {
        const char c = symbols[i];
        if (c == symbol::kPipe) continue;
        LayerKind k{MixerKind::None, MlpKind::None};
        if (c == symbol::kMamba) k.mixer = MixerKind::Mamba2;
        else if (c == symbol::kAttention) k.mixer = MixerKind::Attention;
        else if (c == symbol::kGdn) k.mixer = MixerKind::GatedDeltaNet;
        else if (c == symbol::kMlp) k.mlp = MlpKind::Dense;
        else if (c == symbol::kMoE) k.mlp = MlpKind::MoE;
        else
            return Status::invalid_argument("pattern position " + std::to_string(i) + ": '" + std::string(1, c) +
                                            "' is not one of M * G - E (one layer each)");
        out.push_back(k);
    }
    return out;
}

const char* hf_layer_convention_name(HfLayerConvention convention) {
    switch (convention) {
        case HfLayerConvention::MixerThenMlp:
            return "mixer + MLP";
        case HfLayerConvention::OnePerSymbol:
            return "one per symbol";
    }
    return "?";
}

Result<std::vector<LayerKind>> hf_layers_from_pattern(std::string_view symbols, HfLayerConvention convention,
                                                      MlpKind mlp_dash) {
    if (convention == HfLayerConvention::OnePerSymbol) return layers_one_per_symbol(symbols);
    return layers_from_megatron_pattern(symbols, mlp_dash);
}

char next_one_per_symbol_layer(char symbol, MegatronVersion version) {
    switch (symbol) {
        case symbol::kMamba:
            return symbol::kAttention;
        case symbol::kAttention:
            return symbol::kMlp;
        case symbol::kMlp:
            return is_layer_symbol(symbol::kMoE, version) ? symbol::kMoE : symbol::kMamba;
        default:
            return symbol::kMamba;
    }
}

// ---- GDN ------------------------------------------------------------------------------------

std::vector<MixerKind> gdn_mixers_from_interval(int num_layers, int interval) {
    std::vector<MixerKind> out;
    for (int i = 0; i < num_layers; ++i)
        out.push_back(interval > 0 && (i + 1) % interval == 0 ? MixerKind::Attention : MixerKind::GatedDeltaNet);
    return out;
}

Result<std::vector<MixerKind>> gdn_mixers_from_layer_types(const std::vector<std::string>& types) {
    std::vector<MixerKind> out;
    for (size_t i = 0; i < types.size(); ++i) {
        if (types[i] == "full_attention")
            out.push_back(MixerKind::Attention);
        else if (types[i] == "linear_attention")
            out.push_back(MixerKind::GatedDeltaNet);
        else
            return Status::invalid_argument("layer_types[" + std::to_string(i) + "] is '" + types[i] +
                                            "' (expected 'linear_attention' or 'full_attention')");
    }
    return out;
}

std::vector<std::string> layer_types_from_mixers(const std::vector<MixerKind>& mixers) {
    std::vector<std::string> out;
    for (MixerKind m : mixers) out.push_back(m == MixerKind::Attention ? "full_attention" : "linear_attention");
    return out;
}

std::optional<int> full_attention_interval_from_mixers(const std::vector<MixerKind>& mixers) {
    const int n = static_cast<int>(mixers.size());
    for (int interval = 1; interval <= n; ++interval)
        if (gdn_mixers_from_interval(n, interval) == mixers) return interval;
    return std::nullopt;
}

LinearAttentionFreq linear_attention_freq_from_mixers(const std::vector<MixerKind>& mixers) {
    LinearAttentionFreq f;
    if (auto n = full_attention_interval_from_mixers(mixers)) {
        f.interval = *n;
        return f;
    }
    for (MixerKind m : mixers) f.list.push_back(m == MixerKind::Attention ? 0 : 1);
    return f;
}

Result<std::vector<MixerKind>> mixers_from_linear_attention_freq(const LinearAttentionFreq& freq, int num_layers) {
    if (freq.interval > 0) return gdn_mixers_from_interval(num_layers, freq.interval);
    if (static_cast<int>(freq.list.size()) != num_layers)
        return Status::invalid_argument("linear_attention_freq list has " + std::to_string(freq.list.size()) +
                                        " entries for " + std::to_string(num_layers) + " layers");
    std::vector<MixerKind> out;
    for (size_t i = 0; i < freq.list.size(); ++i) {
        if (freq.list[i] != 0 && freq.list[i] != 1)
            return Status::invalid_argument("linear_attention_freq[" + std::to_string(i) + "] is " +
                                            std::to_string(freq.list[i]) + " (expected 0 = SDPA or 1 = linear)");
        out.push_back(freq.list[i] == 0 ? MixerKind::Attention : MixerKind::GatedDeltaNet);
    }
    return out;
}

}  // namespace strata
