// ModelSpec readers. HF field names follow transformers' Qwen3 / Qwen3-MoE / Qwen3-Next /
// Qwen3.5 configs (facts/README.md reference configs, facts/bridge-mappings.md §2.2, §3.9);
// M1's mamba_config.json follows jingshenghang/M1 transformer_to_mamba2.py (facts/mamba-
// megatron.md §1.1–1.4); Megatron args follow megatron/training/arguments.py names, with
// MindSpeed-LLM's older spellings (mamba_ngroups, mamba_d_state...) accepted too.
#include "strata/model/model_spec.h"
#include "strata/size_limits.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "strata/model/architecture.h"
#include "strata/model/hf_config_fields.h"
#include "strata/pattern/layer_pattern.h"

namespace strata {
namespace {

using nlohmann::json;

const json kEmptyObject = json::object();

// Field access that names the field in every error. `where` is "config.json",
// "text_config", "mamba_config" or "Megatron args". Keeps a reference to `j`.
class Fields {
public:
    Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

    const json* find(std::string_view key) const {
        auto it = j_.find(std::string(key));
        if (it == j_.end() || it->is_null()) return nullptr;
        return &*it;
    }
    // The first present key of a list of synonyms.
    const json* find_any(std::initializer_list<std::string_view> keys, std::string_view* which = nullptr) const {
        for (auto k : keys)
            if (const json* v = find(k)) {
                if (which) *which = k;
                return v;
            }
        return nullptr;
    }

    Status bad(std::string_view key, const json& v, const char* want) const {
        return Status::invalid_argument(where_ + ": field '" + std::string(key) + "' must be " + want + ", got " +
                                        v.dump());
    }
    Status missing(std::initializer_list<std::string_view> keys) const {
        std::string names;
        for (auto k : keys) names += (names.empty() ? "'" : " or '") + std::string(k) + "'";
        return Status::invalid_argument(where_ + ": missing field " + names);
    }

    // Non-negative integer (JSON ints, or floats with an integral value as Python writes 1.0).
    Result<std::optional<uint64_t>> opt_uint(std::initializer_list<std::string_view> keys) const {
        std::string_view key;
        const json* v = find_any(keys, &key);
        if (!v) return std::optional<uint64_t>();
        if (v->is_number_unsigned()) return std::optional<uint64_t>(v->get<uint64_t>());
        if (v->is_number_integer()) {
            if (v->get<int64_t>() < 0) return bad(key, *v, "a non-negative integer");
            return std::optional<uint64_t>(static_cast<uint64_t>(v->get<int64_t>()));
        }
        if (v->is_number_float()) {
            const double d = v->get<double>();
            if (d >= 0 && d < 9.0e15 && std::floor(d) == d) return std::optional<uint64_t>(static_cast<uint64_t>(d));
        }
        return bad(key, *v, "a non-negative integer");
    }
    Result<uint64_t> req_uint(std::initializer_list<std::string_view> keys) const {
        STRATA_TRY(auto v, opt_uint(keys));
        if (!v) return missing(keys);
        if (*v == 0) return bad(*keys.begin(), json(0), "a positive integer");
        return *v;
    }
    Result<uint64_t> uint_or(std::initializer_list<std::string_view> keys, uint64_t fallback) const {
        STRATA_TRY(auto v, opt_uint(keys));
        return v ? *v : fallback;
    }
    Result<double> number_or(std::initializer_list<std::string_view> keys, double fallback) const {
        std::string_view key;
        const json* v = find_any(keys, &key);
        if (!v) return fallback;
        if (!v->is_number()) return bad(key, *v, "a number");
        return v->get<double>();
    }
    Result<bool> bool_or(std::string_view key, bool fallback) const {
        const json* v = find(key);
        if (!v) return fallback;
        if (!v->is_boolean()) return bad(key, *v, "true or false");
        return v->get<bool>();
    }
    Result<std::string> string_or(std::initializer_list<std::string_view> keys, std::string fallback) const {
        std::string_view key;
        const json* v = find_any(keys, &key);
        if (!v) return fallback;
        if (!v->is_string()) return bad(key, *v, "a string");
        return v->get<std::string>();
    }
    Result<std::vector<int>> opt_int_list(std::string_view key) const {
        std::vector<int> out;
        const json* v = find(key);
        if (!v) return out;
        if (!v->is_array()) return bad(key, *v, "a list of integers");
        if (v->size() > kMaxLayers) return bad(key, json(v->size()), "a list of at most 10000 integers");
        for (const auto& e : *v) {
            if (!e.is_number_integer() || e.get<int64_t>() < INT32_MIN || e.get<int64_t>() > INT32_MAX ||
                (e.is_number_unsigned() && e.get<uint64_t>() > INT32_MAX))
                return bad(key, e, "a list of integers in range");
            out.push_back(static_cast<int>(e.get<int64_t>()));
        }
        return out;
    }
    const std::string& where() const { return where_; }

private:
    const json& j_;
    std::string where_;
};

// transformers: a Qwen3-MoE layer is sparse iff it is not in mlp_only_layers and
// (i + 1) % decoder_sparse_step == 0 (modeling_qwen3_moe.py Qwen3MoeDecoderLayer).
Status fill_mlp_kinds(const Fields& f, ModelSpec& spec, bool all_moe) {
    STRATA_TRY(uint64_t step, f.uint_or({"decoder_sparse_step"}, 1));
    STRATA_TRY(auto mlp_only, f.opt_int_list("mlp_only_layers"));
    for (uint64_t i = 0; i < spec.layers; ++i) {
        bool moe = spec.experts > 0;
        if (moe && !all_moe) {
            const bool listed = std::find(mlp_only.begin(), mlp_only.end(), static_cast<int>(i)) != mlp_only.end();
            moe = !listed && step > 0 && (i + 1) % step == 0;
        }
        spec.layer_kinds[i].mlp = moe ? MlpKind::MoE : MlpKind::Dense;
    }
    return Status::ok();
}

Status read_common(const Fields& f, ModelSpec& spec) {
    STRATA_TRY(spec.hidden, f.req_uint({"hidden_size"}));
    STRATA_TRY(spec.layers, f.req_uint({"num_hidden_layers"}));
    STRATA_TRY(spec.heads, f.req_uint({"num_attention_heads"}));
    STRATA_TRY(spec.kv_heads, f.uint_or({"num_key_value_heads"}, spec.heads));
    if (spec.kv_heads == 0 || spec.heads % spec.kv_heads != 0)
        return Status::invalid_argument(f.where() + ": num_key_value_heads " + std::to_string(spec.kv_heads) +
                                        " does not divide num_attention_heads " + std::to_string(spec.heads));
    STRATA_TRY(spec.head_dim, f.uint_or({"head_dim"}, spec.hidden / spec.heads));
    STRATA_TRY(spec.vocab, f.req_uint({"vocab_size"}));
    STRATA_TRY(spec.ffn, f.uint_or({"intermediate_size"}, 0));
    STRATA_TRY(spec.experts, f.uint_or({"num_experts", "num_local_experts", "n_routed_experts"}, 0));
    STRATA_TRY(spec.experts_per_token, f.uint_or({"num_experts_per_tok"}, 0));
    STRATA_TRY(spec.expert_ffn, f.uint_or({"moe_intermediate_size"}, 0));
    STRATA_TRY(spec.shared_expert_ffn, f.uint_or({"shared_expert_intermediate_size"}, 0));
    STRATA_TRY(spec.tied_embeddings, f.bool_or("tie_word_embeddings", false));
    STRATA_TRY(spec.norm_topk_prob, f.bool_or("norm_topk_prob", true));
    STRATA_TRY(spec.rms_norm_eps, f.number_or({"rms_norm_eps"}, 1e-6));
    STRATA_TRY(spec.mtp_layers, f.uint_or({"num_nextn_predict_layers", "mtp_num_hidden_layers"}, 0));
    // transformers ≥ 5 moves rope_theta / partial_rotary_factor into rope_parameters.
    const json* rope = f.find("rope_parameters");
    // kEmptyObject, not json::object(): Fields keeps a reference, and a ternary with a temporary
    // arm yields a temporary that dies at the end of this statement.
    const Fields rf(rope && rope->is_object() ? *rope : kEmptyObject, f.where() + ".rope_parameters");
    STRATA_TRY(double theta, rf.number_or({"rope_theta"}, 10000.0));
    STRATA_TRY(spec.rope_theta, f.number_or({"rope_theta"}, theta));
    STRATA_TRY(double prf, rf.number_or({"partial_rotary_factor"}, 1.0));
    STRATA_TRY(spec.partial_rotary_factor, f.number_or({"partial_rotary_factor"}, prf));
    if (spec.experts > 0) {
        if (spec.experts_per_token == 0) return f.missing({"num_experts_per_tok"});
        if (spec.expert_ffn == 0) return f.missing({"moe_intermediate_size"});
        if (spec.experts_per_token > spec.experts)
            return Status::invalid_argument(f.where() + ": num_experts_per_tok " +
                                            std::to_string(spec.experts_per_token) + " exceeds num_experts " +
                                            std::to_string(spec.experts));
    }
    // Bounds before anything is sized from them (a hostile num_hidden_layers = 1e9 must not allocate).
    const std::pair<const char*, std::pair<uint64_t, uint64_t>> limits[] = {
        {"num_hidden_layers", {spec.layers, kMaxLayers}},
        {"hidden_size", {spec.hidden, kMaxDim}},
        {"num_attention_heads", {spec.heads, kMaxDim}},
        {"num_key_value_heads", {spec.kv_heads, kMaxDim}},
        {"head_dim", {spec.head_dim, kMaxDim}},
        {"intermediate_size", {spec.ffn, kMaxDim}},
        {"vocab_size", {spec.vocab, kMaxVocab}},
        {"num_experts", {spec.experts, kMaxExperts}},
        {"moe_intermediate_size", {spec.expert_ffn, kMaxDim}},
        {"shared_expert_intermediate_size", {spec.shared_expert_ffn, kMaxDim}},
        {"mtp layers", {spec.mtp_layers, kMaxLayers}},
    };
    for (const auto& [name, vl] : limits) {
        auto st = check_size_limit(name, vl.first, vl.second);
        if (!st) return Status::invalid_argument(f.where() + ": " + st.message());
    }
    spec.layer_kinds.assign(spec.layers, LayerKind{});
    return Status::ok();
}

Status read_gdn(const Fields& f, ModelSpec& spec) {
    STRATA_TRY(spec.gdn.key_heads, f.req_uint({"linear_num_key_heads"}));
    STRATA_TRY(spec.gdn.value_heads, f.req_uint({"linear_num_value_heads"}));
    STRATA_TRY(spec.gdn.key_head_dim, f.req_uint({"linear_key_head_dim"}));
    STRATA_TRY(spec.gdn.value_head_dim, f.req_uint({"linear_value_head_dim"}));
    STRATA_TRY(spec.gdn.conv_kernel, f.uint_or({"linear_conv_kernel_dim"}, 4));
    if (spec.gdn.value_heads % spec.gdn.key_heads != 0)
        return Status::invalid_argument(f.where() + ": linear_num_key_heads " + std::to_string(spec.gdn.key_heads) +
                                        " does not divide linear_num_value_heads " +
                                        std::to_string(spec.gdn.value_heads));
    std::vector<MixerKind> mixers;
    if (const json* lt = f.find("layer_types")) {
        if (!lt->is_array()) return f.bad("layer_types", *lt, "a list of strings");
        std::vector<std::string> types;
        for (const auto& e : *lt) {
            if (!e.is_string()) return f.bad("layer_types", *lt, "a list of strings");
            types.push_back(e.get<std::string>());
        }
        auto m = gdn_mixers_from_layer_types(types);
        if (!m) return Status::invalid_argument(f.where() + ": " + m.status().message());
        mixers = *m;
        if (mixers.size() != spec.layers)
            return Status::invalid_argument(f.where() + ": layer_types has " + std::to_string(mixers.size()) +
                                            " entries for num_hidden_layers " + std::to_string(spec.layers));
    } else {
        // transformers' Qwen3NextConfig / Qwen3_5 text configs default the interval to 4.
        STRATA_TRY(uint64_t interval, f.uint_or({"full_attention_interval"}, 4));
        if (interval == 0) return f.bad("full_attention_interval", json(0), "a positive integer");
        mixers = gdn_mixers_from_interval(static_cast<int>(spec.layers), static_cast<int>(interval));
    }
    for (size_t i = 0; i < mixers.size(); ++i) spec.layer_kinds[i].mixer = mixers[i];
    return Status::ok();
}

// M1 (jingshenghang/M1 transformer_to_mamba2.py): d_inner = expand·H; nheads := ngroups;
// headdim := d_state with d_inner == ngroups·d_state; x/B are KV-sized (d_xb = nkv·head_dim).
Status read_m1(const json& mc, ModelSpec& spec) {
    if (!mc.is_object()) return Status::invalid_argument("mamba_config: must be a JSON object, got " + mc.dump());
    const Fields f(mc, "mamba_config");
    const json* ssm = f.find("ssm_cfg");
    const Fields sf(ssm && ssm->is_object() ? *ssm : kEmptyObject, "mamba_config.ssm_cfg");  // see read_common
    STRATA_TRY(uint64_t expand, sf.uint_or({"expand"}, 1));
    STRATA_TRY(uint64_t d_model, f.uint_or({"d_model", "hidden_size"}, spec.hidden));
    if (d_model != spec.hidden)
        return Status::invalid_argument("mamba_config: d_model " + std::to_string(d_model) +
                                        " differs from config.json hidden_size " + std::to_string(spec.hidden));
    STRATA_TRY(spec.mamba.d_inner, f.uint_or({"d_inner"}, expand * spec.hidden));
    STRATA_TRY(spec.mamba.n_groups, sf.uint_or({"ngroups"}, spec.heads));
    if (spec.mamba.n_groups == 0 || spec.mamba.d_inner % spec.mamba.n_groups != 0)
        return Status::invalid_argument("mamba_config: ssm_cfg.ngroups " + std::to_string(spec.mamba.n_groups) +
                                        " does not divide d_inner " + std::to_string(spec.mamba.d_inner));
    STRATA_TRY(spec.mamba.d_state, sf.uint_or({"d_state"}, spec.mamba.d_inner / spec.mamba.n_groups));
    spec.mamba.n_heads = spec.mamba.n_groups;
    spec.mamba.head_dim = spec.mamba.d_state;
    STRATA_TRY(spec.mamba.d_conv, sf.uint_or({"d_conv"}, 4));
    STRATA_TRY(spec.mamba.x_db, f.uint_or({"d_xb"}, spec.kv_heads * spec.head_dim));
    const json* al = f.find("attn_layers");
    if (!al) return f.missing({"attn_layers"});
    std::vector<int> attn;
    if (al->is_string()) {
        auto parsed = parse_index_list(al->get<std::string>(), static_cast<int>(spec.layers));
        if (!parsed) return Status::invalid_argument("mamba_config: attn_layers: " + parsed.status().message());
        attn = *parsed;
    } else {
        STRATA_TRY(attn, f.opt_int_list("attn_layers"));
    }
    // Range and uniqueness make the file unreadable; M1's first/last-layer advice does not.
    for (const auto& m : validate_attn_layers(attn, static_cast<int>(spec.layers)))
        if (m.error && m.text.find("must stay attention") == std::string::npos)
            return Status::invalid_argument("mamba_config: attn_layers: " + m.text);
    const auto mixers = mixers_from_attn_layers(attn, static_cast<int>(spec.layers));
    for (size_t i = 0; i < mixers.size(); ++i) spec.layer_kinds[i].mixer = mixers[i];
    return Status::ok();
}

}  // namespace

bool ModelSpec::has_mixer(MixerKind kind) const {
    return std::any_of(layer_kinds.begin(), layer_kinds.end(), [&](const LayerKind& k) { return k.mixer == kind; });
}

bool ModelSpec::has_mlp(MlpKind kind) const {
    return std::any_of(layer_kinds.begin(), layer_kinds.end(), [&](const LayerKind& k) { return k.mlp == kind; });
}

namespace {

// The language model's part of a config.json: itself, or the text_config of a VL wrapper.
struct LmConfig {
    const json* lm = nullptr;
    bool use_text = false;
    std::string type;  // without "_text"
};

Result<LmConfig> lm_config(const json& config) {
    if (!config.is_object()) return Status::invalid_argument("config.json: not a JSON object");
    const Fields top(config, "config.json");
    LmConfig out;
    STRATA_TRY(out.type, top.string_or({"model_type"}, ""));
    if (out.type.empty()) return top.missing({"model_type"});
    // VL wrappers (Qwen3_5(Moe)ForConditionalGeneration) keep the LM under text_config.
    const json* text = top.find("text_config");
    out.use_text = text && text->is_object() && !config.contains("num_hidden_layers");
    out.lm = out.use_text ? text : &config;
    if (out.use_text) {
        const Fields f(*text, "config.json text_config");
        STRATA_TRY(out.type, f.string_or({"model_type"}, out.type));
    }
    if (out.type.size() > 5 && out.type.ends_with("_text")) out.type.resize(out.type.size() - 5);
    return out;
}

Fields lm_fields(const LmConfig& c) { return Fields(*c.lm, c.use_text ? "config.json text_config" : "config.json"); }

}  // namespace

Result<std::string> hf_model_type(const json& config) {
    STRATA_TRY(LmConfig c, lm_config(config));
    return c.type;
}

Result<ModelSpec> read_hf_common_spec(const json& config) {
    STRATA_TRY(LmConfig c, lm_config(config));
    const Fields f = lm_fields(c);
    ModelSpec spec;
    spec.model_type = c.type;
    STRATA_RETURN_IF_ERROR(read_common(f, spec));
    // The wrapper ties lm_head to model.language_model.embed_tokens by its own top-level flag
    // (Megatron-Bridge qwen35_vl_bridge.py reads it there, not from text_config).
    const Fields top(config, "config.json");
    if (c.use_text && top.find("tie_word_embeddings")) {
        STRATA_TRY(spec.tied_embeddings, top.bool_or("tie_word_embeddings", false));
    }
    return spec;
}

Status read_hf_mlp_kinds(const json& config, ModelSpec& spec, bool all_moe) {
    STRATA_TRY(LmConfig c, lm_config(config));
    return fill_mlp_kinds(lm_fields(c), spec, all_moe);
}

Status read_hf_gdn_fields(const json& config, ModelSpec& spec) {
    STRATA_TRY(LmConfig c, lm_config(config));
    return read_gdn(lm_fields(c), spec);
}

Status read_hf_m1_fields(const json& config, ModelSpec& spec) {
    const Fields top(config, "config.json");
    const json* mc = top.find("mamba_config");
    if (!mc) return top.missing({"mamba_config"});
    return read_m1(*mc, spec);
}

Status hf_missing_field(const json& config, const char* key) {
    auto c = lm_config(config);
    if (!c) return c.status();
    return lm_fields(*c).missing({key});
}

Result<ModelSpec> model_spec_from_hf_config(const json& config) {
    if (!config.is_object()) return Status::invalid_argument("config.json: not a JSON object");
    STRATA_TRY(const Architecture* arch, architecture_for_hf_config(config));
    return arch->spec_from_hf_config(config);
}

Result<ModelSpec> model_spec_from_megatron_args(const json& args) {
    if (auto arch = architecture_for_megatron_args(args)) return (*arch)->spec_from_megatron_args(args);
    return read_megatron_args_spec(args);
}

Result<ModelSpec> read_megatron_args_spec(const json& args) {
    if (!args.is_object()) return Status::invalid_argument("Megatron args: not a JSON object");
    const Fields f(args, "Megatron args");
    ModelSpec spec;
    STRATA_TRY(uint64_t num_layers, f.req_uint({"num_layers"}));
    STRATA_TRY(spec.hidden, f.req_uint({"hidden_size"}));
    STRATA_TRY(spec.heads, f.req_uint({"num_attention_heads"}));
    STRATA_TRY(bool gqa, f.bool_or("group_query_attention", f.find("num_query_groups") != nullptr));
    STRATA_TRY(spec.kv_heads, f.uint_or({"num_query_groups"}, spec.heads));
    if (!gqa) spec.kv_heads = spec.heads;
    if (spec.kv_heads == 0 || spec.heads % spec.kv_heads != 0)
        return Status::invalid_argument("Megatron args: num_query_groups " + std::to_string(spec.kv_heads) +
                                        " does not divide num_attention_heads " + std::to_string(spec.heads));
    STRATA_TRY(spec.head_dim, f.uint_or({"kv_channels"}, spec.hidden / spec.heads));
    STRATA_TRY(spec.ffn, f.uint_or({"ffn_hidden_size"}, 4 * spec.hidden));
    STRATA_TRY(spec.experts, f.uint_or({"num_experts", "num_moe_experts"}, 0));
    STRATA_TRY(spec.experts_per_token, f.uint_or({"moe_router_topk"}, spec.experts > 0 ? 2 : 0));
    STRATA_TRY(spec.expert_ffn, f.uint_or({"moe_ffn_hidden_size"}, spec.experts > 0 ? spec.ffn : 0));
    STRATA_TRY(spec.shared_expert_ffn, f.uint_or({"moe_shared_expert_intermediate_size"}, 0));
    STRATA_TRY(auto vocab, f.opt_uint({"padded_vocab_size", "vocab_size"}));
    if (!vocab) return f.missing({"padded_vocab_size", "vocab_size"});
    spec.vocab = *vocab;
    STRATA_TRY(bool untie, f.bool_or("untie_embeddings_and_output_weights", false));
    spec.tied_embeddings = !untie;
    STRATA_TRY(spec.qk_norm, f.bool_or("qk_layernorm", false));
    STRATA_TRY(bool pre_softmax, f.bool_or("moe_router_pre_softmax", false));
    spec.norm_topk_prob = !pre_softmax;
    STRATA_TRY(spec.rms_norm_eps, f.number_or({"norm_epsilon", "layernorm_epsilon"}, 1e-5));
    STRATA_TRY(spec.rope_theta, f.number_or({"rotary_base"}, 10000.0));
    STRATA_TRY(spec.partial_rotary_factor, f.number_or({"rotary_percent"}, 1.0));
    STRATA_TRY(spec.mtp_layers, f.uint_or({"mtp_num_layers"}, 0));
    if (spec.experts > 0 && spec.experts_per_token > spec.experts)
        return Status::invalid_argument("Megatron args: moe_router_topk exceeds num_experts");

    // Hybrid: an explicit pattern wins over ratios (as in Megatron).
    STRATA_TRY(std::string pattern_text, f.string_or({"hybrid_layer_pattern", "hybrid_override_pattern"}, ""));
    STRATA_TRY(double att, f.number_or({"hybrid_attention_ratio"}, 0.0));
    STRATA_TRY(double mlp, f.number_or({"hybrid_mlp_ratio"}, 0.0));
    STRATA_TRY(bool is_hybrid, f.bool_or("is_hybrid_model", !pattern_text.empty() || att > 0 || mlp > 0));
    const bool mamba_fields = f.find_any({"mamba_state_dim", "mamba_d_state", "mamba_num_groups", "mamba_ngroups",
                                          "mamba_head_dim", "mamba_headdim"}) != nullptr;
    if (is_hybrid || mamba_fields) {
        if (pattern_text.empty()) {
            auto p = pattern_from_ratios(static_cast<int>(num_layers), att, mlp);
            if (!p) return Status::invalid_argument("Megatron args: hybrid ratios: " + p.status().message());
            pattern_text = *p;
        }
        auto parsed = parse_layer_pattern(pattern_text, MegatronVersion::Main);
        if (!parsed) return Status::invalid_argument("Megatron args: hybrid pattern: " + parsed.status().message());
        if (static_cast<uint64_t>(parsed->num_layers()) != num_layers)
            return Status::invalid_argument("Megatron args: hybrid pattern has " +
                                            std::to_string(parsed->num_layers()) + " layers but num_layers is " +
                                            std::to_string(num_layers));
        // MindSpeed scripts from before 'E' write the MoE MLP as '-' (facts/mamba-megatron.md §1.5).
        const bool has_e = parsed->layers.find(symbol::kMoE) != std::string::npos;
        const MlpKind dash = spec.experts > 0 && !has_e ? MlpKind::MoE : MlpKind::Dense;
        // A pattern whose MLP slots each follow a mixer maps onto HF layers; one with
        // stand-alone MLP layers ("M--M", ratio allocations) has no per-HF-layer form, so
        // layer_kinds stays empty and `layers` counts Megatron layers (see megatron_pattern).
        if (auto kinds = layers_from_megatron_pattern(parsed->layers, dash)) {
            spec.layer_kinds = *kinds;
            spec.layers = spec.layer_kinds.size();
        } else {
            spec.layers = num_layers;
        }
        spec.megatron_pattern = to_string(*parsed);
        spec.model_type = "megatron_hybrid";
        // Megatron MambaMixer (megatron/core/ssm/mamba_mixer.py): d_inner = nheads·P when
        // mamba_num_heads is set, else expand·H; nheads = d_inner / P. Defaults N 128, P 64, G 8.
        STRATA_TRY(spec.mamba.d_state, f.uint_or({"mamba_state_dim", "mamba_d_state"}, 128));
        STRATA_TRY(spec.mamba.head_dim, f.uint_or({"mamba_head_dim", "mamba_headdim"}, 64));
        STRATA_TRY(spec.mamba.n_groups, f.uint_or({"mamba_num_groups", "mamba_ngroups", "mamba2_n_groups"}, 8));
        STRATA_TRY(uint64_t expand, f.uint_or({"mamba_expand"}, 2));
        STRATA_TRY(spec.mamba.d_conv, f.uint_or({"mamba_d_conv"}, 4));
        STRATA_TRY(auto nheads, f.opt_uint({"mamba_num_heads", "mamba2_n_heads"}));
        if (spec.mamba.head_dim == 0) return f.bad("mamba_head_dim", json(0), "a positive integer");
        if (nheads && *nheads > 0) {
            spec.mamba.n_heads = *nheads;
            spec.mamba.d_inner = *nheads * spec.mamba.head_dim;
        } else {
            STRATA_TRY(spec.mamba.d_inner, f.uint_or({"mamba_d_inner"}, expand * spec.hidden));
            spec.mamba.n_heads = spec.mamba.d_inner / spec.mamba.head_dim;
        }
        spec.mamba.x_db = spec.mamba.n_groups * spec.mamba.d_state;
    } else {
        spec.layers = num_layers;
        spec.layer_kinds.assign(num_layers, LayerKind{});
        spec.model_type = "megatron_gpt";
        // moe_layer_freq: int k → every k-th layer is MoE; a JSON list → 1 = MoE per layer.
        const json* freq = f.find("moe_layer_freq");
        std::vector<int> freq_list;
        uint64_t every = 1;
        if (freq && freq->is_array()) {
            STRATA_TRY(freq_list, f.opt_int_list("moe_layer_freq"));
            if (freq_list.size() != num_layers) return f.bad("moe_layer_freq", *freq, "one entry per layer");
        } else if (freq) {
            STRATA_TRY(every, f.uint_or({"moe_layer_freq"}, 1));
            if (every == 0) return f.bad("moe_layer_freq", *freq, "a positive integer");
        }
        for (uint64_t i = 0; i < num_layers; ++i) {
            const bool moe = spec.experts > 0 && (freq_list.empty() ? i % every == 0 : freq_list[i] != 0);
            spec.layer_kinds[i].mlp = moe ? MlpKind::MoE : MlpKind::Dense;
        }
    }
    // Gated DeltaNet (megatron/core/ssm/gated_delta_net.py; facts/bridge-mappings.md §3.1).
    STRATA_TRY(std::string variant, f.string_or({"experimental_attention_variant"}, ""));
    if (variant == "gated_delta_net") {
        STRATA_TRY(spec.gdn.key_heads, f.req_uint({"linear_num_key_heads"}));
        STRATA_TRY(spec.gdn.value_heads, f.req_uint({"linear_num_value_heads"}));
        STRATA_TRY(spec.gdn.key_head_dim, f.req_uint({"linear_key_head_dim"}));
        STRATA_TRY(spec.gdn.value_head_dim, f.req_uint({"linear_value_head_dim"}));
        STRATA_TRY(spec.gdn.conv_kernel, f.uint_or({"linear_conv_kernel_dim"}, 4));
        LinearAttentionFreq laf;
        const json* lf = f.find("linear_attention_freq");
        if (lf && lf->is_array()) {
            STRATA_TRY(laf.list, f.opt_int_list("linear_attention_freq"));
        } else {
            STRATA_TRY(uint64_t n, f.uint_or({"linear_attention_freq"}, 4));
            laf.interval = static_cast<int>(n);
        }
        auto mixers = mixers_from_linear_attention_freq(laf, static_cast<int>(spec.layers));
        if (!mixers)
            return Status::invalid_argument("Megatron args: linear_attention_freq: " + mixers.status().message());
        for (size_t i = 0; i < mixers->size() && i < spec.layer_kinds.size(); ++i)
            spec.layer_kinds[i].mixer = (*mixers)[i];
        spec.model_type = "megatron_gdn";
    }
    return spec;
}

}  // namespace strata
