// HF config.json <-> Megatron args. Names follow Megatron-Bridge CONFIG_MAPPING and the
// Qwen3-MoE provider overrides (facts bridge-mappings §2.2); the parallel and checkpoint
// fields are those Megatron's check_checkpoint_args reads (megatron/training/checkpointing.py).
#include "strata/convert/megatron_args.h"
#include "strata/io/json_value.h"

#include "strata/model/architecture.h"

namespace strata {
namespace {

using nlohmann::json;


}  // namespace

Result<ModelSpec> mapping_spec_from_hf_config(const json& c) {
    if (!c.is_object() || !c.contains("model_type") || !c["model_type"].is_string())
        return Status::invalid_argument("config.json has no 'model_type'");
    STRATA_TRY(const Architecture* arch, architecture_for_hf_config(c));
    return arch->mapping_spec_from_hf_config(c);
}

json megatron_args_for(const json& config, const Layout& layout, int iteration) {
    const ModelSpec& s = layout.spec;
    const ParallelPlan& p = layout.options.plan;
    const std::string dtype = json_value_or<std::string>(config, "torch_dtype", "bfloat16");
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
    a["virtual_pipeline_model_parallel_size"] = p.vpp > 1 ? json(p.vpp) : json(nullptr);
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
    a["max_position_embeddings"] = json_value_or<uint64_t>(hf, "max_position_embeddings", 4096);
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
    a["add_qkv_bias"] = json_value_or<bool>(hf, "attention_bias", false);
    a["position_embedding_type"] = "rope";
    a["use_rotary_position_embeddings"] = true;
    // What a Megatron-LM run saves unless launched with --no-position-embedding (the default;
    // RoPE models ignore it). check_checkpoint_args compares it with the launch flags, and the
    // Qwen3 / Llama examples do not pass --no-position-embedding, so False stopped them.
    a["add_position_embedding"] = true;
    a["rotary_base"] = s.rope_theta;
    a["rotary_percent"] = 1.0;
    a["hidden_dropout"] = 0.0;
    a["attention_dropout"] = json_value_or<double>(hf, "attention_dropout", 0.0);
    a["init_method_std"] = json_value_or<double>(hf, "initializer_range", 0.02);
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
        a["moe_aux_loss_coeff"] = json_value_or<double>(hf, "router_aux_loss_coef", 1e-3);
        a["moe_router_pre_softmax"] = false;
        a["moe_token_dispatcher_type"] = "alltoall";
        // 1 when every layer is MoE, else one 0/1 per layer (Qwen3-MoE mlp_only_layers).
        json freq = json::array();
        bool all_moe = true;
        for (const auto& k : s.layer_kinds) {
            freq.push_back(k.mlp == MlpKind::MoE ? 1 : 0);
            all_moe = all_moe && k.mlp == MlpKind::MoE;
        }
        a["moe_layer_freq"] = all_moe ? json(1) : freq;
        a["norm_topk_prob"] = s.norm_topk_prob;
    } else {
        a["num_experts"] = nullptr;
    }
    a["hf_model_type"] = s.model_type;  // informational: the source architecture
    if (auto arch = architecture_for_model_type(s.model_type)) (*arch)->add_megatron_args(config, layout, a);
    return a;
}

Result<json> hf_config_from_megatron_args(const json& a) {
    STRATA_TRY(const Architecture* arch, architecture_for_megatron_args(a));
    return arch->hf_config_from_megatron_args(a);
}

}  // namespace strata
