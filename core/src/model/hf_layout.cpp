#include "strata/model/hf_layout.h"

#include <string>

#include "strata/hybrid/hybrid_layout.h"

namespace strata {
namespace {

using nlohmann::json;

Result<uint64_t> get_dim(const json& c, const char* key) {
    if (!c.contains(key) || !c[key].is_number_integer() || c[key].get<int64_t>() <= 0)
        return Status::invalid_argument(std::string("config.json: '") + key + "' must be a positive integer");
    return c[key].get<uint64_t>();
}

// Qwen3 / Qwen3-MoE decoder (transformers models/qwen3_moe/modeling_qwen3_moe.py):
// state-dict order is embed, then per layer self_attn.{q,k,v,o}_proj, q_norm, k_norm,
// mlp (gate + experts.i.{gate,up,down}_proj, or dense {gate,up,down}_proj),
// input_layernorm, post_attention_layernorm; then model.norm and lm_head.
Result<std::vector<TensorEntry>> qwen3_entries(const json& c, DType dtype, bool moe) {
    STRATA_TRY(uint64_t hidden, get_dim(c, "hidden_size"));
    STRATA_TRY(uint64_t layers, get_dim(c, "num_hidden_layers"));
    STRATA_TRY(uint64_t heads, get_dim(c, "num_attention_heads"));
    STRATA_TRY(uint64_t kv_heads, get_dim(c, "num_key_value_heads"));
    STRATA_TRY(uint64_t vocab, get_dim(c, "vocab_size"));
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
        if (moe) {
            STRATA_TRY(uint64_t experts, get_dim(c, "num_experts"));
            STRATA_TRY(uint64_t ffn, get_dim(c, "moe_intermediate_size"));
            e.push_back({p + "mlp.gate.weight", dtype, {experts, hidden}});
            for (uint64_t x = 0; x < experts; ++x) {
                const std::string q = p + "mlp.experts." + std::to_string(x) + ".";
                e.push_back({q + "gate_proj.weight", dtype, {ffn, hidden}});
                e.push_back({q + "up_proj.weight", dtype, {ffn, hidden}});
                e.push_back({q + "down_proj.weight", dtype, {hidden, ffn}});
            }
        } else {
            STRATA_TRY(uint64_t ffn, get_dim(c, "intermediate_size"));
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

}  // namespace

Result<std::vector<TensorEntry>> hf_tensor_entries(const json& config, DType dtype) {
    if (!config.is_object() || !config.contains("model_type") || !config["model_type"].is_string())
        return Status::invalid_argument("config.json has no 'model_type'");
    if (is_m1_hybrid_config(config)) return m1_hybrid_tensor_entries(config, dtype);  // M1 hybrid (mamba_config.json)
    const auto type = config["model_type"].get<std::string>();
    if (type == "qwen3_moe") return qwen3_entries(config, dtype, true);
    if (type == "qwen3") return qwen3_entries(config, dtype, false);
    if (is_gdn_hybrid_model_type(type)) return gdn_hybrid_tensor_entries(config, dtype);
    return Status::unsupported("model_type '" + type + "' has no HF layout in Strata yet");
}

}  // namespace strata
