// Llama / Mistral synth presets: HF config.json values as transformers 4.47 writes them.
// Llama-3.1-8B / 70B dims are the published configs of meta-llama/Llama-3.1-8B and -70B
// (hidden 4096 / 8192, 32 / 80 layers, 32 / 64 heads, 8 KV heads, FFN 14336 / 28672, vocab
// 128256, rope_theta 500000, rope_scaling llama3 factor 8, low 1, high 4, original 8192).
#include "llama.h"
#include "strata/synth/synth.h"

namespace strata {
namespace {

using nlohmann::json;

json llama_config(int hidden, int layers, int heads, int kv_heads, int ffn, int vocab, bool tied,
                  int original_max_position, int max_position) {
    return json{
        {"architectures", {"LlamaForCausalLM"}},
        {"attention_bias", false},
        {"attention_dropout", 0.0},
        {"bos_token_id", 128000},
        {"eos_token_id", 128001},
        {"head_dim", hidden / heads},
        {"hidden_act", "silu"},
        {"hidden_size", hidden},
        {"initializer_range", 0.02},
        {"intermediate_size", ffn},
        {"max_position_embeddings", max_position},
        {"mlp_bias", false},
        {"model_type", "llama"},
        {"num_attention_heads", heads},
        {"num_hidden_layers", layers},
        {"num_key_value_heads", kv_heads},
        {"pretraining_tp", 1},
        {"rms_norm_eps", 1e-05},
        {"rope_scaling",
         {{"factor", 8.0},
          {"high_freq_factor", 4.0},
          {"low_freq_factor", 1.0},
          {"original_max_position_embeddings", original_max_position},
          {"rope_type", "llama3"}}},
        {"rope_theta", 500000.0},
        {"tie_word_embeddings", tied},
        {"torch_dtype", "bfloat16"},
        {"transformers_version", "4.47.1"},
        {"use_cache", true},
        {"vocab_size", vocab},
    };
}

json mistral_config(int hidden, int layers, int heads, int kv_heads, int head_dim, int ffn, int vocab) {
    return json{
        {"architectures", {"MistralForCausalLM"}},
        {"attention_dropout", 0.0},
        {"bos_token_id", 1},
        {"eos_token_id", 2},
        {"head_dim", head_dim},
        {"hidden_act", "silu"},
        {"hidden_size", hidden},
        {"initializer_range", 0.02},
        {"intermediate_size", ffn},
        {"max_position_embeddings", 32768},
        {"model_type", "mistral"},
        {"num_attention_heads", heads},
        {"num_hidden_layers", layers},
        {"num_key_value_heads", kv_heads},
        {"rms_norm_eps", 1e-05},
        {"rope_theta", 1000000.0},
        {"sliding_window", nullptr},
        {"tie_word_embeddings", false},
        {"torch_dtype", "bfloat16"},
        {"transformers_version", "4.47.1"},
        {"use_cache", true},
        {"vocab_size", vocab},
    };
}

}  // namespace

void add_llama_presets(std::vector<SynthPreset>& out) {
    // Tiny: 8 query / 4 KV heads of 8 so TP 2 and 4 split the KV groups; rope_scaling's original
    // context of 64 puts the tiny head's frequencies in all three llama3 bands.
    out.push_back({"llama-tiny",
                   "Llama 3 style, hidden 64, 4 layers, 8/4 heads of 8, FFN 128, vocab 256, rope_scaling llama3, "
                   "untied embeddings",
                   llama_config(64, 4, 8, 4, 128, 256, false, 64, 256)});
    out.push_back({"llama-tiny-tied", "llama-tiny with tied embeddings (as Llama-3.2-1B/3B)",
                   llama_config(64, 4, 8, 4, 128, 256, true, 64, 256)});
    out.push_back({"mistral-tiny", "Mistral, hidden 64, 4 layers, 8/4 heads of 16, FFN 128, vocab 256",
                   mistral_config(64, 4, 8, 4, 16, 128, 256)});
    out.push_back({"llama3.1-8b", "Llama-3.1-8B at real dims: 32 layers, 32/8 heads, FFN 14336, 8.0 B parameters",
                   llama_config(4096, 32, 32, 8, 14336, 128256, false, 8192, 131072)});
    out.push_back({"llama3.1-70b", "Llama-3.1-70B at real dims: 80 layers, 64/8 heads, FFN 28672, 70.6 B parameters",
                   llama_config(8192, 80, 64, 8, 28672, 128256, false, 8192, 131072)});
}

}  // namespace strata
