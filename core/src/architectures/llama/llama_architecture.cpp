// Llama / Mistral (transformers models/llama, models/mistral) as an Architecture: GQA
// attention without q/k norms, SwiGLU MLP, RMSNorm, tied or untied embeddings, RoPE with
// rope_scaling type "llama3" (Llama 3.1+). Megatron side: a plain GPTModel (llama_table.cpp);
// the args carry Megatron-LM's use_rope_scaling / rope_scaling_factor and config.json itself.
#include <string>

#include "llama.h"
#include "strata/io/bounded_read.h"
#include "strata/io/json_value.h"
#include "strata/megatron/megatron_rules.h"
#include "strata/model/hf_config_fields.h"

namespace strata {
namespace {

using nlohmann::json;



bool is_family_type(std::string_view t) { return t == "llama" || t == "mistral"; }

// rope_scaling {rope_type|type: "llama3", factor, low_freq_factor, high_freq_factor,
// original_max_position_embeddings} (transformers modeling_rope_utils.py).
Status read_rope_scaling(const json& c, ModelSpec& s) {
    const auto it = c.find("rope_scaling");
    if (it == c.end() || it->is_null()) return Status::ok();
    if (!it->is_object()) return Status::invalid_argument("config.json: field 'rope_scaling' must be an object");
    const std::string type = json_value_or<std::string>(*it, "rope_type", json_value_or<std::string>(*it, "type", "default"));
    if (type == "default") return Status::ok();
    s.rope_scaling_type = type;
    s.rope_scaling_factor = json_value_or<double>(*it, "factor", 1.0);
    s.rope_low_freq_factor = json_value_or<double>(*it, "low_freq_factor", 1.0);
    s.rope_high_freq_factor = json_value_or<double>(*it, "high_freq_factor", 4.0);
    s.rope_original_max_position = json_value_or<uint64_t>(*it, "original_max_position_embeddings", 8192);
    if (type == "llama3" && !(s.rope_high_freq_factor > s.rope_low_freq_factor))
        return Status::invalid_argument("config.json: rope_scaling high_freq_factor must exceed low_freq_factor");
    return Status::ok();
}

// transformers LlamaModel state-dict order: embed, per layer self_attn.{q,k,v,o}_proj,
// mlp.{gate,up,down}_proj, input_layernorm, post_attention_layernorm; norm; lm_head (untied).
Result<std::vector<TensorEntry>> llama_entries(const json& c, DType dtype) {
    const char* w = "config.json";
    STRATA_TRY(uint64_t hidden, json_positive_dim(c, "hidden_size", w));
    STRATA_TRY(uint64_t layers, json_positive_dim(c, "num_hidden_layers", w));
    STRATA_TRY(uint64_t heads, json_positive_dim(c, "num_attention_heads", w));
    const uint64_t kv_heads = json_value_or<uint64_t>(c, "num_key_value_heads", heads);
    STRATA_TRY(uint64_t vocab, json_positive_dim(c, "vocab_size", w));
    STRATA_TRY(uint64_t ffn, json_positive_dim(c, "intermediate_size", w));
    const uint64_t head_dim = json_value_or<uint64_t>(c, "head_dim", hidden / heads);
    std::vector<TensorEntry> e;
    e.push_back({"model.embed_tokens.weight", dtype, {vocab, hidden}});
    for (uint64_t l = 0; l < layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        e.push_back({p + "self_attn.q_proj.weight", dtype, {heads * head_dim, hidden}});
        e.push_back({p + "self_attn.k_proj.weight", dtype, {kv_heads * head_dim, hidden}});
        e.push_back({p + "self_attn.v_proj.weight", dtype, {kv_heads * head_dim, hidden}});
        e.push_back({p + "self_attn.o_proj.weight", dtype, {hidden, heads * head_dim}});
        e.push_back({p + "mlp.gate_proj.weight", dtype, {ffn, hidden}});
        e.push_back({p + "mlp.up_proj.weight", dtype, {ffn, hidden}});
        e.push_back({p + "mlp.down_proj.weight", dtype, {hidden, ffn}});
        e.push_back({p + "input_layernorm.weight", dtype, {hidden}});
        e.push_back({p + "post_attention_layernorm.weight", dtype, {hidden}});
    }
    e.push_back({"model.norm.weight", dtype, {hidden}});
    if (!json_value_or<bool>(c, "tie_word_embeddings", false)) e.push_back({"lm_head.weight", dtype, {vocab, hidden}});
    return e;
}

class LlamaArchitecture final : public Architecture {
public:
    const char* name() const override { return "llama"; }
    std::string supported_text() const override { return "llama, mistral"; }
    bool owns_model_type(std::string_view t) const override { return is_family_type(t); }

    ArchMatch match_hf_config(const json&, std::string_view type) const override {
        return is_family_type(type) ? ArchMatch::kFallback : ArchMatch::kNone;
    }

    Result<ModelSpec> spec_from_hf_config(const json& config) const override {
        STRATA_TRY(ModelSpec spec, read_hf_common_spec(config));
        if (spec.ffn == 0) return hf_missing_field(config, "intermediate_size");
        spec.experts = 0;
        spec.qk_norm = false;
        STRATA_RETURN_IF_ERROR(read_hf_mlp_kinds(config, spec, false));
        STRATA_RETURN_IF_ERROR(read_rope_scaling(config, spec));
        return spec;
    }

    Result<ModelSpec> mapping_spec_from_hf_config(const json& c) const override {
        const char* w = "config";
        ModelSpec s;
        s.model_type = "llama";  // the table both types share
        STRATA_TRY(s.hidden, json_positive_dim(c, "hidden_size", w));
        STRATA_TRY(s.layers, json_positive_dim(c, "num_hidden_layers", w));
        STRATA_TRY(s.heads, json_positive_dim(c, "num_attention_heads", w));
        s.kv_heads = json_value_or<uint64_t>(c, "num_key_value_heads", s.heads);
        STRATA_TRY(s.vocab, json_positive_dim(c, "vocab_size", w));
        STRATA_TRY(s.ffn, json_positive_dim(c, "intermediate_size", w));
        s.head_dim = json_value_or<uint64_t>(c, "head_dim", s.hidden / s.heads);
        s.tied_embeddings = json_value_or<bool>(c, "tie_word_embeddings", false);
        s.qk_norm = false;
        s.rms_norm_eps = json_value_or<double>(c, "rms_norm_eps", 1e-6);
        s.rope_theta = json_value_or<double>(c, "rope_theta", 10000.0);
        STRATA_RETURN_IF_ERROR(read_rope_scaling(c, s));
        s.layer_kinds.assign(s.layers, LayerKind{MixerKind::Attention, MlpKind::Dense});
        return s;
    }

    Result<std::vector<TensorEntry>> hf_tensor_entries(const json& config, DType dtype) const override {
        return llama_entries(config, dtype);
    }

    // A plain GPTModel without q/k layernorm (Qwen3 has them; hybrids name their variant).
    ArchMatch match_megatron_args(const json& a) const override {
        return json_value_or<bool>(a, "qk_layernorm", false) ? ArchMatch::kNone : ArchMatch::kFallback;
    }

    void add_megatron_args(const json& hf, const Layout& layout, json& a) const override {
        const ModelSpec& s = layout.spec;
        // Megatron-LM --use-rope-scaling applies Llama 3.1's scaling (factor --rope-scaling-factor,
        // low 1, high 4, original 8192: megatron/core/models/common/embeddings/rope_utils.py).
        a["use_rope_scaling"] = s.rope_scaling_type == "llama3";
        if (s.rope_scaling_type == "llama3") a["rope_scaling_factor"] = s.rope_scaling_factor;
        a["hf_model_type"] = json_value_or<std::string>(hf, "model_type", "llama");
        a["strata_hf_config"] = hf.dump();  // the way back is exact (rope_scaling, Mistral fields)
    }

    Result<json> hf_config_from_megatron_args(const json& a) const override {
        const char* dtype = hf_dtype_of_megatron_args(a);
        const std::string saved = json_value_or<std::string>(a, "strata_hf_config", "");
        if (!saved.empty()) {
            auto parsed = parse_json_bounded(saved);  // depth and number limits, as every JSON read
            if (!parsed || !parsed->is_object())
                return Status::corrupt("Megatron args: strata_hf_config is not a JSON object");
            json c = std::move(*parsed);
            c["torch_dtype"] = dtype;
            return c;
        }
        // Rebuilt from the fields (a Megatron-trained checkpoint).
        STRATA_TRY(ModelSpec s, read_megatron_args_spec(a));
        if (s.is_moe())
            return Status::unsupported("Megatron args: an MoE GPT without qk_layernorm has no mapping table");
        const std::string type = json_value_or<std::string>(a, "hf_model_type", "llama");
        json c = json::object();
        c["architectures"] = {type == "mistral" ? "MistralForCausalLM" : "LlamaForCausalLM"};
        c["model_type"] = type == "mistral" ? "mistral" : "llama";
        c["attention_bias"] = json_value_or<bool>(a, "add_qkv_bias", false);
        c["attention_dropout"] = json_value_or<double>(a, "attention_dropout", 0.0);
        c["head_dim"] = s.head_dim;
        c["hidden_act"] = "silu";
        c["hidden_size"] = s.hidden;
        c["initializer_range"] = json_value_or<double>(a, "init_method_std", 0.02);
        c["intermediate_size"] = s.ffn;
        c["max_position_embeddings"] = json_value_or<uint64_t>(a, "max_position_embeddings", 4096);
        c["mlp_bias"] = false;
        c["num_attention_heads"] = s.heads;
        c["num_hidden_layers"] = s.layers;
        c["num_key_value_heads"] = s.kv_heads;
        c["rms_norm_eps"] = s.rms_norm_eps;
        c["rope_theta"] = s.rope_theta;
        if (json_value_or<bool>(a, "use_rope_scaling", false))
            c["rope_scaling"] = {{"factor", json_value_or<double>(a, "rope_scaling_factor", 8.0)},
                                 {"high_freq_factor", 4.0},
                                 {"low_freq_factor", 1.0},
                                 {"original_max_position_embeddings", 8192},
                                 {"rope_type", "llama3"}};
        else
            c["rope_scaling"] = nullptr;
        c["tie_word_embeddings"] = s.tied_embeddings;
        c["torch_dtype"] = dtype;
        c["vocab_size"] = json_value_or<uint64_t>(a, "vocab_size", s.vocab);
        return c;
    }

    const MappingRegistry* mapping_registry(std::string_view model_type) const override {
        static const MappingRegistry kLlama = build_llama_registry();
        return model_type == kLlama.model_type() ? &kLlama : nullptr;
    }
    std::vector<std::string> mapping_table_names() const override { return {"llama"}; }

    ForwardTraits forward_traits(const ModelSpec&) const override {
        ForwardTraits t;
        t.supported = true;
        return t;
    }

    void add_synth_presets(std::vector<SynthPreset>& out) const override { add_llama_presets(out); }
};

}  // namespace

const Architecture& llama_architecture() {
    static const LlamaArchitecture kArch;
    return kArch;
}

}  // namespace strata
