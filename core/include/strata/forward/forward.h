// Reference forward pass: runs a checkpoint's model on a token sequence and returns
// the logits, reading every weight through the CanonicalView so HF per-expert, HF
// fused and Megatron TP/PP/EP layouts all give the same numbers. Supports Qwen3-MoE,
// dense Qwen3 and M1 hybrids (Qwen3 attention layers + M1 Mamba2 mixers). One layer's
// weights are resident at a time; compute is f32 (bf16 weights upcast) on a kernels Backend.
// Usage: STRATA_TRY(auto ckpt, open_checkpoint(dir));
//        STRATA_TRY(auto r, run_forward(ckpt, tokens, {.device = "cpu"}, progress, cancel)); r.row(0);
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

// F32: weights upcast to f32, every op in f32 (the reference; matches transformers fp32).
// BF16: matmul weights kept as bf16 and activations rounded to bf16 at every matmul input,
// products accumulated in f32 (what a bf16 inference run sees); norms, softmax and the
// scan stay f32. Halves resident weight memory.
enum class ForwardPrecision { F32, BF16 };
const char* forward_precision_name(ForwardPrecision p);  // "f32", "bf16"

struct ForwardOptions {
    std::string device = "cpu";  // a kernels backend name: "cpu", "cuda"
    ForwardPrecision precision = ForwardPrecision::F32;
    bool allow_unmapped = false;  // stored tensors no mapping rule covers are ignored, not fatal
};

struct ForwardResult {
    uint64_t tokens = 0;
    uint64_t vocab = 0;
    std::vector<float> logits;         // [tokens, vocab], row-major
    std::string model_type;            // "qwen3_moe", "qwen3", "m1_hybrid"
    std::string layout;                // "hf", "hf-fused", "megatron", ... (how the weights were stored)
    std::string device;                // the backend's description
    uint64_t weight_bytes_read = 0;    // canonical bytes read from the checkpoint
    uint64_t peak_resident_bytes = 0;  // most weight bytes held on the backend at once
    double seconds = 0.0;

    std::span<const float> row(uint64_t t) const { return {logits.data() + t * vocab, vocab}; }
};

// Runs the model on `tokens` (ids < vocab). Errors (never crashes) on unsupported model
// types or features, missing or misshapen tensors, token ids out of range, an unknown or
// incapable device. Checks `cancel` once per layer and per expert.
Result<ForwardResult> run_forward(const Checkpoint& ckpt, std::span<const int32_t> tokens,
                                  const ForwardOptions& options, ProgressSink& progress, const CancelToken& cancel);
// Opens `path` with the format registry first.
Result<ForwardResult> run_forward(const std::filesystem::path& path, std::span<const int32_t> tokens,
                                  const ForwardOptions& options, ProgressSink& progress, const CancelToken& cancel);

// "1,2,3" or "1 2 3" -> ids; InvalidArgument naming the bad item.
Result<std::vector<int32_t>> parse_token_list(std::string_view text);

struct TopToken {
    int32_t id = 0;
    float logit = 0.0f;
    double prob = 0.0;  // softmax over the whole row
};
// The k largest logits of one row, descending (lower id first on ties).
std::vector<TopToken> top_tokens(std::span<const float> row, int k);

}  // namespace strata
