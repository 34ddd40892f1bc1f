// hybridize: M1's transformer → hybrid Mamba2 transform (jingshenghang/M1
// transformer_to_mamba2.py convert_layers; facts/mamba-megatron.md §1.3). Every HF layer not in
// attn_layers becomes an M1 Mamba2 mixer initialised from its attention: in_proj rows
// [z | x←v_proj | B←k_proj | C←q_proj | dt], out_proj←o_proj, the rest fresh (m1_mamba.h); MoE
// block and both norms copied, q_norm/k_norm dropped. Attention layers are copied byte for byte.
// Output: HF safetensors (streamed one tensor at a time), config.json, mamba_config.json.
// Usage: HybridizeOptions o{.source = "qwen3", .out = "hybrid", .attn_layers = "0,2,...,46,47"};
//        STRATA_RETURN_IF_ERROR(hybridize(o, progress, cancel));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint.h"
#include "strata/formats/tensor_entry.h"
#include "strata/io/preflight.h"
#include "strata/hybrid/m1_mamba.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

struct HybridizeOptions {
    std::filesystem::path source;  // HF Qwen3 / Qwen3-MoE safetensors file or folder
    std::filesystem::path out;     // output folder (must not exist unless overwrite)
    // M1's --attn_layers: "0,2,4,...,44,46,47" (parse_index_list syntax). Layers kept as attention.
    std::string attn_layers;
    M1Options mamba;
    uint64_t seed = 0;
    // M1 requires the first and last layers to stay attention (README_Qwen.md); this turns
    // that error into a warning.
    bool allow_mamba_ends = false;
    bool sparse = false;  // header-only skeleton over file holes (for planning at real dims)
    bool overwrite = false;
    bool force_space = false;                  // write even when preflight finds too little free space
    uint64_t max_shard_bytes = 5'000'000'000;  // transformers save_pretrained default "5GB"
};

// Where one output tensor's bytes come from.
enum class HybridSource {
    Copy,    // a source tensor unchanged (`from`); out_proj copies o_proj this way
    InProj,  // [fresh z | v_proj | k_proj | q_proj | fresh dt]
    Fresh,   // m1_fill(fresh)
};

struct HybridTensor {
    TensorEntry entry;
    HybridSource source = HybridSource::Copy;
    std::string from;  // Copy: the source tensor name; InProj: the layer prefix "model.layers.N."
    M1Fresh fresh = M1Fresh::D;
    int layer = -1;  // HF layer index, -1 for embeddings / final norm / lm_head
};

// Everything hybridize will do, without doing it (for --dry-run and the Studio).
struct HybridizePlan {
    M1Dims dims;
    std::vector<int> attn_layers;
    std::vector<bool> is_mamba;  // per HF layer
    std::vector<HybridTensor> tensors;  // output order (MambaDecoderLayer state-dict order)
    nlohmann::ordered_json mamba_config;  // M1's MambaConfig dataclass dump
    std::vector<std::string> warnings;    // allowed Mamba ends, dropped attention tensors
    std::string megatron_pattern;         // each HF layer = mixer slot + MLP slot ('*'/'M' then 'E'/'-')
    DType model_dtype = DType::BF16;
    uint64_t total_bytes = 0;
};

// Validates the source and options and lays out the output. Errors name the tensor or option.
Result<HybridizePlan> plan_hybridize(const Checkpoint& source, const HybridizeOptions& options);

// The planned output for preflight (io/preflight.h): the shards' tensor bytes.
std::vector<PlannedOutputFile> hybridize_output_files(const HybridizePlan& plan);

// Opens options.source, plans, checks the free space (refused unless force_space), and
// writes the hybrid atomically into options.out.
Status hybridize(const HybridizeOptions& options, ProgressSink& progress, const CancelToken& cancel);

// A plain-text description of the plan: per layer its kind, and for the first Mamba layer
// every tensor with shape, dtype and origin (what --dry-run prints).
std::string describe_hybridize_plan(const HybridizePlan& plan);

}  // namespace strata
