// ParallelPlan: a Megatron parallel layout (TP, PP, EP, ETP, CP, VPP, DP) and
// the pipeline-stage options that decide which layers each stage holds.
// check(spec, pattern, plan) in checks.h says whether it divides the model.
// Usage: ParallelPlan plan{.tp = 2, .pp = 4, .ep = 8};
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace strata {

struct ParallelPlan {
    int tp = 1;
    int pp = 1;
    int ep = 1;
    int etp = 0;  // 0 = same as tp (Megatron's default expert_tensor_parallel_size)
    int cp = 1;
    int vpp = 1;    // virtual pipeline chunks per stage
    int dp = 0;     // 0 = derive from world
    int world = 0;  // 0 = tp*pp*cp*dp with dp = 1
    bool sequence_parallel = false;
    std::optional<int> first_stage_layers;  // num_layers_in_first_pipeline_stage
    std::optional<int> last_stage_layers;   // num_layers_in_last_pipeline_stage
    int make_vocab_size_divisible_by = 128;

    int expert_tp() const { return etp > 0 ? etp : tp; }
};

}  // namespace strata
