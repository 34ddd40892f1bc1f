// Megatron's rules (megatron/megatron_rules.h): one implementation each.
#include "strata/megatron/megatron_rules.h"
#include "strata/io/json_value.h"

#include "strata/size_limits.h"

#include <algorithm>
#include <cstdio>

namespace strata {
namespace {


}  // namespace

std::string megatron_iteration_folder(int64_t iteration) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "iter_%07lld", static_cast<long long>(iteration));
    return buf;
}

std::string megatron_rank_folder(int tp, int pp, int ep, int pp_size, int ep_size) {
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "mp_rank_%02d", tp);
    if (pp_size > 1) n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "_%03d", pp);
    if (ep_size > 1) std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "_%03d", ep);
    return buf;
}

uint64_t megatron_padded_vocab_size(uint64_t vocab, int divisible_by, int tp) {
    const uint64_t m = static_cast<uint64_t>(std::max(divisible_by, 1)) * static_cast<uint64_t>(std::max(tp, 1));
    return (vocab + m - 1) / m * m;
}

std::string megatron_checkpoint_folder(int64_t iteration) {
    return iteration > 0 ? megatron_iteration_folder(iteration) : "release";
}

std::string megatron_tracker_text(int64_t iteration) { return iteration > 0 ? std::to_string(iteration) : "release"; }

int megatron_global_rank(int tp, int pp, int ep, int tp_size, int ep_size) {
    return tp + tp_size * (ep + ep_size * pp);
}

uint64_t megatron_local_experts(uint64_t experts, int ep) { return experts / static_cast<uint64_t>(std::max(ep, 1)); }

ExpertPlace megatron_expert_place(uint64_t global_expert, uint64_t experts, int ep) {
    const uint64_t local = std::max<uint64_t>(megatron_local_experts(experts, ep), 1);
    return {static_cast<int>(global_expert / local), global_expert % local};
}

// hybrid_layer_allocation.py select_pipeline_segment; transformer_config.py for GPT.
Result<std::vector<int>> megatron_stage_layer_counts(int n, const ParallelPlan& plan) {
    const int pp = plan.pp;
    std::vector<int> per_stage(static_cast<size_t>(std::max(pp, 1)), 0);
    if (plan.first_stage_layers || plan.last_stage_layers) {
        const int first = plan.first_stage_layers.value_or(0), last = plan.last_stage_layers.value_or(0);
        const int fixed = (plan.first_stage_layers ? 1 : 0) + (plan.last_stage_layers ? 1 : 0);
        if (first < 0 || last < 0) return Status::invalid_argument("first/last-stage layer counts must be >= 0");
        if (fixed > pp) return Status::invalid_argument("first and last stage counts need PP >= 2");
        const int middle_layers = n - first - last, middle = pp - fixed;
        if (middle_layers < 0)
            return Status::invalid_argument("first + last stage layers (" + std::to_string(first + last) +
                                            ") exceed the " + std::to_string(n) + " layers");
        if (middle > 0 && middle_layers % middle != 0)
            return Status::invalid_argument("middle layers (" + std::to_string(middle_layers) +
                                            ") must be evenly divisible by middle pipeline stages (" +
                                            std::to_string(middle) + ")");
        if (middle == 0 && middle_layers != 0)
            return Status::invalid_argument("first + last stage layers must add up to " + std::to_string(n));
        for (int r = 0; r < pp; ++r) per_stage[static_cast<size_t>(r)] = middle > 0 ? middle_layers / middle : 0;
        if (plan.first_stage_layers) per_stage.front() = first;
        if (plan.last_stage_layers) per_stage.back() = last;
    } else {
        if (pp < 1 || n % pp != 0)
            return Status::invalid_argument("number of layers (" + std::to_string(n) +
                                            ") must be evenly divisible by PP=" + std::to_string(pp));
        std::fill(per_stage.begin(), per_stage.end(), n / pp);
    }
    return per_stage;
}

Result<ParallelPlan> parallel_plan_from_megatron_args(const nlohmann::json& a) {
    // Sizes range-checked as 64-bit values: 2^32+1 must not wrap to 1.
    auto size = [&](const char* key, int fallback) -> Result<int> {
        if (!a.is_object() || !a.contains(key) || a[key].is_null()) return fallback;
        const nlohmann::json& v = a[key];
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
    STRATA_TRY(p.vpp, size("virtual_pipeline_model_parallel_size", 1));
    if (p.vpp == 0) p.vpp = 1;
    // Older runs give the chunk size instead: num_layers_per_virtual_pipeline_stage.
    STRATA_TRY(const int per_chunk, size("num_layers_per_virtual_pipeline_stage", 0));
    if (per_chunk > 0 && p.vpp == 1 && p.pp > 1) {
        STRATA_TRY(const int layers, size("num_layers", 0));
        if (layers % (p.pp * per_chunk) != 0)
            return Status::invalid_argument("Megatron args: num_layers " + std::to_string(layers) +
                                            " is not PP x num_layers_per_virtual_pipeline_stage chunks");
        p.vpp = layers / (p.pp * per_chunk);
    }
    if (p.tp < 1 || p.pp < 1 || p.ep < 1 || p.etp < 0)
        return Status::invalid_argument("Megatron args hold invalid parallel sizes");
    return p;
}

const char* hf_dtype_of_megatron_args(const nlohmann::json& a) {
    const std::string pdt = json_value_or<std::string>(a, "params_dtype", "");
    if (json_value_or<bool>(a, "bf16", pdt == "torch.bfloat16")) return "bfloat16";
    if (json_value_or<bool>(a, "fp16", pdt == "torch.float16")) return "float16";
    return "float32";
}

}  // namespace strata
