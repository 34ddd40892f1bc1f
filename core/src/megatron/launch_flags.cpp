// Launch-script flags: a small shell reader (enough for Megatron-LM's examples/ scripts) and
// the Megatron-LM flag table.
#include "strata/megatron/launch_flags.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "strata/io/bounded_read.h"

namespace strata {
namespace {

// Flag -> argparse dest, from NVIDIA/Megatron-LM main (d98e8a6): megatron/training/arguments.py
// (explicit add_argument calls) and the ArgumentGroupFactory (megatron/training/argument_utils.py)
// over TransformerConfig / ModelParallelConfig / CheckpointConfig / TokenizerConfig, which names
// a field `--field-name` and a default-True bool `--no-field-name` / `--disable-field-name`
// unless the field's argparse_meta gives arg_names (--disable-bias-linear, --norm-epsilon).
// The MindSpeed-LLM rows are names the seed's hybrid script uses (facts mamba-megatron §1.5)
// that Megatron-LM does not define (argparse stops: "unrecognized arguments").
constexpr MegatronFlagRule kRules[] = {
    {"--num-layers", "num_layers", FlagType::Int},
    {"--hidden-size", "hidden_size", FlagType::Int},
    {"--ffn-hidden-size", "ffn_hidden_size", FlagType::Int},
    {"--num-attention-heads", "num_attention_heads", FlagType::Int},
    {"--group-query-attention", "group_query_attention", FlagType::StoreTrue},
    {"--num-query-groups", "num_query_groups", FlagType::Int},
    {"--kv-channels", "kv_channels", FlagType::Int},
    {"--num-experts", "num_experts", FlagType::Int},
    {"--moe-ffn-hidden-size", "moe_ffn_hidden_size", FlagType::Int},
    {"--moe-router-topk", "moe_router_topk", FlagType::Int},
    {"--moe-layer-freq", "moe_layer_freq", FlagType::String},
    {"--moe-shared-expert-intermediate-size", "moe_shared_expert_intermediate_size", FlagType::Int},
    {"--moe-grouped-gemm", "moe_grouped_gemm", FlagType::StoreTrue},
    {"--tensor-model-parallel-size", "tensor_model_parallel_size", FlagType::Int},
    {"--pipeline-model-parallel-size", "pipeline_model_parallel_size", FlagType::Int},
    {"--expert-model-parallel-size", "expert_model_parallel_size", FlagType::Int},
    {"--expert-tensor-parallel-size", "expert_tensor_parallel_size", FlagType::Int},
    {"--context-parallel-size", "context_parallel_size", FlagType::Int},
    {"--sequence-parallel", "sequence_parallel", FlagType::StoreTrue},
    {"--num-layers-per-virtual-pipeline-stage", "num_layers_per_virtual_pipeline_stage", FlagType::Int},
    {"--num-virtual-stages-per-pipeline-rank", "num_virtual_stages_per_pipeline_rank", FlagType::Int},
    {"--decoder-first-pipeline-num-layers", "decoder_first_pipeline_num_layers", FlagType::Int},
    {"--decoder-last-pipeline-num-layers", "decoder_last_pipeline_num_layers", FlagType::Int},
    {"--untie-embeddings-and-output-weights", "untie_embeddings_and_output_weights", FlagType::StoreTrue},
    {"--position-embedding-type", "position_embedding_type", FlagType::String},
    {"--no-position-embedding", "add_position_embedding", FlagType::StoreFalse},
    {"--use-rotary-position-embeddings", "use_rotary_position_embeddings", FlagType::StoreTrue},
    {"--rotary-base", "rotary_base", FlagType::Int},
    {"--normalization", "normalization", FlagType::String},
    {"--norm-epsilon", "norm_epsilon", FlagType::Float},
    {"--swiglu", "swiglu", FlagType::StoreTrue},
    {"--qk-layernorm", "qk_layernorm", FlagType::StoreTrue},
    {"--disable-bias-linear", "add_bias_linear", FlagType::StoreFalse},
    {"--add-qkv-bias", "add_qkv_bias", FlagType::StoreTrue},
    {"--transformer-impl", "transformer_impl", FlagType::String},
    {"--hybrid-override-pattern", "hybrid_override_pattern", FlagType::String},
    {"--hybrid-layer-pattern", "hybrid_layer_pattern", FlagType::String},
    {"--hybrid-attention-ratio", "hybrid_attention_ratio", FlagType::Float},
    {"--hybrid-mlp-ratio", "hybrid_mlp_ratio", FlagType::Float},
    {"--mamba-num-heads", "mamba_num_heads", FlagType::Int},
    {"--mamba-head-dim", "mamba_head_dim", FlagType::Int},
    {"--mamba-state-dim", "mamba_state_dim", FlagType::Int},
    {"--mamba-num-groups", "mamba_num_groups", FlagType::Int},
    {"--mamba-ngroups", "mamba_num_groups", FlagType::Int, "--mamba-num-groups"},
    {"--mamba-d-state", "mamba_state_dim", FlagType::Int, "--mamba-state-dim"},
    {"--mamba-headdim", "mamba_head_dim", FlagType::Int, "--mamba-head-dim"},
    {"--mamba-expand", "mamba_expand", FlagType::Int, "--mamba-num-heads (heads = expand x hidden / head dim)"},
    {"--mamba-d-conv", "mamba_d_conv", FlagType::Int, "none (Megatron's conv width is 4)"},
    {"--mamba-chunk-size", "mamba_chunk_size", FlagType::Int, "none (Megatron's Mamba kernels pick the chunk)"},
    {"--make-vocab-size-divisible-by", "make_vocab_size_divisible_by", FlagType::Int},
    {"--vocab-size", "vocab_size", FlagType::Int},
    {"--vocab-file", "vocab_file", FlagType::String},
    {"--tokenizer-type", "tokenizer_type", FlagType::String},
    {"--seq-length", "seq_length", FlagType::Int},
    {"--max-position-embeddings", "max_position_embeddings", FlagType::Int},
    {"--ckpt-format", "ckpt_format", FlagType::String},
    {"--use-dist-ckpt", "use_dist_ckpt_deprecated", FlagType::StoreTrue},
    {"--dist-ckpt-strictness", "dist_ckpt_strictness", FlagType::String},
    {"--use-checkpoint-args", "use_checkpoint_args", FlagType::StoreTrue},
    {"--finetune", "finetune", FlagType::StoreTrue},
};

// Wraps an unresolved expansion ("$CHECKPOINT") inside word text.
const std::string kMark = "\x01";

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string at(const std::string& file, int line) { return file + ":" + std::to_string(line) + ": "; }

// One logical command: the raw text (quotes kept, continuations joined) and its first line.
struct Command {
    std::string text;
    int line = 0;
};

// Splits the script into commands at unquoted newlines and ';' (newlines inside ( ... ) arrays
// and after a '\' continue the command), dropping comments.
Result<std::vector<Command>> split_commands(std::string_view s, const std::string& file) {
    std::vector<Command> out;
    Command cur;
    int line = 1, quote_line = 0, depth = 0;
    char quote = 0;
    auto flush = [&] {
        if (cur.text.find_first_not_of(" \t\r") != std::string::npos) out.push_back(cur);
        cur = Command{};
    };
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (cur.text.empty()) cur.line = line;
        if (quote == '\'') {
            cur.text += c;
            if (c == '\n') ++line;
            if (c == '\'') quote = 0;
            continue;
        }
        if (c == '\\' && i + 1 < s.size()) {
            if (s[i + 1] == '\n') {  // continuation
                ++line;
                ++i;
                cur.text += ' ';
                continue;
            }
            cur.text += c;
            cur.text += s[++i];
            continue;
        }
        if (quote == '"') {
            cur.text += c;
            if (c == '\n') ++line;
            if (c == '"') quote = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            quote_line = line;
            cur.text += c;
            continue;
        }
        if (c == '#' && (cur.text.empty() || is_space(cur.text.back()) || cur.text.back() == '(')) {
            while (i + 1 < s.size() && s[i + 1] != '\n') ++i;
            continue;
        }
        if (c == '(') ++depth;
        if (c == ')' && depth > 0) --depth;
        if (c == '\n') {
            ++line;
            if (depth > 0) {
                cur.text += ' ';
                continue;
            }
            flush();
            continue;
        }
        if (c == ';' && depth == 0) {
            flush();
            continue;
        }
        cur.text += c;
    }
    if (quote)
        return Status::invalid_argument(at(file, quote_line) + "unterminated " +
                                        (quote == '"' ? std::string("double") : std::string("single")) + " quote");
    if (depth > 0) return Status::invalid_argument(at(file, cur.line) + "unterminated '(' (an array or $(...))");
    flush();
    return out;
}

struct Variable {
    std::vector<std::string> words;  // an array's elements, or one string
    bool array = false;
    std::string unresolved;  // non-empty: part of the value the file does not give
    int line = 0;
};

struct Word {
    Word() = default;
    Word(std::string t, std::string u) : text(std::move(t)), unresolved(std::move(u)) {}
    std::string text;
    std::string unresolved;   // "$NAME" when a part of it is not known
    bool assignment = false;  // NAME=value (value in text after '=')
    bool array_assignment = false;
    std::vector<Word> elements;  // NAME=( ... )
    bool started = false;
};

class Shell {
public:
    Shell(const std::string& file) : file_(file) {}

    std::map<std::string, Variable> vars;
    std::set<std::string> referenced;

    // Expands `text` (the inside of a command) into words.
    Result<std::vector<Word>> words(const std::string& text, int line) {
        std::vector<Word> out;
        Word w;
        bool assign_position = true;
        size_t i = 0;
        auto end_word = [&] {
            if (w.started || !w.text.empty()) {
                if (!w.assignment && w.text != "export" && w.text != "declare" && w.text != "local" &&
                    w.text != "readonly" && w.text != "-a")
                    assign_position = false;
                out.push_back(std::move(w));
            }
            w = Word{};
        };
        while (i < text.size()) {
            const char c = text[i];
            if (is_space(c)) {
                end_word();
                ++i;
                continue;
            }
            w.started = true;
            if (c == '=' && assign_position && !w.assignment && !w.text.empty() && is_name_start(w.text[0]) &&
                std::all_of(w.text.begin(), w.text.end(), is_name_char) && w.unresolved.empty()) {
                w.assignment = true;
                w.text += c;
                ++i;
                if (i < text.size() && text[i] == '(') {  // NAME=( elements )
                    size_t close = i + 1;
                    int depth = 1;
                    char q = 0;
                    for (; close < text.size(); ++close) {
                        const char d = text[close];
                        if (q) {
                            if (d == q)
                                q = 0;
                            else if (d == '\\' && q == '"')
                                ++close;
                            continue;
                        }
                        if (d == '\'' || d == '"')
                            q = d;
                        else if (d == '\\')
                            ++close;
                        else if (d == '(')
                            ++depth;
                        else if (d == ')' && --depth == 0)
                            break;
                    }
                    if (close >= text.size()) return Status::invalid_argument(at(file_, line) + "unterminated array");
                    STRATA_TRY(w.elements, words_no_assign(text.substr(i + 1, close - i - 1), line));
                    w.array_assignment = true;
                    i = close + 1;
                }
                continue;
            }
            if (c == '\'') {
                const size_t close = text.find('\'', i + 1);
                if (close == std::string::npos)
                    return Status::invalid_argument(at(file_, line) + "unterminated single quote");
                w.text += text.substr(i + 1, close - i - 1);
                i = close + 1;
                continue;
            }
            if (c == '"') {
                ++i;
                while (i < text.size() && text[i] != '"') {
                    if (text[i] == '\\' && i + 1 < text.size() &&
                        std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos) {
                        w.text += text[i + 1];
                        i += 2;
                    } else if (text[i] == '$') {
                        STRATA_TRY(auto parts, expand(text, i, line));
                        // "${A[@]}" keeps one word per element.
                        for (size_t k = 0; k < parts.size(); ++k) {
                            if (k > 0) {
                                out.push_back(std::move(w));
                                w = Word{};
                                w.started = true;
                            }
                            w.text += parts[k].text;
                            if (!parts[k].unresolved.empty()) w.unresolved = parts[k].unresolved;
                        }
                    } else {
                        w.text += text[i++];
                    }
                }
                ++i;
                continue;
            }
            if (c == '\\' && i + 1 < text.size()) {
                w.text += text[i + 1];
                i += 2;
                continue;
            }
            if (c == '$' || c == '`') {
                STRATA_TRY(auto parts, expand(text, i, line));
                for (size_t k = 0; k < parts.size(); ++k) {
                    // Unquoted: the value is split into words (not in an assignment's value).
                    std::vector<std::string> pieces;
                    if (w.assignment) {
                        pieces.push_back(parts[k].text);
                    } else {
                        size_t p = 0;
                        const std::string& v = parts[k].text;
                        while (p < v.size()) {
                            while (p < v.size() && is_space(v[p])) ++p;
                            size_t e = p;
                            while (e < v.size() && !is_space(v[e])) ++e;
                            if (e > p) pieces.push_back(v.substr(p, e - p));
                            p = e;
                        }
                        if (!v.empty() && is_space(v.front()) && (w.started && !w.text.empty())) {
                            out.push_back(std::move(w));
                            w = Word{};
                            w.started = true;
                        }
                    }
                    if (k > 0 && !pieces.empty()) {
                        out.push_back(std::move(w));
                        w = Word{};
                        w.started = true;
                    }
                    for (size_t j = 0; j < pieces.size(); ++j) {
                        if (j > 0) {
                            out.push_back(std::move(w));
                            w = Word{};
                            w.started = true;
                        }
                        w.text += pieces[j];
                        if (!parts[k].unresolved.empty()) w.unresolved = parts[k].unresolved;
                    }
                }
                continue;
            }
            w.text += c;
            ++i;
        }
        end_word();
        return out;
    }

private:
    Result<std::vector<Word>> words_no_assign(const std::string& text, int line) {
        Shell inner(file_);
        inner.vars = vars;
        STRATA_TRY(auto w, inner.words("_ " + text, line));  // a leading command word: no assignments
        referenced.insert(inner.referenced.begin(), inner.referenced.end());
        w.erase(w.begin());
        return w;
    }

    // A value the file does not give: marked inside the text so it survives word splitting.
    static Word unknown(const std::string& what) { return Word{kMark + what + kMark, what}; }

    // Expands the $... at text[i] (advancing i): one or more parts (arrays give one per element).
    Result<std::vector<Word>> expand(const std::string& text, size_t& i, int line) {
        if (text[i] == '`' || (i + 1 < text.size() && text[i + 1] == '(')) {
            const bool tick = text[i] == '`';
            size_t e = i + 1;
            if (tick) {
                e = text.find('`', i + 1);
            } else {
                int depth = 0;
                for (; e < text.size(); ++e) {
                    if (text[e] == '(')
                        ++depth;
                    else if (text[e] == ')' && --depth == 0)
                        break;
                }
            }
            if (e == std::string::npos || e >= text.size())
                return Status::invalid_argument(at(file_, line) + "unterminated command substitution");
            const std::string what = text.substr(i, e + 1 - i);
            i = e + 1;
            return std::vector<Word>{unknown(what)};
        }
        ++i;  // '$'
        std::string name, op, arg;
        bool all = false;
        if (i < text.size() && text[i] == '{') {
            const size_t close = text.find('}', i);
            if (close == std::string::npos) return Status::invalid_argument(at(file_, line) + "unterminated ${");
            std::string inside = text.substr(i + 1, close - i - 1);
            i = close + 1;
            size_t n = 0;
            while (n < inside.size() && is_name_char(inside[n])) ++n;
            name = inside.substr(0, n);
            std::string rest = inside.substr(n);
            if (rest == "[@]" || rest == "[*]") {
                all = true;
            } else if (rest.rfind(":-", 0) == 0 || rest.rfind(":=", 0) == 0) {
                op = rest.substr(0, 2);
                arg = rest.substr(2);
            } else if (rest.rfind("-", 0) == 0 || rest.rfind("=", 0) == 0) {
                op = rest.substr(0, 1);
                arg = rest.substr(1);
            } else if (!rest.empty() || name.empty()) {
                return std::vector<Word>{unknown("${" + inside + "}")};
            }
        } else {
            size_t n = i;
            while (n < text.size() && is_name_char(text[n])) ++n;
            name = text.substr(i, n - i);
            i = n;
            if (name.empty()) return std::vector<Word>{Word{"$", ""}};  // a lone '$'
        }
        referenced.insert(name);
        auto it = vars.find(name);
        if (it == vars.end() || (op.size() == 2 && it->second.words.size() == 1 && it->second.words[0].empty())) {
            if (!op.empty()) {
                // ${NAME:-default}: the default, itself expanded (no splitting).
                STRATA_TRY(auto d, words_no_assign("\"" + arg + "\"", line));
                Word w{d.empty() ? "" : d[0].text, d.empty() ? "" : d[0].unresolved};
                if (op.back() == '=') vars[name] = Variable{{w.text}, false, w.unresolved, line};
                return std::vector<Word>{w};
            }
            return std::vector<Word>{unknown("$" + name)};
        }
        const Variable& v = it->second;
        std::vector<Word> out;
        if (all) {
            for (const auto& e : v.words) out.push_back(Word{e, v.unresolved});
        } else {
            out.push_back(Word{v.words.empty() ? "" : v.words[0], v.unresolved});
        }
        return out;
    }

    std::string file_;
};

struct Candidate {
    std::string flag;
    std::optional<std::string> value;
    int line = 0;
    std::string unresolved;
};

// The unresolved part of a word ("$CHECKPOINT"), and the text with the marks removed.
std::string unmark(std::string& text) {
    std::string what;
    size_t a;
    while ((a = text.find(kMark)) != std::string::npos) {
        const size_t b = text.find(kMark, a + 1);
        if (b == std::string::npos) {
            text.erase(a, 1);
            break;
        }
        if (what.empty()) what = text.substr(a + 1, b - a - 1);
        text.erase(b, 1);
        text.erase(a, 1);
    }
    return what;
}

// Flags among `words` (a command line or a variable's value).
void collect_flags(const std::vector<Word>& words, int line, std::vector<Candidate>& out) {
    for (size_t k = 0; k < words.size(); ++k) {
        const std::string& t = words[k].text;
        if (t.size() < 3 || t.rfind("--", 0) != 0 || !std::isalpha(static_cast<unsigned char>(t[2]))) continue;
        Candidate c;
        c.line = line;
        const size_t eq = t.find('=');
        if (eq != std::string::npos) {
            c.flag = t.substr(0, eq);
            c.value = t.substr(eq + 1);
        } else {
            c.flag = t;
            const MegatronFlagRule* rule = megatron_flag_rule(t);
            const bool is_switch = rule && (rule->type == FlagType::StoreTrue || rule->type == FlagType::StoreFalse);
            if (!is_switch && k + 1 < words.size() && words[k + 1].text.rfind("--", 0) != 0) {
                c.value = words[k + 1].text;
                ++k;
            }
        }
        if (c.value) c.unresolved = unmark(*c.value);
        out.push_back(std::move(c));
    }
}

}  // namespace

const MegatronFlagRule* megatron_flag_rule(std::string_view flag) {
    for (const auto& r : kRules)
        if (flag == r.flag) return &r;
    return nullptr;
}

std::string megatron_flag_for_dest(std::string_view dest) {
    for (const auto& r : kRules)
        if (dest == r.dest && !r.megatron_name) return r.flag;
    return "--" + std::string(dest);
}

const LaunchFlag* LaunchFlags::find(std::string_view flag) const {
    const LaunchFlag* found = nullptr;
    for (const auto& f : flags)
        if (f.flag == flag) found = &f;
    return found;
}

namespace {
const LaunchFlag* last_for_dest(const std::vector<LaunchFlag>& flags, std::string_view dest) {
    const LaunchFlag* found = nullptr;
    for (const auto& f : flags)
        if (const MegatronFlagRule* r = megatron_flag_rule(f.flag); r && dest == r->dest) found = &f;
    return found;
}
}  // namespace

std::optional<std::string> LaunchFlags::get(std::string_view dest) const {
    const LaunchFlag* f = last_for_dest(flags, dest);
    if (!f) return std::nullopt;
    const MegatronFlagRule* r = megatron_flag_rule(f->flag);
    if (r->type == FlagType::StoreTrue) return std::string("true");
    if (r->type == FlagType::StoreFalse) return std::string("false");
    if (!f->resolved || !f->value) return std::nullopt;
    return *f->value;
}

std::string LaunchFlags::flag_of(std::string_view dest) const {
    const LaunchFlag* f = last_for_dest(flags, dest);
    return f ? f->flag : std::string();
}

int LaunchFlags::line_of(std::string_view dest) const {
    const LaunchFlag* f = last_for_dest(flags, dest);
    return f ? f->line : 0;
}

Result<LaunchFlags> parse_launch_flags(std::string_view text, const std::string& file_name) {
    STRATA_TRY(auto commands, split_commands(text, file_name));
    Shell sh(file_name);
    std::vector<Candidate> found;
    std::set<std::string> in_commands;  // variables a command line or another assignment expands
    for (const auto& cmd : commands) {
        STRATA_TRY(auto words, sh.words(cmd.text, cmd.line));
        size_t k = 0;
        while (k < words.size() && (words[k].text == "export" || words[k].text == "declare" ||
                                    words[k].text == "local" || words[k].text == "readonly" || words[k].text == "-a"))
            ++k;
        bool command = false;
        for (; k < words.size(); ++k) {
            Word& w = words[k];
            if (!w.assignment) {
                command = true;
                break;
            }
            const size_t eq = w.text.find('=');
            Variable v;
            v.line = cmd.line;
            if (w.array_assignment) {
                v.array = true;
                for (const auto& e : w.elements) {
                    v.words.push_back(e.text);
                    if (!e.unresolved.empty() && v.unresolved.empty()) v.unresolved = e.unresolved;
                }
            } else {
                v.words.push_back(w.text.substr(eq + 1));
                v.unresolved = w.unresolved;
            }
            sh.vars[w.text.substr(0, eq)] = std::move(v);
        }
        if (command) {
            std::vector<Word> rest(words.begin() + static_cast<std::ptrdiff_t>(k), words.end());
            collect_flags(rest, cmd.line, found);
        }
    }
    // Variables nothing expands (a MODEL_ARGS block another script sources): their flags count.
    for (const auto& [name, v] : sh.vars) {
        if (sh.referenced.count(name)) continue;
        std::vector<Word> words;
        for (const auto& text : v.words) {
            if (v.array) {
                words.push_back(Word{text, v.unresolved});
                continue;
            }
            size_t p = 0;
            while (p < text.size()) {
                while (p < text.size() && is_space(text[p])) ++p;
                size_t e = p;
                while (e < text.size() && !is_space(text[e])) ++e;
                if (e > p) words.push_back(Word{text.substr(p, e - p), ""});
                p = e;
            }
        }
        collect_flags(words, v.line, found);
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const Candidate& a, const Candidate& b) { return a.line < b.line; });
    // A flag passed through a variable is found on the command's line; point at the line that
    // writes it instead when exactly one uncommented line does.
    std::vector<std::string_view> lines;
    for (size_t p = 0; p <= text.size();) {
        size_t e = text.find('\n', p);
        if (e == std::string_view::npos) e = text.size();
        lines.push_back(text.substr(p, e - p));
        p = e + 1;
    }
    auto written_on = [&](const std::string& flag) {
        int hit = 0, count = 0;
        for (size_t i = 0; i < lines.size(); ++i) {
            const std::string_view l = lines[i];
            const size_t first = l.find_first_not_of(" \t");
            if (first != std::string_view::npos && l[first] == '#') continue;
            for (size_t at = l.find(flag); at != std::string_view::npos; at = l.find(flag, at + 1)) {
                const char before = at ? l[at - 1] : ' ';
                const char after = at + flag.size() < l.size() ? l[at + flag.size()] : ' ';
                if (std::string_view(" \t\"'(=").find(before) == std::string_view::npos) continue;
                if (std::string_view(" \t\"')=\\\r").find(after) == std::string_view::npos) continue;
                hit = static_cast<int>(i) + 1;
                ++count;
                break;
            }
        }
        return count == 1 ? hit : 0;
    };
    for (auto& c : found)
        if (const int l = written_on(c.flag)) c.line = l;
    LaunchFlags out;
    out.file = file_name;
    for (auto& c : found) {
        LaunchFlag f{c.flag, c.value, c.line, c.unresolved.empty(), c.unresolved};
        if (const MegatronFlagRule* r = megatron_flag_rule(f.flag)) {
            const bool needs_value = r->type != FlagType::StoreTrue && r->type != FlagType::StoreFalse;
            if (needs_value && !f.value) {
                out.problems.push_back({f.line, at(file_name, f.line) + f.flag + " has no value"});
            } else if (needs_value && !f.resolved) {
                out.problems.push_back({f.line, at(file_name, f.line) + f.flag + " " + f.unresolved +
                                                    ": the file does not assign it, so its value is unknown"});
            } else if (r->type == FlagType::Int || r->type == FlagType::Float) {
                const std::string& v = *f.value;
                size_t used = 0;
                bool ok = !v.empty();
                try {
                    if (r->type == FlagType::Int)
                        (void)std::stoll(v, &used);
                    else
                        (void)std::stod(v, &used);
                } catch (...) {
                    ok = false;
                }
                if (!ok || used != v.size()) {
                    out.problems.push_back({f.line, at(file_name, f.line) + f.flag + " '" + v + "' is not " +
                                                        (r->type == FlagType::Int ? "an integer" : "a number")});
                    f.resolved = false;
                    f.unresolved = v;
                }
            }
        }
        out.flags.push_back(std::move(f));
    }
    return out;
}

Result<LaunchFlags> read_launch_flags(const std::string& path) {
    auto text = read_small_file(path, 1 << 20);
    if (!text) return text.status().in_file(path);
    return parse_launch_flags(*text, path);
}

}  // namespace strata
