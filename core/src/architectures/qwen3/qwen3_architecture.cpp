// Qwen3 / Qwen3-MoE (transformers models/qwen3, models/qwen3_moe) as an Architecture:
// config.json <-> ModelSpec, the HF tensor list, Megatron GPTModel args back to config.json
// (Megatron-Bridge CONFIG_MAPPING names, facts bridge-mappings §2.2) and the mapping tables
// (qwen3.cpp, qwen3_moe.cpp).
#include "qwen3.h"

#include <string>

#include "strata/mapping/mapping_registry.h"
#include "strata/io/json_value.h"
#include "strata/megatron/megatron_rules.h"
#include "strata/model/hf_config_fields.h"

namespace strata {
namespace {

using nlohmann::json;

// Megatron's moe_layer_freq (transformer_config.py): an int k makes layer i MoE when i % k == 0;
// a list says it per layer (1 = MoE). HF Qwen3-MoE lists the dense ones in mlp_only_layers.
Result<json> dense_layers_of_moe_layer_freq(const json& args, uint64_t layers) {
    json dense = json::array();
    const auto it = args.find("moe_layer_freq");
    if (it == args.end() || it->is_null()) return dense;
    if (it->is_number_integer()) {
        const int64_t k = it->get<int64_t>();
        if (k <= 0) return Status::invalid_argument("Megatron args: moe_layer_freq " + it->dump() + " is not positive");
        for (uint64_t i = 0; i < layers; ++i)
            if (i % static_cast<uint64_t>(k) != 0) dense.push_back(i);
        return dense;
    }
    if (!it->is_array() || it->size() != layers)
        return Status::invalid_argument("Megatron args: moe_layer_freq " + it->dump().substr(0, 80) +
                                        " is neither an integer nor one 0/1 per layer (" + std::to_string(layers) +
                                        " layers)");
    for (uint64_t i = 0; i < layers; ++i) {
        const json& v = (*it)[i];
        if (!v.is_number_integer() || (v.get<int64_t>() != 0 && v.get<int64_t>() != 1))
            return Status::invalid_argument("Megatron args: moe_layer_freq entry " + std::to_string(i) + " is " +
                                            v.dump() + ", not 0 or 1");
        if (v.get<int64_t>() == 0) dense.push_back(i);
    }
    return dense;
}

bool is_moe_type(std::string_view type) { return type == "qwen3_moe"; }

// Qwen3 / Qwen3-MoE decoder (transformers models/qwen3_moe/modeling_qwen3_moe.py):
// state-dict order is embed, then per layer self_attn.{q,k,v,o}_proj, q_norm, k_norm,
// mlp (gate + experts.i.{gate,up,down}_proj, or dense {gate,up,down}_proj),
// input_layernorm, post_attention_layernorm; then model.norm and lm_head.
// The HF tensors, layer by layer: a MoE block where `kinds` says MoE, else the dense MLP
// (Qwen3 dense, and the mlp_only_layers of a Qwen3-MoE).
Result<std::vector<TensorEntry>> qwen3_entries(const json& c, DType dtype, const std::vector<LayerKind>& kinds) {
    const char* w = "config.json";
    STRATA_TRY(uint64_t hidden, json_positive_dim(c, "hidden_size", w));
    STRATA_TRY(uint64_t layers, json_positive_dim(c, "num_hidden_layers", w));
    STRATA_TRY(uint64_t heads, json_positive_dim(c, "num_attention_heads", w));
    STRATA_TRY(uint64_t kv_heads, json_positive_dim(c, "num_key_value_heads", w));
    STRATA_TRY(uint64_t vocab, json_positive_dim(c, "vocab_size", w));
    uint64_t head_dim = hidden / heads;
    if (c.contains("head_dim") && c["head_dim"].is_number_integer() && c["head_dim"].get<int64_t>() > 0)
        head_dim = c["head_dim"].get<uint64_t>();
    std::vector<TensorEntry> e;
    e.push_back({"model.embed_tokens.weight", dtype, {vocab, hidden}});
    for (uint64_t l = 0; l < layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        e.push_back({p + "self_attn.q_proj.weight", dtype, {heads * head_dim, hidden}});
        e.push_back({p + "self_attn.k_proj.weight", dtype, {kv_heads * head_dim, hidden}});
        e.push_back({p + "self_attn.v_proj.weight", dtype, {kv_heads * head_dim, hidden}});
        e.push_back({p + "self_attn.o_proj.weight", dtype, {hidden, heads * head_dim}});
        e.push_back({p + "self_attn.q_norm.weight", dtype, {head_dim}});
        e.push_back({p + "self_attn.k_norm.weight", dtype, {head_dim}});
        if (l < kinds.size() && kinds[l].mlp == MlpKind::MoE) {
            STRATA_TRY(uint64_t experts, json_positive_dim(c, "num_experts", w));
            STRATA_TRY(uint64_t ffn, json_positive_dim(c, "moe_intermediate_size", w));
            e.push_back({p + "mlp.gate.weight", dtype, {experts, hidden}});
            for (uint64_t x = 0; x < experts; ++x) {
                const std::string q = p + "mlp.experts." + std::to_string(x) + ".";
                e.push_back({q + "gate_proj.weight", dtype, {ffn, hidden}});
                e.push_back({q + "up_proj.weight", dtype, {ffn, hidden}});
                e.push_back({q + "down_proj.weight", dtype, {hidden, ffn}});
            }
        } else {
            STRATA_TRY(uint64_t ffn, json_positive_dim(c, "intermediate_size", w));
            e.push_back({p + "mlp.gate_proj.weight", dtype, {ffn, hidden}});
            e.push_back({p + "mlp.up_proj.weight", dtype, {ffn, hidden}});
            e.push_back({p + "mlp.down_proj.weight", dtype, {hidden, ffn}});
        }
        e.push_back({p + "input_layernorm.weight", dtype, {hidden}});
        e.push_back({p + "post_attention_layernorm.weight", dtype, {hidden}});
    }
    e.push_back({"model.norm.weight", dtype, {hidden}});
    const bool tied = c.value("tie_word_embeddings", false);
    if (!tied) e.push_back({"lm_head.weight", dtype, {vocab, hidden}});
    return e;
}

class Qwen3Architecture final : public Architecture {
public:
    const char* name() const override { return "qwen3"; }
    std::string supported_text() const override { return "qwen3, qwen3_moe"; }
    bool owns_model_type(std::string_view t) const override { return t == "qwen3" || t == "qwen3_moe"; }

    ArchMatch match_hf_config(const json&, std::string_view type) const override {
        return owns_model_type(type) ? ArchMatch::kFallback : ArchMatch::kNone;
    }

    Result<ModelSpec> spec_from_hf_config(const json& config) const override {
        STRATA_TRY(ModelSpec spec, read_hf_common_spec(config));
        spec.qk_norm = true;  // every Qwen3-family attention has q_norm/k_norm
        if (!is_moe_type(spec.model_type)) {
            if (spec.ffn == 0) return hf_missing_field(config, "intermediate_size");
            spec.experts = 0;
        }
        STRATA_RETURN_IF_ERROR(read_hf_mlp_kinds(config, spec, false));
        if (spec.has_mlp(MlpKind::Dense) && spec.ffn == 0) return hf_missing_field(config, "intermediate_size");
        return spec;
    }

    // The fields the mapping tables use, read leniently as the conversion always has.
    Result<ModelSpec> mapping_spec_from_hf_config(const json& c) const override {
        const char* w = "config";
        ModelSpec s;
        s.model_type = c["model_type"].get<std::string>();
        STRATA_TRY(s.hidden, json_positive_dim(c, "hidden_size", w));
        STRATA_TRY(s.layers, json_positive_dim(c, "num_hidden_layers", w));
        STRATA_TRY(s.heads, json_positive_dim(c, "num_attention_heads", w));
        STRATA_TRY(s.kv_heads, json_positive_dim(c, "num_key_value_heads", w));
        STRATA_TRY(s.vocab, json_positive_dim(c, "vocab_size", w));
        s.head_dim = json_value_or<uint64_t>(c, "head_dim", s.hidden / s.heads);
        s.ffn = json_value_or<uint64_t>(c, "intermediate_size", 0);
        if (is_moe_type(s.model_type)) {
            STRATA_TRY(s.experts, json_positive_dim(c, "num_experts", w));
            STRATA_TRY(s.expert_ffn, json_positive_dim(c, "moe_intermediate_size", w));
            s.experts_per_token = json_value_or<uint64_t>(c, "num_experts_per_tok", 1);
            s.norm_topk_prob = json_value_or<bool>(c, "norm_topk_prob", true);
        }
        s.tied_embeddings = json_value_or<bool>(c, "tie_word_embeddings", false);
        s.qk_norm = true;
        s.rms_norm_eps = json_value_or<double>(c, "rms_norm_eps", 1e-6);
        s.rope_theta = json_value_or<double>(c, "rope_theta", 10000.0);
        s.layer_kinds.assign(s.layers, LayerKind{MixerKind::Attention, s.experts ? MlpKind::MoE : MlpKind::Dense});
        STRATA_RETURN_IF_ERROR(read_hf_mlp_kinds(c, s, false));  // mlp_only_layers, decoder_sparse_step
        if (s.has_mlp(MlpKind::Dense) && s.ffn == 0) return hf_missing_field(c, "intermediate_size");
        return s;
    }

    Result<std::vector<TensorEntry>> hf_tensor_entries(const json& config, DType dtype) const override {
        STRATA_TRY(ModelSpec spec, mapping_spec_from_hf_config(config));
        return qwen3_entries(config, dtype, spec.layer_kinds);
    }

    // A plain GPTModel with q/k layernorm: the other families' args are more specific.
    ArchMatch match_megatron_args(const json& a) const override {
        return json_value_or<bool>(a, "qk_layernorm", false) ? ArchMatch::kFallback : ArchMatch::kNone;
    }

    Result<json> hf_config_from_megatron_args(const json& a) const override {
        auto need = [&](const char* key) -> Result<uint64_t> {
            auto r = json_positive_dim(a, key, "Megatron args");
            if (!r)
                return Status::invalid_argument(std::string("Megatron args: '") + key + "' is missing or not positive");
            return r;
        };
        STRATA_TRY(uint64_t layers, need("num_layers"));
        STRATA_TRY(uint64_t hidden, need("hidden_size"));
        STRATA_TRY(uint64_t heads, need("num_attention_heads"));
        const uint64_t groups = json_value_or<uint64_t>(a, "num_query_groups", heads);
        const uint64_t head_dim = json_value_or<uint64_t>(a, "kv_channels", hidden / heads);
        uint64_t vocab = json_value_or<uint64_t>(a, "vocab_size", 0);
        if (vocab == 0) vocab = json_value_or<uint64_t>(a, "padded_vocab_size", 0);
        if (vocab == 0) return Status::invalid_argument("Megatron args: no vocab_size or padded_vocab_size");
        const uint64_t experts = json_value_or<uint64_t>(a, "num_experts", 0);
        json c = json::object();
        c["architectures"] = {experts ? "Qwen3MoeForCausalLM" : "Qwen3ForCausalLM"};
        c["attention_bias"] = json_value_or<bool>(a, "add_qkv_bias", false);
        c["attention_dropout"] = json_value_or<double>(a, "attention_dropout", 0.0);
        if (experts) c["decoder_sparse_step"] = 1;  // sparse layers are listed by mlp_only_layers below
        c["head_dim"] = head_dim;
        c["hidden_act"] = "silu";
        c["hidden_size"] = hidden;
        c["initializer_range"] = json_value_or<double>(a, "init_method_std", 0.02);
        c["intermediate_size"] = json_value_or<uint64_t>(a, "ffn_hidden_size", 0);
        c["max_position_embeddings"] = json_value_or<uint64_t>(a, "max_position_embeddings", 4096);
        c["model_type"] = experts ? "qwen3_moe" : "qwen3";
        if (experts) {
            STRATA_TRY(c["mlp_only_layers"], dense_layers_of_moe_layer_freq(a, layers));
            c["moe_intermediate_size"] = json_value_or<uint64_t>(a, "moe_ffn_hidden_size", 0);
            c["norm_topk_prob"] =
                json_value_or<bool>(a, "norm_topk_prob", !json_value_or<bool>(a, "moe_router_pre_softmax", false));
            c["num_experts"] = experts;
            c["num_experts_per_tok"] = json_value_or<uint64_t>(a, "moe_router_topk", 2);
            c["router_aux_loss_coef"] = json_value_or<double>(a, "moe_aux_loss_coeff", 1e-3);
        }
        c["num_attention_heads"] = heads;
        c["num_hidden_layers"] = layers;
        c["num_key_value_heads"] = groups;
        c["rms_norm_eps"] = json_value_or<double>(a, "norm_epsilon", 1e-6);
        c["rope_theta"] = json_value_or<double>(a, "rotary_base", 10000.0);
        c["tie_word_embeddings"] = !json_value_or<bool>(a, "untie_embeddings_and_output_weights", true);
        c["torch_dtype"] = hf_dtype_of_megatron_args(a);
        c["vocab_size"] = vocab;
        return c;
    }

    const MappingRegistry* mapping_registry(std::string_view model_type) const override {
        static const MappingRegistry kQwen3Moe = build_qwen3_moe_registry();
        static const MappingRegistry kQwen3 = build_qwen3_registry();
        if (model_type == kQwen3Moe.model_type()) return &kQwen3Moe;
        if (model_type == kQwen3.model_type()) return &kQwen3;
        return nullptr;
    }
    std::vector<std::string> mapping_table_names() const override { return {"qwen3_moe", "qwen3"}; }

    ForwardTraits forward_traits(const ModelSpec&) const override {
        ForwardTraits t;
        t.supported = true;
        return t;
    }
    // transformers' Qwen3MoeConfig defaults norm_topk_prob to False; ModelSpec defaults to true.
    void adjust_forward_spec(ModelSpec& spec, const json& cfg, bool megatron_source) const override {
        if (is_moe_type(spec.model_type) && cfg.is_object() && !cfg.contains("norm_topk_prob") && !megatron_source)
            spec.norm_topk_prob = false;
    }

    bool m1_hybridize_source() const override { return true; }

    void add_synth_presets(std::vector<SynthPreset>& out) const override { add_qwen3_presets(out); }
};

}  // namespace

const Architecture& qwen3_architecture() {
    static const Qwen3Architecture kArch;
    return kArch;
}

}  // namespace strata
