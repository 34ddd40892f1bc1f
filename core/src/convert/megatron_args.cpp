// HF config.json <-> Megatron args. Names follow Megatron-Bridge CONFIG_MAPPING and the
// Qwen3-MoE provider overrides (facts bridge-mappings §2.2); the parallel and checkpoint
// fields are those Megatron's check_checkpoint_args reads (megatron/training/checkpointing.py).
#include "strata/convert/megatron_args.h"

#include "strata/model/size_limits.h"
#include "strata/convert/gdn_hybrid_args.h"
#include "strata/hybrid/hybrid_layout.h"

namespace strata {
namespace {

using nlohmann::json;

Result<uint64_t> dim(const json& c, const char* key) {
    if (!c.contains(key) || !c[key].is_number_integer() || c[key].get<int64_t>() <= 0)
        return Status::invalid_argument(std::string("config: '") + key + "' must be a positive integer");
    return c[key].get<uint64_t>();
}

template <typename T>
T value_or(const json& c, const char* key, T fallback) {
    if (!c.contains(key) || c[key].is_null()) return fallback;
    try {
        return c[key].get<T>();
    } catch (const json::exception&) {
        return fallback;
    }
}

}  // namespace

Result<ModelSpec> mapping_spec_from_hf_config(const json& c) {
    if (!c.is_object() || !c.contains("model_type") || !c["model_type"].is_string())
        return Status::invalid_argument("config.json has no 'model_type'");
    if (is_m1_hybrid_config(c)) return m1_hybrid_mapping_spec(c);    // M1 hybrid: hybrid/hybrid_layout.h
    if (is_gdn_hybrid_config(c)) return gdn_hybrid_mapping_spec(c);  // Qwen3-Next / 3.5: convert/gdn_hybrid_args.h
    ModelSpec s;
    s.model_type = c["model_type"].get<std::string>();
    if (s.model_type != "qwen3_moe" && s.model_type != "qwen3")
        return Status::unsupported("model_type '" + s.model_type + "' has no mapping table (known: qwen3_moe, qwen3)");
    STRATA_TRY(s.hidden, dim(c, "hidden_size"));
    STRATA_TRY(s.layers, dim(c, "num_hidden_layers"));
    STRATA_TRY(s.heads, dim(c, "num_attention_heads"));
    STRATA_TRY(s.kv_heads, dim(c, "num_key_value_heads"));
    STRATA_TRY(s.vocab, dim(c, "vocab_size"));
    s.head_dim = value_or<uint64_t>(c, "head_dim", s.hidden / s.heads);
    s.ffn = value_or<uint64_t>(c, "intermediate_size", 0);
    if (s.model_type == "qwen3_moe") {
        STRATA_TRY(s.experts, dim(c, "num_experts"));
        STRATA_TRY(s.expert_ffn, dim(c, "moe_intermediate_size"));
        s.experts_per_token = value_or<uint64_t>(c, "num_experts_per_tok", 1);
        s.norm_topk_prob = value_or<bool>(c, "norm_topk_prob", true);
    }
    s.tied_embeddings = value_or<bool>(c, "tie_word_embeddings", false);
    s.qk_norm = true;
    s.rms_norm_eps = value_or<double>(c, "rms_norm_eps", 1e-6);
    s.rope_theta = value_or<double>(c, "rope_theta", 10000.0);
    s.layer_kinds.assign(s.layers, LayerKind{MixerKind::Attention, s.experts ? MlpKind::MoE : MlpKind::Dense});
    return s;
}

json megatron_args_for(const json& config, const Layout& layout, int iteration) {
    const ModelSpec& s = layout.spec;
    const ParallelPlan& p = layout.options.plan;
    const std::string dtype = value_or<std::string>(config, "torch_dtype", "bfloat16");
    // VL wrappers keep the language model's fields under text_config; the GDN args below
    // save the whole config.json, so the way back writes the wrapper's names again.
    const bool vl =
        config.contains("text_config") && config["text_config"].is_object() && !config.contains("num_hidden_layers");
    const json& hf = vl ? config["text_config"] : config;
    json a = json::object();
    // Parallelism and checkpoint format.
    a["tensor_model_parallel_size"] = p.tp;
    a["pipeline_model_parallel_size"] = p.pp;
    a["expert_model_parallel_size"] = p.ep;
    a["expert_tensor_parallel_size"] = p.expert_tp();
    a["virtual_pipeline_model_parallel_size"] = nullptr;
    a["sequence_parallel"] = p.tp > 1;
    if (p.first_stage_layers) a["decoder_first_pipeline_num_layers"] = *p.first_stage_layers;
    if (p.last_stage_layers) a["decoder_last_pipeline_num_layers"] = *p.last_stage_layers;
    a["ckpt_format"] = "torch";
    a["use_dist_ckpt"] = false;
    a["iteration"] = iteration;
    a["transformer_impl"] = layout.options.norms == NormLayout::Te ? "transformer_engine" : "local";
    // Model (Bridge CONFIG_MAPPING names).
    a["num_layers"] = s.layers;
    a["hidden_size"] = s.hidden;
    a["ffn_hidden_size"] = s.ffn ? s.ffn : s.expert_ffn;
    a["num_attention_heads"] = s.heads;
    a["group_query_attention"] = s.kv_heads != s.heads;
    a["num_query_groups"] = s.kv_heads;
    a["kv_channels"] = s.head_dim;
    a["max_position_embeddings"] = value_or<uint64_t>(hf, "max_position_embeddings", 4096);
    a["seq_length"] = a["max_position_embeddings"];
    a["vocab_size"] = s.vocab;
    a["padded_vocab_size"] = layout.padded_vocab;
    a["make_vocab_size_divisible_by"] = layout.options.vocab_padding ? p.make_vocab_size_divisible_by : 1;
    a["untie_embeddings_and_output_weights"] = !s.tied_embeddings;
    a["normalization"] = "RMSNorm";
    a["norm_epsilon"] = s.rms_norm_eps;
    a["swiglu"] = true;
    a["qk_layernorm"] = s.qk_norm;
    a["add_bias_linear"] = false;
    a["add_qkv_bias"] = value_or<bool>(hf, "attention_bias", false);
    a["position_embedding_type"] = "rope";
    a["use_rotary_position_embeddings"] = true;
    a["add_position_embedding"] = false;
    a["rotary_base"] = s.rope_theta;
    a["rotary_percent"] = 1.0;
    a["hidden_dropout"] = 0.0;
    a["attention_dropout"] = value_or<double>(hf, "attention_dropout", 0.0);
    a["init_method_std"] = value_or<double>(hf, "initializer_range", 0.02);
    a["apply_query_key_layer_scaling"] = false;
    a["bf16"] = dtype == "bfloat16";
    a["fp16"] = dtype == "float16";
    a["params_dtype"] = dtype == "bfloat16" ? "torch.bfloat16" : dtype == "float16" ? "torch.float16" : "torch.float32";
    if (s.is_moe()) {
        a["num_experts"] = s.experts;
        a["moe_router_topk"] = s.experts_per_token;
        a["moe_ffn_hidden_size"] = s.expert_ffn;
        a["moe_grouped_gemm"] = layout.options.experts != ExpertLayout::Sequential;
        a["moe_router_load_balancing_type"] = "aux_loss";
        a["moe_aux_loss_coeff"] = value_or<double>(hf, "router_aux_loss_coef", 1e-3);
        a["moe_router_pre_softmax"] = false;
        a["moe_token_dispatcher_type"] = "alltoall";
        a["moe_layer_freq"] = 1;
        a["norm_topk_prob"] = s.norm_topk_prob;
    } else {
        a["num_experts"] = nullptr;
    }
    a["hf_model_type"] = s.model_type;  // informational: the source architecture
    if (s.model_type == kM1HybridModelType) add_m1_hybrid_megatron_args(config, layout, a);
    if (is_gdn_hybrid_config(config)) add_gdn_hybrid_megatron_args(config, layout, a);
    return a;
}

Result<json> hf_config_from_megatron_args(const json& a) {
    if (!a.is_object()) return Status::invalid_argument("Megatron checkpoint has no args to rebuild config.json from");
    if (is_m1_hybrid_megatron_args(a)) return m1_hybrid_config_from_megatron_args(a);
    if (is_gdn_hybrid_megatron_args(a)) return gdn_hybrid_config_from_megatron_args(a);
    auto need = [&](const char* key) -> Result<uint64_t> {
        auto r = dim(a, key);
        if (!r) return Status::invalid_argument(std::string("Megatron args: '") + key + "' is missing or not positive");
        return r;
    };
    STRATA_TRY(uint64_t layers, need("num_layers"));
    STRATA_TRY(uint64_t hidden, need("hidden_size"));
    STRATA_TRY(uint64_t heads, need("num_attention_heads"));
    const uint64_t groups = value_or<uint64_t>(a, "num_query_groups", heads);
    const uint64_t head_dim = value_or<uint64_t>(a, "kv_channels", hidden / heads);
    uint64_t vocab = value_or<uint64_t>(a, "vocab_size", 0);
    if (vocab == 0) vocab = value_or<uint64_t>(a, "padded_vocab_size", 0);
    if (vocab == 0) return Status::invalid_argument("Megatron args: no vocab_size or padded_vocab_size");
    if (!value_or<bool>(a, "qk_layernorm", false))
        return Status::unsupported("Megatron args without qk_layernorm: only Qwen3 / Qwen3-MoE have mapping tables");
    const uint64_t experts = value_or<uint64_t>(a, "num_experts", 0);
    const std::string pdt = value_or<std::string>(a, "params_dtype", "");
    const bool bf16 = value_or<bool>(a, "bf16", pdt == "torch.bfloat16");
    const bool fp16 = value_or<bool>(a, "fp16", pdt == "torch.float16");
    json c = json::object();
    c["architectures"] = {experts ? "Qwen3MoeForCausalLM" : "Qwen3ForCausalLM"};
    c["attention_bias"] = value_or<bool>(a, "add_qkv_bias", false);
    c["attention_dropout"] = value_or<double>(a, "attention_dropout", 0.0);
    if (experts) c["decoder_sparse_step"] = 1;
    c["head_dim"] = head_dim;
    c["hidden_act"] = "silu";
    c["hidden_size"] = hidden;
    c["initializer_range"] = value_or<double>(a, "init_method_std", 0.02);
    c["intermediate_size"] = value_or<uint64_t>(a, "ffn_hidden_size", 0);
    c["max_position_embeddings"] = value_or<uint64_t>(a, "max_position_embeddings", 4096);
    c["model_type"] = experts ? "qwen3_moe" : "qwen3";
    if (experts) {
        c["mlp_only_layers"] = json::array();
        c["moe_intermediate_size"] = value_or<uint64_t>(a, "moe_ffn_hidden_size", 0);
        c["norm_topk_prob"] = value_or<bool>(a, "norm_topk_prob", !value_or<bool>(a, "moe_router_pre_softmax", false));
        c["num_experts"] = experts;
        c["num_experts_per_tok"] = value_or<uint64_t>(a, "moe_router_topk", 2);
        c["router_aux_loss_coef"] = value_or<double>(a, "moe_aux_loss_coeff", 1e-3);
    }
    c["num_attention_heads"] = heads;
    c["num_hidden_layers"] = layers;
    c["num_key_value_heads"] = groups;
    c["rms_norm_eps"] = value_or<double>(a, "norm_epsilon", 1e-6);
    c["rope_theta"] = value_or<double>(a, "rotary_base", 10000.0);
    c["tie_word_embeddings"] = !value_or<bool>(a, "untie_embeddings_and_output_weights", true);
    c["torch_dtype"] = bf16 ? "bfloat16" : fp16 ? "float16" : "float32";
    c["vocab_size"] = vocab;
    return c;
}

Result<ParallelPlan> parallel_plan_from_megatron_args(const json& a) {
    // Sizes range-checked as 64-bit values: 2^32+1 must not wrap to 1.
    auto size = [&](const char* key, int fallback) -> Result<int> {
        if (!a.contains(key) || a[key].is_null()) return fallback;
        const json& v = a[key];
        if (!v.is_number_integer() || (v.is_number_unsigned() ? v.get<uint64_t>() > kMaxParallel
                                                              : v.get<int64_t>() < 0 ||
                                                                    v.get<int64_t>() > static_cast<int64_t>(kMaxParallel)))
            return Status::invalid_argument(std::string("Megatron args: '") + key + "' = " + v.dump() +
                                            " is not a parallel size in [0, " + std::to_string(kMaxParallel) + "]");
        return static_cast<int>(v.get<int64_t>());
    };
    ParallelPlan p;
    STRATA_TRY(p.tp, size("tensor_model_parallel_size", 1));
    STRATA_TRY(p.pp, size("pipeline_model_parallel_size", 1));
    STRATA_TRY(p.ep, size("expert_model_parallel_size", 1));
    STRATA_TRY(p.etp, size("expert_tensor_parallel_size", 0));
    STRATA_TRY(p.make_vocab_size_divisible_by, size("make_vocab_size_divisible_by", 128));
    if (a.contains("decoder_first_pipeline_num_layers") && a["decoder_first_pipeline_num_layers"].is_number_integer()) {
        STRATA_TRY(p.first_stage_layers, size("decoder_first_pipeline_num_layers", 0));
    }
    if (a.contains("decoder_last_pipeline_num_layers") && a["decoder_last_pipeline_num_layers"].is_number_integer()) {
        STRATA_TRY(p.last_stage_layers, size("decoder_last_pipeline_num_layers", 0));
    }
    STRATA_TRY(const int vpp, size("virtual_pipeline_model_parallel_size", 1));
    if (vpp > 1) return Status::unsupported("Megatron checkpoints with virtual pipeline stages are not read yet");
    if (p.tp < 1 || p.pp < 1 || p.ep < 1 || p.etp < 0)
        return Status::invalid_argument("Megatron args hold invalid parallel sizes");
    return p;
}

}  // namespace strata
