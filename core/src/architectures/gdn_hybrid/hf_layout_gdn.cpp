// HF tensor layout of the Gated DeltaNet hybrids: Qwen3-Next (Qwen3NextForCausalLM) and
// Qwen3.5 dense / MoE text models (Qwen3_5ForCausalLM, Qwen3_5MoeForCausalLM).
// Sources: transformers models/qwen3_next/modular_qwen3_next.py, models/qwen3_5/
// modular_qwen3_5.py, models/qwen3_5_moe/modular_qwen3_5_moe.py (module attributes and
// shapes), and the hub checkpoints' mtp.* keys as Megatron-Bridge qwen3_next_bridge.py /
// qwen35_bridge.py map them (facts bridge-mappings §3.3, §3.7, §3.8).
// Experts are listed per expert (the canonical form); Qwen3.5's packed gate_up_proj is a
// layout of these (mapping table qwen3_5.cpp).
#include <string>

#include "strata/model/hf_layout.h"
#include "strata/model/model_spec.h"

namespace strata {
namespace {

struct Emit {
    std::vector<TensorEntry>& out;
    DType dtype;
    void operator()(const std::string& name, Shape shape) { out.push_back({name, dtype, std::move(shape)}); }
};

// Gated attention: q_proj rows are per head [q (hd); gate (hd)].
void attention(Emit& e, const std::string& p, const ModelSpec& s) {
    const uint64_t q_rows = (s.attention_output_gate ? 2 : 1) * s.heads * s.head_dim;
    e(p + "self_attn.q_proj.weight", {q_rows, s.hidden});
    e(p + "self_attn.k_proj.weight", {s.kv_heads * s.head_dim, s.hidden});
    e(p + "self_attn.v_proj.weight", {s.kv_heads * s.head_dim, s.hidden});
    e(p + "self_attn.o_proj.weight", {s.hidden, s.heads * s.head_dim});
    e(p + "self_attn.q_norm.weight", {s.head_dim});
    e(p + "self_attn.k_norm.weight", {s.head_dim});
}

// Qwen3NextGatedDeltaNet / Qwen3_5GatedDeltaNet: own parameters (dt_bias, A_log) first, then
// the submodules in registration order, as state_dict() lists them.
void gated_delta_net(Emit& e, const std::string& p, const ModelSpec& s, bool separate) {
    const GdnDims& g = s.gdn;
    const uint64_t qk = g.key_heads * g.key_head_dim, v = g.value_heads * g.value_head_dim;
    const std::string a = p + "linear_attn.";
    e(a + "dt_bias", {g.value_heads});
    e(a + "A_log", {g.value_heads});
    e(a + "conv1d.weight", {2 * qk + v, 1, g.conv_kernel});
    if (separate) {
        e(a + "in_proj_qkv.weight", {2 * qk + v, s.hidden});
        e(a + "in_proj_z.weight", {v, s.hidden});
        e(a + "in_proj_b.weight", {g.value_heads, s.hidden});
        e(a + "in_proj_a.weight", {g.value_heads, s.hidden});
    } else {
        e(a + "in_proj_qkvz.weight", {2 * qk + 2 * v, s.hidden});
        e(a + "in_proj_ba.weight", {2 * g.value_heads, s.hidden});
    }
    e(a + "norm.weight", {g.value_head_dim});
    e(a + "out_proj.weight", {s.hidden, v});
}

void mlp(Emit& e, const std::string& p, const ModelSpec& s, MlpKind kind) {
    if (kind == MlpKind::MoE) {
        e(p + "mlp.gate.weight", {s.experts, s.hidden});
        for (uint64_t x = 0; x < s.experts; ++x) {
            const std::string q = p + "mlp.experts." + std::to_string(x) + ".";
            e(q + "gate_proj.weight", {s.expert_ffn, s.hidden});
            e(q + "up_proj.weight", {s.expert_ffn, s.hidden});
            e(q + "down_proj.weight", {s.hidden, s.expert_ffn});
        }
        if (s.shared_expert_ffn) {
            e(p + "mlp.shared_expert.gate_proj.weight", {s.shared_expert_ffn, s.hidden});
            e(p + "mlp.shared_expert.up_proj.weight", {s.shared_expert_ffn, s.hidden});
            e(p + "mlp.shared_expert.down_proj.weight", {s.hidden, s.shared_expert_ffn});
            e(p + "mlp.shared_expert_gate.weight", {1, s.hidden});
        }
    } else {
        e(p + "mlp.gate_proj.weight", {s.ffn, s.hidden});
        e(p + "mlp.up_proj.weight", {s.ffn, s.hidden});
        e(p + "mlp.down_proj.weight", {s.hidden, s.ffn});
    }
}

}  // namespace

bool is_gdn_hybrid_model_type(std::string_view type) {
    if (type.ends_with("_text")) type.remove_suffix(5);
    return type == "qwen3_next" || type == "qwen3_5" || type == "qwen3_5_moe";
}

Result<std::vector<TensorEntry>> gdn_hybrid_tensor_entries(const nlohmann::json& config, DType dtype) {
    STRATA_TRY(ModelSpec s, model_spec_from_hf_config(config));
    if (!is_gdn_hybrid_model_type(s.model_type))
        return Status::invalid_argument("config.json: model_type '" + s.model_type + "' is not a GDN hybrid");
    // VL wrappers (Qwen3_5(Moe)ForConditionalGeneration) keep the LM under model.language_model.;
    // MTP stays top-level (facts bridge-mappings §3.8).
    const bool vl = config.contains("text_config") && !config.contains("num_hidden_layers");
    const std::string m = vl ? "model.language_model." : "model.";
    const bool separate = s.model_type != "qwen3_next";
    std::vector<TensorEntry> out;
    Emit e{out, dtype};
    e(m + "embed_tokens.weight", {s.vocab, s.hidden});
    for (uint64_t l = 0; l < s.layers; ++l) {
        const std::string p = m + "layers." + std::to_string(l) + ".";
        const LayerKind k = s.layer_kinds[l];
        if (k.mixer == MixerKind::GatedDeltaNet)
            gated_delta_net(e, p, s, separate);
        else
            attention(e, p, s);
        mlp(e, p, s, k.mlp);
        e(p + "input_layernorm.weight", {s.hidden});
        e(p + "post_attention_layernorm.weight", {s.hidden});
    }
    e(m + "norm.weight", {s.hidden});
    if (!s.tied_embeddings) e("lm_head.weight", {s.vocab, s.hidden});
    // Multi-token prediction: fc over [embedding; hidden] and full-attention decoder layers.
    if (s.mtp_layers) {
        e("mtp.fc.weight", {s.hidden, 2 * s.hidden});
        e("mtp.pre_fc_norm_embedding.weight", {s.hidden});
        e("mtp.pre_fc_norm_hidden.weight", {s.hidden});
        for (uint64_t l = 0; l < s.mtp_layers; ++l) {
            const std::string p = "mtp.layers." + std::to_string(l) + ".";
            attention(e, p, s);
            mlp(e, p, s, s.is_moe() ? MlpKind::MoE : MlpKind::Dense);
            e(p + "input_layernorm.weight", {s.hidden});
            e(p + "post_attention_layernorm.weight", {s.hidden});
        }
        e("mtp.norm.weight", {s.hidden});
    }
    return out;
}

}  // namespace strata
