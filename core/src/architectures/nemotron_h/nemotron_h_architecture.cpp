// Nemotron-H (NemotronHForCausalLM; transformers models/nemotron_h, v5) as an Architecture: a stack
// of single-module layers laid out by hybrid_override_pattern ('M' Mamba2, '*' attention without
// RoPE, '-' squared-ReLU MLP, 'E' squared-ReLU MoE with a sigmoid group router and a shared
// expert, as Nemotron 3), each behind one RMSNorm. The Megatron side is Megatron-Core's hybrid
// model with the same pattern, layer for layer (nemotron_h_table.cpp). Latent MoE projections
// (Nemotron 3 Super) are refused with a clear error.
#include <string>

#include "nemotron_h.h"
#include "strata/io/bounded_read.h"
#include "strata/io/json_value.h"
#include "strata/megatron/megatron_rules.h"
#include "strata/pattern/layer_pattern.h"

namespace strata {
namespace {

using nlohmann::json;

constexpr const char* kWhere = "config.json";

Status field_error(const std::string& message) { return Status::invalid_argument(std::string(kWhere) + ": " + message); }

// The layer pattern: hybrid_override_pattern (published configs, transformers 4.x remote code) or
// layers_block_type (transformers v5 writes it: linear_attention = Mamba2, full_attention, mlp, moe).
Result<std::string> pattern_of(const json& c) {
    if (c.contains("hybrid_override_pattern") && c["hybrid_override_pattern"].is_string())
        return c["hybrid_override_pattern"].get<std::string>();
    for (const char* key : {"layers_block_type", "layer_types"}) {
        if (!c.contains(key)) continue;
        if (!c[key].is_array()) return field_error(std::string("'") + key + "' must be a list of layer types");
        std::string out;
        for (const json& t : c[key]) {
            const std::string s = t.is_string() ? t.get<std::string>() : "";
            if (s == "linear_attention" || s == "mamba") out += symbol::kMamba;
            else if (s == "full_attention" || s == "attention") out += symbol::kAttention;
            else if (s == "mlp") out += symbol::kMlp;
            else if (s == "moe") out += symbol::kMoE;
            else return field_error(std::string("'") + key + "' entry " + t.dump() + " is not a Nemotron-H layer type");
        }
        return out;
    }
    return field_error("no 'hybrid_override_pattern' or 'layers_block_type'");
}

// A field under its transformers v5 name or the older spelling transformers still accepts.
uint64_t uint_either(const json& c, const char* key, const char* old_key, uint64_t fallback) {
    return json_value_or<uint64_t>(c, key, json_value_or<uint64_t>(c, old_key, fallback));
}

Status require_false(const json& c, const char* key, bool fallback = false) {
    if (json_value_or<bool>(c, key, fallback))
        return Status::unsupported(std::string(kWhere) + ": '" + key + "' true is not supported for Nemotron-H");
    return Status::ok();
}

// 'E' layers (Nemotron 3): n_routed_experts squared-ReLU experts of moe_intermediate_size, top
// num_experts_per_tok by the sigmoid group router (n_group, topk_group, routed_scaling_factor,
// norm_topk_prob, e_score_correction_bias), plus one shared expert of
// moe_shared_expert_intermediate_size. The latent projections of Nemotron 3 Super are refused.
Status read_moe_fields(const json& c, ModelSpec& s) {
    if (c.contains("moe_latent_size") && !c["moe_latent_size"].is_null())
        return Status::unsupported(std::string(kWhere) + ": moe_latent_size (latent MoE projections) is not supported");
    STRATA_TRY(s.experts, json_positive_dim(c, "n_routed_experts", kWhere));
    STRATA_TRY(s.experts_per_token, json_positive_dim(c, "num_experts_per_tok", kWhere));
    STRATA_TRY(s.expert_ffn, json_positive_dim(c, "moe_intermediate_size", kWhere));
    const uint64_t shared = json_value_or<uint64_t>(c, "n_shared_experts", 1);
    if (shared > 1) return Status::unsupported(std::string(kWhere) + ": n_shared_experts above 1 is not supported");
    if (shared == 1) {
        STRATA_TRY(s.shared_expert_ffn, json_positive_dim(c, "moe_shared_expert_intermediate_size", kWhere));
    }
    s.router = RouterKind::SigmoidGroupTopK;
    s.router_groups = json_value_or<uint64_t>(c, "n_group", 1);
    s.router_topk_groups = json_value_or<uint64_t>(c, "topk_group", 1);
    s.routed_scaling_factor = json_value_or<double>(c, "routed_scaling_factor", 1.0);
    s.norm_topk_prob = json_value_or<bool>(c, "norm_topk_prob", true);
    const uint64_t g = s.router_groups;
    if (g == 0 || s.experts % g != 0 || s.experts / g < 2 || s.router_topk_groups == 0 || s.router_topk_groups > g ||
        s.experts_per_token > s.router_topk_groups * (s.experts / g))
        return field_error("n_group " + std::to_string(g) + " / topk_group " + std::to_string(s.router_topk_groups) +
                           " do not fit " + std::to_string(s.experts) + " experts with top-" +
                           std::to_string(s.experts_per_token));
    return Status::ok();
}

}  // namespace

Result<ModelSpec> nemotron_h_spec(const json& c) {
    ModelSpec s;
    s.model_type = "nemotron_h";
    STRATA_TRY(std::string pattern, pattern_of(c));
    auto kinds = layers_one_per_symbol(pattern);
    if (!kinds) return field_error("layer pattern '" + pattern + "': " + kinds.status().message());
    if (kinds->empty()) return field_error("the layer pattern is empty");
    s.layer_kinds = std::move(*kinds);
    s.layers = s.layer_kinds.size();
    if (c.contains("num_hidden_layers") && c["num_hidden_layers"].is_number_integer() &&
        c["num_hidden_layers"].get<uint64_t>() != s.layers)
        return field_error("num_hidden_layers " + c["num_hidden_layers"].dump() + " differs from the pattern's " +
                           std::to_string(s.layers) + " layers");
    STRATA_TRY(s.hidden, json_positive_dim(c, "hidden_size", kWhere));
    STRATA_TRY(s.vocab, json_positive_dim(c, "vocab_size", kWhere));
    s.tied_embeddings = json_value_or<bool>(c, "tie_word_embeddings", false);
    s.rms_norm_eps = json_value_or<double>(c, "layer_norm_epsilon", 1e-5);
    s.rotary = false;
    s.qk_norm = false;
    s.mlp_activation = MlpActivation::SquaredReLU;
    if (s.has_mixer(MixerKind::Attention)) {
        STRATA_TRY(s.heads, json_positive_dim(c, "num_attention_heads", kWhere));
        s.kv_heads = json_value_or<uint64_t>(c, "num_key_value_heads", s.heads);
        s.head_dim = uint_either(c, "head_dim", "attention_head_dim", s.hidden / s.heads);
        if (s.kv_heads == 0 || s.heads % s.kv_heads != 0 || s.head_dim == 0)
            return field_error("num_attention_heads must be a multiple of num_key_value_heads and head_dim positive");
    }
    if (s.has_mlp(MlpKind::Dense)) {
        STRATA_TRY(s.ffn, json_positive_dim(c, "intermediate_size", kWhere));
        const std::string act = json_value_or<std::string>(c, "mlp_hidden_act", "relu2");
        if (act != "relu2")
            return Status::unsupported(std::string(kWhere) + ": mlp_hidden_act '" + act + "' (only relu2)");
    }
    if (s.has_mixer(MixerKind::Mamba2)) {
        MambaDims& m = s.mamba;
        STRATA_TRY(m.n_heads, json_positive_dim(c, "mamba_num_heads", kWhere));
        STRATA_TRY(m.head_dim, json_positive_dim(c, "mamba_head_dim", kWhere));
        m.d_inner = m.n_heads * m.head_dim;
        m.n_groups = uint_either(c, "n_groups", "mamba_n_groups", 8);
        m.d_state = json_value_or<uint64_t>(c, "ssm_state_size", 128);
        m.d_conv = uint_either(c, "conv_kernel", "mamba_d_conv", 4);
        m.dt_min = json_value_or<double>(c, "time_step_min", json_value_or<double>(c, "mamba_dt_min", 0.001));
        if (m.n_groups == 0 || m.n_heads % m.n_groups != 0 || m.d_state == 0 || m.d_conv == 0)
            return field_error("n_groups must divide mamba_num_heads; ssm_state_size and conv_kernel positive");
        if (!json_value_or<bool>(c, "use_conv_bias", json_value_or<bool>(c, "mamba_conv_bias", true)))
            return Status::unsupported(std::string(kWhere) + ": use_conv_bias false is not supported for Nemotron-H");
        const std::string act = json_value_or<std::string>(c, "mamba_hidden_act", "silu");
        if (act != "silu")
            return Status::unsupported(std::string(kWhere) + ": mamba_hidden_act '" + act + "' (only silu)");
    }
    if (s.has_mlp(MlpKind::MoE)) STRATA_RETURN_IF_ERROR(read_moe_fields(c, s));
    for (const char* key : {"use_bias", "mlp_bias", "attention_bias", "mamba_proj_bias"})
        STRATA_RETURN_IF_ERROR(require_false(c, key));
    return s;
}

namespace {

// transformers NemotronHForCausalLM state-dict order: embeddings; per layer its norm, then the
// mixer's parameters in registration order (Mamba2: conv1d, in_proj, dt_bias, A_log, norm, D,
// out_proj; attention: q, k, v, o; MLP: up, down); norm_f; lm_head (untied).
Result<std::vector<TensorEntry>> nemotron_h_entries(const json& c, DType dtype) {
    STRATA_TRY(ModelSpec s, nemotron_h_spec(c));
    const MambaDims& m = s.mamba;
    const uint64_t conv_dim = m.d_inner + 2 * m.n_groups * m.d_state;
    std::vector<TensorEntry> e;
    e.push_back({"backbone.embeddings.weight", dtype, {s.vocab, s.hidden}});
    for (uint64_t l = 0; l < s.layers; ++l) {
        const std::string p = "backbone.layers." + std::to_string(l) + ".";
        const std::string x = p + "mixer.";
        e.push_back({p + "norm.weight", dtype, {s.hidden}});
        const LayerKind k = s.layer_kinds[l];
        if (k.mixer == MixerKind::Mamba2) {
            e.push_back({x + "conv1d.weight", dtype, {conv_dim, 1, m.d_conv}});
            e.push_back({x + "conv1d.bias", dtype, {conv_dim}});
            e.push_back({x + "in_proj.weight", dtype, {m.d_inner + conv_dim + m.n_heads, s.hidden}});
            e.push_back({x + "dt_bias", dtype, {m.n_heads}});
            e.push_back({x + "A_log", dtype, {m.n_heads}});
            e.push_back({x + "norm.weight", dtype, {m.d_inner}});
            e.push_back({x + "D", dtype, {m.n_heads}});
            e.push_back({x + "out_proj.weight", dtype, {s.hidden, m.d_inner}});
        } else if (k.mixer == MixerKind::Attention) {
            e.push_back({x + "q_proj.weight", dtype, {s.heads * s.head_dim, s.hidden}});
            e.push_back({x + "k_proj.weight", dtype, {s.kv_heads * s.head_dim, s.hidden}});
            e.push_back({x + "v_proj.weight", dtype, {s.kv_heads * s.head_dim, s.hidden}});
            e.push_back({x + "o_proj.weight", dtype, {s.hidden, s.heads * s.head_dim}});
        } else if (k.mlp == MlpKind::MoE) {
            // NemotronHMoE registers experts, gate, shared_experts; save_pretrained writes the
            // experts one by one (experts.<e>.up_proj.weight), as the published checkpoints hold them.
            for (uint64_t i = 0; i < s.experts; ++i) {
                const std::string ex = x + "experts." + std::to_string(i) + ".";
                e.push_back({ex + "up_proj.weight", dtype, {s.expert_ffn, s.hidden}});
                e.push_back({ex + "down_proj.weight", dtype, {s.hidden, s.expert_ffn}});
            }
            e.push_back({x + "gate.weight", dtype, {s.experts, s.hidden}});
            e.push_back({x + "gate.e_score_correction_bias", DType::F32, {s.experts}});
            if (s.shared_expert_ffn) {
                e.push_back({x + "shared_experts.up_proj.weight", dtype, {s.shared_expert_ffn, s.hidden}});
                e.push_back({x + "shared_experts.down_proj.weight", dtype, {s.hidden, s.shared_expert_ffn}});
            }
        } else {
            e.push_back({x + "up_proj.weight", dtype, {s.ffn, s.hidden}});
            e.push_back({x + "down_proj.weight", dtype, {s.hidden, s.ffn}});
        }
    }
    e.push_back({"backbone.norm_f.weight", dtype, {s.hidden}});
    if (!s.tied_embeddings) e.push_back({"lm_head.weight", dtype, {s.vocab, s.hidden}});
    return e;
}

std::string megatron_pattern(const json& a) {
    for (const char* key : {"hybrid_layer_pattern", "hybrid_override_pattern"})
        if (a.contains(key) && a[key].is_string() && !a[key].get<std::string>().empty()) return a[key].get<std::string>();
    return "";
}

// config.json from the args of a Megatron-trained Nemotron-H (no saved config): Megatron-Bridge's
// nemotron_h provider names (--mamba-num-heads/-head-dim/-state-dim/-num-groups, --squared-relu,
// --num-query-groups, --kv-channels).
Result<json> rebuild_config(const json& a) {
    const std::string text = megatron_pattern(a);
    if (text.empty()) return Status::invalid_argument("Megatron args: Nemotron-H checkpoint without a layer pattern");
    STRATA_TRY(LayerPattern pattern, parse_layer_pattern(text, MegatronVersion::Main));
    const char* w = "Megatron args";
    STRATA_TRY(uint64_t hidden, json_positive_dim(a, "hidden_size", w));
    STRATA_TRY(uint64_t heads, json_positive_dim(a, "num_attention_heads", w));
    const uint64_t head_dim = json_value_or<uint64_t>(a, "kv_channels", hidden / heads);
    const uint64_t mamba_head_dim = json_value_or<uint64_t>(a, "mamba_head_dim", 64);
    const uint64_t expand = json_value_or<uint64_t>(a, "mamba_expand", 2);
    json c = json::object();
    c["architectures"] = {"NemotronHForCausalLM"};
    c["model_type"] = "nemotron_h";
    c["hybrid_override_pattern"] = pattern.layers;
    c["num_hidden_layers"] = pattern.layers.size();
    c["hidden_size"] = hidden;
    c["num_attention_heads"] = heads;
    c["num_key_value_heads"] = json_value_or<uint64_t>(a, "num_query_groups", heads);
    c["head_dim"] = head_dim;
    c["intermediate_size"] = json_value_or<uint64_t>(a, "ffn_hidden_size", 4 * hidden);
    c["mlp_hidden_act"] = "relu2";
    c["mamba_num_heads"] = json_value_or<uint64_t>(a, "mamba_num_heads", expand * hidden / mamba_head_dim);
    c["mamba_head_dim"] = mamba_head_dim;
    c["n_groups"] = json_value_or<uint64_t>(a, "mamba_num_groups", 8);
    c["ssm_state_size"] = json_value_or<uint64_t>(a, "mamba_state_dim", 128);
    c["conv_kernel"] = json_value_or<uint64_t>(a, "mamba_d_conv", 4);
    c["expand"] = expand;
    c["use_conv_bias"] = true;
    c["use_bias"] = false;
    c["mlp_bias"] = false;
    c["attention_bias"] = false;
    c["layer_norm_epsilon"] = json_value_or<double>(a, "norm_epsilon", 1e-5);
    c["max_position_embeddings"] = json_value_or<uint64_t>(a, "max_position_embeddings", 4096);
    c["tie_word_embeddings"] = !json_value_or<bool>(a, "untie_embeddings_and_output_weights", true);
    c["vocab_size"] = json_value_or<uint64_t>(a, "vocab_size", 0);
    c["torch_dtype"] = hf_dtype_of_megatron_args(a);
    if (const uint64_t experts = json_value_or<uint64_t>(a, "num_experts", 0)) {
        c["n_routed_experts"] = experts;
        c["num_experts_per_tok"] = json_value_or<uint64_t>(a, "moe_router_topk", 2);
        c["moe_intermediate_size"] = json_value_or<uint64_t>(a, "moe_ffn_hidden_size", 0);
        const uint64_t shared = json_value_or<uint64_t>(a, "moe_shared_expert_intermediate_size", 0);
        c["n_shared_experts"] = shared ? 1 : 0;
        if (shared) c["moe_shared_expert_intermediate_size"] = shared;
        c["n_group"] = json_value_or<uint64_t>(a, "moe_router_num_groups", 1);
        c["topk_group"] = json_value_or<uint64_t>(a, "moe_router_group_topk", 1);
        c["routed_scaling_factor"] = json_value_or<double>(a, "moe_router_topk_scaling_factor", 1.0);
        c["norm_topk_prob"] = json_value_or<bool>(a, "norm_topk_prob", true);
    }
    return c;
}

class NemotronHArchitecture final : public Architecture {
public:
    const char* name() const override { return "nemotron_h"; }
    std::string supported_text() const override { return "nemotron_h"; }
    bool owns_model_type(std::string_view t) const override { return t == "nemotron_h"; }

    ArchMatch match_hf_config(const json&, std::string_view type) const override {
        return type == "nemotron_h" ? ArchMatch::kExact : ArchMatch::kNone;
    }
    Result<ModelSpec> spec_from_hf_config(const json& config) const override { return nemotron_h_spec(config); }
    Result<ModelSpec> mapping_spec_from_hf_config(const json& config) const override {
        return nemotron_h_spec(config);
    }
    Result<std::vector<TensorEntry>> hf_tensor_entries(const json& config, DType dtype) const override {
        return nemotron_h_entries(config, dtype);
    }

    // Megatron's hybrid model with squared-ReLU MLPs (M1 hybrids keep SwiGLU), or Strata's own args.
    ArchMatch match_megatron_args(const json& a) const override {
        if (json_value_or<std::string>(a, "hf_model_type", "") == "nemotron_h") return ArchMatch::kExact;
        return json_value_or<bool>(a, "squared_relu", false) && !megatron_pattern(a).empty() ? ArchMatch::kExact
                                                                                              : ArchMatch::kNone;
    }

    void add_megatron_args(const json& hf, const Layout& layout, json& a) const override {
        const ModelSpec& s = layout.spec;
        // The spec was built from this pattern, so it converts back.
        const std::string pattern = megatron_pattern_from_layers(s.layer_kinds).value();
        a["num_layers"] = s.layers;
        a["is_hybrid_model"] = true;
        a["hybrid_override_pattern"] = pattern;  // <= v0.16
        a["hybrid_layer_pattern"] = pattern;     // v0.17+
        a["hybrid_attention_ratio"] = 0.0;       // ratios 0: the <= v0.16 override rule accepts any pattern
        a["hybrid_mlp_ratio"] = 0.0;
        a["mamba_num_heads"] = s.mamba.n_heads;
        a["mamba_head_dim"] = s.mamba.head_dim;
        a["mamba_state_dim"] = s.mamba.d_state;
        a["mamba_num_groups"] = s.mamba.n_groups;
        a["mamba_d_conv"] = s.mamba.d_conv;
        a["ffn_hidden_size"] = s.ffn;
        a["swiglu"] = false;
        a["squared_relu"] = true;
        a["position_embedding_type"] = "none";
        a["use_rotary_position_embeddings"] = false;
        if (s.is_moe()) {
            // Megatron-Core TransformerConfig names of Nemotron 3's router (Megatron-Bridge nemotron_h provider).
            a["moe_router_score_function"] = "sigmoid";
            a["moe_router_enable_expert_bias"] = true;
            a["moe_router_num_groups"] = s.router_groups;
            a["moe_router_group_topk"] = s.router_topk_groups;
            a["moe_router_topk_scaling_factor"] = s.routed_scaling_factor;
            a["moe_shared_expert_intermediate_size"] = s.shared_expert_ffn ? json(s.shared_expert_ffn) : json(nullptr);
        }
        a["hf_model_type"] = "nemotron_h";
        a["strata_hf_config"] = hf.dump();  // the way back is exact (time_step_*, token ids)
    }

    Result<json> hf_config_from_megatron_args(const json& a) const override {
        const std::string saved = json_value_or<std::string>(a, "strata_hf_config", "");
        if (saved.empty()) return rebuild_config(a);
        auto parsed = parse_json_bounded(saved);  // depth and number limits, as every JSON read
        if (!parsed || !parsed->is_object()) return Status::corrupt("Megatron args: strata_hf_config is not a JSON object");
        return std::move(*parsed);
    }

    // One Megatron layer per HF layer: the spec of the config the args describe.
    Result<ModelSpec> spec_from_megatron_args(const json& a) const override {
        STRATA_TRY(json config, hf_config_from_megatron_args(a));
        return nemotron_h_spec(config);
    }

    const MappingRegistry* mapping_registry(std::string_view model_type) const override {
        static const MappingRegistry kTable = build_nemotron_h_registry();
        return model_type == kTable.model_type() ? &kTable : nullptr;
    }
    std::vector<std::string> mapping_table_names() const override { return {"nemotron_h"}; }

    ForwardTraits forward_traits(const ModelSpec&) const override {
        ForwardTraits t;
        t.supported = true;
        t.standard_mamba2 = true;
        t.ungated_shared_expert = true;
        ForwardNames& n = t.names;
        n.embed = "backbone.embeddings.weight";
        n.final_norm = "backbone.norm_f.weight";
        n.layers = "backbone.layers.";
        n.mixer_norm = n.mlp_norm = "norm.weight";
        n.attention = n.mamba = n.mlp = "mixer.";
        n.shared_expert = "shared_experts.";
        return t;
    }

    // hybrid_override_pattern counts layers: HF layer i is pattern symbol i (nemotron_h_bridge.py).
    HfLayerConvention hf_layer_convention() const override { return HfLayerConvention::OnePerSymbol; }

    void add_synth_presets(std::vector<SynthPreset>& out) const override { add_nemotron_h_presets(out); }
};

}  // namespace

const Architecture& nemotron_h_architecture() {
    static const NemotronHArchitecture kArch;
    return kArch;
}

}  // namespace strata
