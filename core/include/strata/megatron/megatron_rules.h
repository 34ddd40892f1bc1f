// Megatron's own rules, one home each, for the readers, the writers, the layouts, `plan` and
// the Studio: the checkpoint folder names, vocab padding, the pipeline-stage split, which EP
// rank holds an expert, and the parallel sizes stored in args. Sources:
// megatron/training/checkpointing.py (get_checkpoint_name), megatron/training/tokenizer
// (_vocab_size_with_padding), megatron/core/transformer/transformer_config.py
// (decoder_first/last_pipeline_num_layers), megatron/core/transformer/moe/moe_layer.py.
// Usage: megatron_rank_folder(1, 2, 0, 4, 1) == "mp_rank_01_002"
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/megatron/parallel_plan.h"
#include "strata/status.h"

namespace strata {

// "iter_0000010" (Megatron's get_checkpoint_name pads to 7 digits).
std::string megatron_iteration_folder(int64_t iteration);
// The folder a save of `iteration` goes in: iter_NNNNNNN, or "release" for iteration 0.
std::string megatron_checkpoint_folder(int64_t iteration);
// The tracker file beside it, and its text: the iteration, or "release".
inline constexpr const char* kMegatronTracker = "latest_checkpointed_iteration.txt";
std::string megatron_tracker_text(int64_t iteration);
// "mp_rank_01", "mp_rank_01_002" (PP > 1), "mp_rank_01_003" (EP > 1), "mp_rank_01_002_003".
std::string megatron_rank_folder(int tp, int pp, int ep, int pp_size, int ep_size);
// The global rank of a (tp, pp, ep) rank in Megatron's default order "tp-cp-ep-dp-pp"
// (megatron/core/parallel_state.py, RankGenerator) for the world Strata writes: TP·PP·EP ranks,
// CP 1, data-parallel size EP. torch_dist names its files by it ("__5_0.distcp").
int megatron_global_rank(int tp, int pp, int ep, int tp_size, int ep_size);

// _vocab_size_with_padding: the vocab rounded up to make_vocab_size_divisible_by × TP.
uint64_t megatron_padded_vocab_size(uint64_t vocab, int make_vocab_size_divisible_by, int tp);

// Decoder layers per pipeline stage: an even split, or the first/last-stage counts with the
// middle stages split evenly. InvalidArgument says which count does not fit.
Result<std::vector<int>> megatron_stage_layer_counts(int layers, const ParallelPlan& plan);

// The HF torch_dtype the args' training precision means: "bfloat16" (bf16, or params_dtype
// torch.bfloat16), "float16" (fp16, or torch.float16), else "float32".
const char* hf_dtype_of_megatron_args(const nlohmann::json& args);

// Expert placement (megatron/core/transformer/moe/moe_layer.py, local_expert_indices): EP rank r
// holds the experts [r·E/EP, (r+1)·E/EP), numbered from 0 there. EP must divide E (plan checks).
uint64_t megatron_local_experts(uint64_t experts, int ep);
struct ExpertPlace {
    int ep_rank = 0;
    uint64_t local = 0;  // index among the rank's local experts
};
ExpertPlace megatron_expert_place(uint64_t global_expert, uint64_t experts, int ep);

// The parallel plan stored in args (tensor_model_parallel_size ..., vocab divisor, stage counts).
Result<ParallelPlan> parallel_plan_from_megatron_args(const nlohmann::json& args);

}  // namespace strata
