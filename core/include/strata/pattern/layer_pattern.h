// LayerPattern: Megatron hybrid layer-pattern strings ("M-M*-|M-M-/*-") by Megatron
// version, Megatron's ratio allocation (bit-exact), and converters between an M1
// `attn_layers` list, per-HF-layer kinds, the Megatron pattern (each HF layer = a
// mixer slot then an MLP/MoE slot), counts and ratios, and GDN layer schedules.
// Pure functions over value types: no I/O. Rules: facts/mamba-megatron.md §2.4.
// Usage: STRATA_TRY(auto p, parse_layer_pattern("M-M*-", MegatronVersion::V0_16));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/pattern/layer_kind.h"
#include "strata/status.h"

namespace strata {

// Which Megatron-Core release's pattern rules apply. Symbols by version
// (NVIDIA/Megatron-LM megatron/core/ssm/mamba_hybrid_layer_allocation.py,
// megatron/core/models/hybrid/hybrid_layer_allocation.py from v0.18):
//   V0_15 (core ≤ 0.15): M * -            ratios + override pattern, counts must match ratios
//   V0_16:               + E              same ratio/override rule
//   V0_17 (0.17–0.19):   + G | /          --hybrid-layer-pattern only; ratios become pattern_from_ratios
//   Main:                + D +            '*' may not coexist with D or +
enum class MegatronVersion { V0_15, V0_16, V0_17, Main };
inline constexpr MegatronVersion kDefaultMegatronVersion = MegatronVersion::V0_16;

// Accepts "0.14", "0.15", "core_v0.16.0", "v0.17", "0.19", "main" (case-insensitive).
Result<MegatronVersion> parse_megatron_version(std::string_view text);
const char* megatron_version_name(MegatronVersion version);  // "<=0.15", "0.16", "0.17+", "main"
// True when the version validates an override pattern against ratio counts (≤ v0.16).
bool uses_ratio_override_rule(MegatronVersion version);

namespace symbol {
inline constexpr char kMamba = 'M';
inline constexpr char kAttention = '*';
inline constexpr char kMlp = '-';
inline constexpr char kMoE = 'E';
inline constexpr char kGdn = 'G';
inline constexpr char kDsa = 'D';  // DeepSeek sparse attention (main)
inline constexpr char kMla = '+';  // multi-latent attention (main)
inline constexpr char kPipe = '|';
inline constexpr char kMtp = '/';
}  // namespace symbol

// Layer symbols legal in `version` (no '|' or '/'), in Megatron's order: "M*-" ... "M*-EGD+".
std::string legal_layer_symbols(MegatronVersion version);
bool is_layer_symbol(char c, MegatronVersion version);
bool is_mixer_symbol(char c);     // M * G D +
bool is_mlp_symbol(char c);       // - E
const char* symbol_name(char c);  // "Mamba", "attention", "MLP", "MoE", "GDN", "DSA", "MLA", "?"

// A parsed pattern. `layers` is the main decoder without '|'; segment_lengths has one
// entry per '|'-delimited segment (a single entry when there is no '|').
struct LayerPattern {
    std::string layers;
    std::vector<int> segment_lengths;
    std::string mtp;     // the pattern of one MTP depth ("" = no MTP)
    int mtp_depths = 0;  // number of '/'-separated MTP parts

    int num_layers() const { return static_cast<int>(layers.size()); }
    bool has_pipes() const { return segment_lengths.size() > 1; }
    std::string segment(size_t index) const;  // the symbols of one '|' segment
    bool operator==(const LayerPattern&) const = default;
};

// Parses and validates against `version`: legal symbols, '|' and '/' only from v0.17,
// identical pipe-free MTP parts, no '*' beside D/+ (main). Errors name the offending
// character's position and the legal set.
Result<LayerPattern> parse_layer_pattern(std::string_view text, MegatronVersion version);
// Prints the canonical string: segments joined by '|', then "/mtp" per depth.
std::string to_string(const LayerPattern& pattern);

// Per-symbol counts of a symbol string (MTP not included).
struct LayerCounts {
    int attention = 0, mamba = 0, mlp = 0, moe = 0, gdn = 0, dsa = 0, mla = 0;
    int total() const { return attention + mamba + mlp + moe + gdn + dsa + mla; }
    bool operator==(const LayerCounts&) const = default;
};
LayerCounts count_layers(std::string_view symbols);

struct RatioPair {
    double attention = 0.0;
    double mlp = 0.0;  // Mamba ratio = 1 - attention - mlp
};

// Megatron's ratio allocation: `_allocate_auto` (≤ v0.16) and `pattern_from_ratios`
// (v0.17+) are the same algorithm, reproduced step for step with Python's round().
// InvalidArgument when num_layers < 1, a ratio is outside [0,1] or they sum past 1.
Result<std::string> pattern_from_ratios(int num_layers, double attention_ratio, double mlp_ratio);

// Python 3's round() of a double to the nearest integer, ties to even (exposed for tests).
int64_t python_round(double x);

// The shortest-decimal ratio pair (2 decimals first, then 3, 4...) whose allocation over
// counts.total() layers has exactly these '*' and '-' counts; nullopt when none exists
// (for instance when the pattern has E/G/D/+ layers, which the allocation never makes).
std::optional<RatioPair> ratios_matching_counts(const LayerCounts& counts);

// The ≤ v0.16 override rule (mamba_hybrid_layer_allocation.py allocate_layers): with a
// ratio > 0 the override's per-symbol counts must equal the auto allocation's; with both
// ratios 0 any pattern of the right length is accepted. From v0.17 ratios and override
// are gone (a ratio pair only generates a pattern), so the verdict is always ok there.
struct OverrideVerdict {
    bool ok = true;
    std::string message;                // why, with the counts on both sides
    std::string auto_pattern;           // what the ratios allocate (empty when not computed)
    std::optional<RatioPair> matching;  // the ratio pair that would make the pattern legal
};
OverrideVerdict check_override_pattern(std::string_view symbols, double attention_ratio, double mlp_ratio,
                                       MegatronVersion version);

// ---- HF layers ----------------------------------------------------------------------------

// Index lists as M1's --attn_layers takes them: "0,2,4,...,44,46,47" (the step of the two
// items before "..." continues up to the item after it, or to num_layers-1 at the end),
// plain "1,5,9", ranges "0-3,8", optional [ ] brackets and spaces. Errors name the token.
// Parses only; validate_attn_layers applies the M1 rules.
Result<std::vector<int>> parse_index_list(std::string_view text, int num_layers);
// The shortest list in the same syntax: runs of 4+ equal steps become "a,b,...,c".
std::string format_index_list(const std::vector<int>& indices);

struct PatternMessage {
    bool error = true;  // false = a warning
    std::string text;
};
// M1's rules for attn_layers over num_layers HF layers: indices in range, unique and
// sorted (errors); first and last layers stay attention (jingshenghang/M1 README_Qwen.md:
// "first and last layer must stay attention"; errors). Empty result = valid.
std::vector<PatternMessage> validate_attn_layers(const std::vector<int>& attn_layers, int num_layers);

// attn_layers → per-HF-layer mixers: listed layers Attention, the rest `other` (Mamba2).
std::vector<MixerKind> mixers_from_attn_layers(const std::vector<int>& attn_layers, int num_layers,
                                               MixerKind other = MixerKind::Mamba2);
std::vector<int> attn_layers_from_mixers(const std::vector<MixerKind>& mixers);

struct PatternOptions {
    MegatronVersion version = kDefaultMegatronVersion;
    // Write MoE layers as '-' even where 'E' exists (MindSpeed 2.1.0 scripts, which predate
    // 'E', use '-' for the MoE MLP: facts/mamba-megatron.md §1.5). Before v0.16 always '-'.
    bool moe_as_mlp = false;
};
char mixer_symbol(MixerKind kind);
char mlp_symbol(MlpKind kind, const PatternOptions& options);  // 0 for MlpKind::None
// HF layer i → Megatron slots 2i (mixer) and 2i+1 (MLP/MoE; none when MlpKind::None); a layer
// without a mixer (MixerKind::None) writes its MLP/MoE symbol only.
// InvalidArgument when a kind has no symbol in options.version (GDN before v0.17).
Result<std::string> megatron_pattern_from_layers(const std::vector<LayerKind>& layers,
                                                 const PatternOptions& options = {});
// The reverse: each mixer symbol starts an HF layer, an MLP/MoE symbol right after it is
// that layer's MLP ('-' → `mlp_dash`, Dense unless the model is MoE). An MLP symbol with no
// mixer before it has no HF equivalent: InvalidArgument naming its position.
Result<std::vector<LayerKind>> layers_from_megatron_pattern(std::string_view symbols,
                                                            MlpKind mlp_dash = MlpKind::Dense);

// One layer per symbol, as Nemotron-H's hybrid_override_pattern counts them (HF layer i is
// Megatron layer i): M / * / G a mixer-only layer, - / E an MLP- / MoE-only layer ('|' skipped).
// InvalidArgument naming the position of any other symbol.
Result<std::vector<LayerKind>> layers_one_per_symbol(std::string_view symbols);

// How a family counts its HF layers against the Megatron pattern. MixerThenMlp: an HF layer is
// a mixer slot plus the MLP/MoE slot after it (M1 hybrids, Megatron GPT stacks, Qwen3-Next);
// OnePerSymbol: every symbol is an HF layer of its own (Nemotron-H). The family decides
// (Architecture::hf_layer_convention, hf_layer_convention_for in model/architecture.h).
enum class HfLayerConvention { MixerThenMlp, OnePerSymbol };
const char* hf_layer_convention_name(HfLayerConvention convention);  // "mixer + MLP", "one per symbol"
// The HF layers a pattern describes under `convention`: layers_from_megatron_pattern (reading
// '-' as `mlp_dash`) or layers_one_per_symbol ('-' is always Dense there: MoE is 'E').
// megatron_pattern_from_layers is the way back under both conventions.
Result<std::vector<LayerKind>> hf_layers_from_pattern(std::string_view symbols, HfLayerConvention convention,
                                                      MlpKind mlp_dash = MlpKind::Dense);
// The next kind of a one-per-symbol layer when a designer cycles it: M -> * -> - -> E -> M, 'E'
// (Nemotron 3's MoE layers) only where `version` has it (v0.16+); other symbols start at M.
char next_one_per_symbol_layer(char symbol, MegatronVersion version);

// ---- GDN (Qwen3-Next / Qwen3.5) -------------------------------------------------------------
// HF: full_attention_interval N (layer i is full attention iff (i+1) % N == 0) or
// layer_types ["linear_attention"|"full_attention"]; Megatron: linear_attention_freq, an int
// with the same meaning or a list with 0 = SDPA, 1 = linear attention.
// (NVIDIA-NeMo/Megatron-Bridge transformers_compat.py full_attention_interval_from_hf;
// facts/bridge-mappings.md §3.1.)
std::vector<MixerKind> gdn_mixers_from_interval(int num_layers, int full_attention_interval);
Result<std::vector<MixerKind>> gdn_mixers_from_layer_types(const std::vector<std::string>& layer_types);
std::vector<std::string> layer_types_from_mixers(const std::vector<MixerKind>& mixers);
// The interval N when the mixers follow (i+1) % N == 0 exactly; nullopt otherwise.
std::optional<int> full_attention_interval_from_mixers(const std::vector<MixerKind>& mixers);

struct LinearAttentionFreq {
    int interval = 0;       // > 0: Megatron's int form
    std::vector<int> list;  // else one entry per layer, 0 = SDPA, 1 = linear attention
};
// The int form when the mixers are periodic, else the list.
LinearAttentionFreq linear_attention_freq_from_mixers(const std::vector<MixerKind>& mixers);
Result<std::vector<MixerKind>> mixers_from_linear_attention_freq(const LinearAttentionFreq& freq, int num_layers);

}  // namespace strata
