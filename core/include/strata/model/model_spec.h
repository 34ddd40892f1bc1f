// ModelSpec: the architecture of a model, independent of how its weights are laid
// out: dimensions, attention/MoE/Mamba/GDN fields and the kind of every layer.
// Read from an HF config.json (and M1's mamba_config.json) or from Megatron args.
// Usage: STRATA_TRY(auto spec, model_spec_from_hf_config(ckpt.config));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/pattern/layer_kind.h"
#include "strata/status.h"

namespace strata {

struct MambaDims {
    uint64_t d_inner = 0;   // expand * hidden (M1: heads * head_dim)
    uint64_t n_heads = 0;   // Mamba2 heads
    uint64_t head_dim = 0;  // per-head channels
    uint64_t n_groups = 0;  // B/C groups
    uint64_t d_state = 0;
    uint64_t d_conv = 4;
    // M1 layout: x/B use KV-sized groups (x_db = kv_heads * head_dim), C one group per head.
    // 0 for the standard Mamba2 layout (Megatron MambaMixer, Nemotron-H): x d_inner, B/C n_groups * d_state.
    uint64_t x_db = 0;
    double dt_min = 0.0;  // softplus(dt + dt_bias) is clamped below at this (Nemotron-H time_step_min)
};

// The dense MLP's activation: SwiGLU down(silu(gate(x)) * up(x)), or Nemotron-H's squared ReLU
// down(relu(up(x))^2) with no gate projection.
enum class MlpActivation { SwiGLU, SquaredReLU };

// How the MoE router picks experts. SoftmaxTopK (Qwen3-MoE): softmax over the logits, top-k,
// optionally renormalised. SigmoidGroupTopK (Nemotron-H MoE, DeepSeek-V3 style): sigmoid scores,
// a per-expert bias added for the choice only, the best router_topk_groups of router_groups
// groups (each scored by its top two) kept, top-k among them; the weights are the unbiased
// scores, renormalised when norm_topk_prob, times routed_scaling_factor.
enum class RouterKind { SoftmaxTopK, SigmoidGroupTopK };

struct GdnDims {
    uint64_t key_heads = 0;
    uint64_t value_heads = 0;
    uint64_t key_head_dim = 0;
    uint64_t value_head_dim = 0;
    uint64_t conv_kernel = 4;
};

struct ModelSpec {
    std::string model_type;  // "qwen3_moe", "qwen3", "qwen3_next", "qwen3_5", "qwen3_5_moe", "m1_hybrid"
    uint64_t hidden = 0;
    uint64_t layers = 0;  // HF layers
    uint64_t heads = 0;
    uint64_t kv_heads = 0;  // KV groups
    uint64_t head_dim = 0;
    uint64_t ffn = 0;  // dense FFN size
    uint64_t experts = 0;
    uint64_t experts_per_token = 0;
    uint64_t expert_ffn = 0;
    uint64_t shared_expert_ffn = 0;  // 0 = no shared expert
    uint64_t vocab = 0;
    bool tied_embeddings = false;
    bool qk_norm = false;
    bool norm_topk_prob = true;
    RouterKind router = RouterKind::SoftmaxTopK;
    uint64_t router_groups = 1;
    uint64_t router_topk_groups = 1;
    double routed_scaling_factor = 1.0;
    bool attention_output_gate = false;  // Qwen3-Next / Qwen3.5 gated attention
    bool rotary = true;                  // attention applies RoPE (Nemotron-H's does not)
    MlpActivation mlp_activation = MlpActivation::SwiGLU;
    double rms_norm_eps = 1e-6;
    double rope_theta = 10000.0;
    double partial_rotary_factor = 1.0;
    // rope_scaling (transformers modeling_rope_utils.py): "" = none; "llama3" scales the inverse
    // frequencies by wavelength with the factors below (_compute_llama3_parameters).
    std::string rope_scaling_type;
    double rope_scaling_factor = 1.0;
    double rope_low_freq_factor = 1.0;
    double rope_high_freq_factor = 4.0;
    uint64_t rope_original_max_position = 8192;
    uint64_t mtp_layers = 0;
    MambaDims mamba;
    GdnDims gdn;
    // One per HF layer. Empty for a Megatron hybrid whose pattern has MLP layers that follow
    // no mixer (then `layers` counts Megatron layers and megatron_pattern says what they are).
    std::vector<LayerKind> layer_kinds;
    std::string megatron_pattern;  // the hybrid pattern from Megatron args ("" when none)

    bool is_moe() const { return experts > 0; }
    bool has_mixer(MixerKind kind) const;
    bool has_mlp(MlpKind kind) const;
};

// From an HF config.json (text config of VL wrappers included; M1's mamba_config.json
// merged under "mamba_config" by read_hf_config_beside). InvalidArgument names the field.
Result<ModelSpec> model_spec_from_hf_config(const nlohmann::json& config);
// From Megatron args (as read from model_optim_rng.pt, a dict of arg names to values): the
// spec of the family that claims the args (Architecture::spec_from_megatron_args), or the
// generic reading below when none does.
Result<ModelSpec> model_spec_from_megatron_args(const nlohmann::json& args);
// The generic reading of GPT / hybrid args. The hybrid pattern (hybrid_layer_pattern /
// hybrid_override_pattern, or the ratios) gives the layer kinds: each mixer slot plus the MLP
// slot after it is one HF layer.
Result<ModelSpec> read_megatron_args_spec(const nlohmann::json& args);

}  // namespace strata
