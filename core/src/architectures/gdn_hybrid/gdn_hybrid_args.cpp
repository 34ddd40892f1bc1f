// GDN hybrid args and detection. Field names: Megatron-LM arguments.py / Megatron-Core
// TransformerConfig (experimental_attention_variant, linear_attention_freq, linear_*,
// attention_output_gate, layernorm_zero_centered_gamma, moe_shared_expert_*, mtp_num_layers)
// as Megatron-Bridge's Qwen3-Next / Qwen3.5 providers set them (facts bridge-mappings §3.7-3.8);
// HF names: transformers Qwen3NextConfig / Qwen3_5(Moe)TextConfig.
#include "strata/convert/gdn_hybrid_args.h"
#include "strata/io/json_value.h"
#include "strata/megatron/megatron_rules.h"

#include <regex>

#include "strata/io/bounded_read.h"
#include "strata/model/hf_layout.h"
#include "strata/pattern/layer_pattern.h"

namespace strata {
namespace {

using nlohmann::json;


std::string model_type_of(const json& c) {
    if (!c.is_object()) return "";
    return json_value_or<std::string>(c, "model_type", "");
}

}  // namespace

bool is_gdn_hybrid_config(const json& config) { return is_gdn_hybrid_model_type(model_type_of(config)); }

Result<ModelSpec> gdn_hybrid_mapping_spec(const json& config) {
    STRATA_TRY(ModelSpec spec, model_spec_from_hf_config(config));
    if (!is_gdn_hybrid_model_type(spec.model_type))
        return Status::invalid_argument("config.json: model_type '" + spec.model_type + "' is not a GDN hybrid");
    return spec;
}

void add_gdn_hybrid_megatron_args(const json& hf, const Layout& layout, json& a) {
    const ModelSpec& s = layout.spec;
    a["experimental_attention_variant"] = "gated_delta_net";
    std::vector<MixerKind> mixers;
    for (const auto& k : s.layer_kinds) mixers.push_back(k.mixer);
    const LinearAttentionFreq freq = linear_attention_freq_from_mixers(mixers);
    if (freq.interval > 0)
        a["linear_attention_freq"] = freq.interval;
    else
        a["linear_attention_freq"] = freq.list;
    a["linear_conv_kernel_dim"] = s.gdn.conv_kernel;
    a["linear_key_head_dim"] = s.gdn.key_head_dim;
    a["linear_value_head_dim"] = s.gdn.value_head_dim;
    a["linear_num_key_heads"] = s.gdn.key_heads;
    a["linear_num_value_heads"] = s.gdn.value_heads;
    a["attention_output_gate"] = true;
    a["layernorm_zero_centered_gamma"] = true;
    a["hetereogenous_dist_checkpoint"] = true;  // sic (Megatron-Core field name)
    a["rotary_percent"] = s.partial_rotary_factor;
    a["rotary_base"] = s.rope_theta;
    if (s.is_moe()) {
        a["moe_shared_expert_intermediate_size"] = s.shared_expert_ffn;
        a["moe_shared_expert_gate"] = s.shared_expert_ffn > 0;
        a["moe_router_load_balancing_type"] = "global_aux_loss";
        a["moe_router_dtype"] = "fp32";
        // Qwen3-Next mlp_only_layers: Megatron's moe_layer_freq list, 1 = MoE.
        json freq_list = json::array();
        bool all = true;
        for (const auto& k : s.layer_kinds) {
            freq_list.push_back(k.mlp == MlpKind::MoE ? 1 : 0);
            all = all && k.mlp == MlpKind::MoE;
        }
        a["moe_layer_freq"] = all ? json(1) : freq_list;
    }
    a["mtp_num_layers"] = s.mtp_layers ? json(s.mtp_layers) : json(nullptr);
    a["strata_hf_config"] = hf.dump();
}

bool is_gdn_hybrid_megatron_args(const json& args) {
    return json_value_or<std::string>(args, "experimental_attention_variant", "") == "gated_delta_net";
}

Result<json> gdn_hybrid_config_from_megatron_args(const json& a) {
    const char* dtype = hf_dtype_of_megatron_args(a);
    const std::string saved = json_value_or<std::string>(a, "strata_hf_config", "");
    if (!saved.empty()) {
        auto parsed = parse_json_bounded(saved);
        json c = parsed ? std::move(*parsed) : json();
        if (!c.is_object())
            return Status::corrupt("Megatron args: strata_hf_config is not a JSON object");
        c["torch_dtype"] = dtype;
        return c;
    }
    // Rebuilt from the fields (a Megatron-trained checkpoint).
    STRATA_TRY(ModelSpec s, read_megatron_args_spec(a));
    const bool moe = s.is_moe();
    std::string type = json_value_or<std::string>(a, "hf_model_type", moe ? "qwen3_5_moe" : "qwen3_5");
    if (!is_gdn_hybrid_model_type(type))
        return Status::unsupported("Megatron args: gated_delta_net with hf_model_type '" + type + "'");
    json c = json::object();
    const bool next = type == "qwen3_next";
    c["architectures"] = {next ? "Qwen3NextForCausalLM" : moe ? "Qwen3_5MoeForCausalLM" : "Qwen3_5ForCausalLM"};
    c["model_type"] = next ? type : type + "_text";
    c["hidden_size"] = s.hidden;
    c["num_hidden_layers"] = s.layers;
    c["num_attention_heads"] = s.heads;
    c["num_key_value_heads"] = s.kv_heads;
    c["head_dim"] = s.head_dim;
    c["vocab_size"] = json_value_or<uint64_t>(a, "vocab_size", s.vocab);
    c["rms_norm_eps"] = s.rms_norm_eps;
    c["tie_word_embeddings"] = s.tied_embeddings;
    c["linear_conv_kernel_dim"] = s.gdn.conv_kernel;
    c["linear_key_head_dim"] = s.gdn.key_head_dim;
    c["linear_value_head_dim"] = s.gdn.value_head_dim;
    c["linear_num_key_heads"] = s.gdn.key_heads;
    c["linear_num_value_heads"] = s.gdn.value_heads;
    std::vector<MixerKind> mixers;
    for (const auto& k : s.layer_kinds) mixers.push_back(k.mixer);
    c["layer_types"] = layer_types_from_mixers(mixers);
    c["rope_parameters"] = {
        {"rope_type", "default"}, {"rope_theta", s.rope_theta}, {"partial_rotary_factor", s.partial_rotary_factor}};
    c["max_position_embeddings"] = json_value_or<uint64_t>(a, "max_position_embeddings", 262144);
    if (s.mtp_layers) c["mtp_num_hidden_layers"] = s.mtp_layers;
    if (!moe || next) c["intermediate_size"] = s.ffn;
    if (moe) {
        c["num_experts"] = s.experts;
        c["num_experts_per_tok"] = s.experts_per_token;
        c["moe_intermediate_size"] = s.expert_ffn;
        c["shared_expert_intermediate_size"] = s.shared_expert_ffn;
        c["norm_topk_prob"] = s.norm_topk_prob;
        if (next) {
            c["decoder_sparse_step"] = 1;
            json only = json::array();
            for (size_t i = 0; i < s.layer_kinds.size(); ++i)
                if (s.layer_kinds[i].mlp != MlpKind::MoE) only.push_back(i);
            c["mlp_only_layers"] = only;
        }
    }
    c["torch_dtype"] = dtype;
    return c;
}

Status detect_gdn_hybrid_hf_options(const Checkpoint& ckpt, LayoutOptions& options) {
    static const std::regex per_expert(R"(layers\.\d+\.mlp\.experts\.\d+\.)");
    std::string dec_packed, dec_per, mtp_packed, mtp_per;
    for (const auto& t : ckpt.tensors) {
        const bool mtp = t.name.rfind("mtp.", 0) == 0;
        if (t.name.find(".mlp.experts.gate_up_proj") != std::string::npos)
            (mtp ? mtp_packed : dec_packed) = t.name;
        else if (t.name.find(".mlp.experts.") != std::string::npos && std::regex_search(t.name, per_expert))
            (mtp ? mtp_per : dec_per) = t.name;
    }
    const std::string file = ckpt.path.string();
    if (!dec_packed.empty() && !dec_per.empty())
        return Status::invalid_argument("decoder experts are stored both packed ('" + dec_packed +
                                        "') and per expert ('" + dec_per + "')")
            .in_file(file);
    if (!mtp_packed.empty() && !mtp_per.empty())
        return Status::invalid_argument("MTP experts are stored both packed ('" + mtp_packed + "') and per expert ('" +
                                        mtp_per + "')")
            .in_file(file);
    if (!mtp_packed.empty() && dec_packed.empty())
        return Status::unsupported(
                   "MTP experts are packed ('" + mtp_packed +
                   "') but decoder experts are not; Strata knows packed MTP only beside a packed decoder")
            .in_file(file);
    options.kind = dec_packed.empty() ? LayoutKind::Hf : LayoutKind::HfFusedV5;
    options.mtp_experts_packed = !mtp_packed.empty();
    return Status::ok();
}

}  // namespace strata
