// Plan checks: does a ParallelPlan divide a model? check(spec, pattern, plan) runs every
// Megatron rule that would otherwise fail only after a cluster job starts (heads, KV groups,
// Mamba/GDN heads, experts, FFNs % TP/EP/ETP; vocab padding; layers per pipeline stage;
// world size and expert folding; sequence parallel) and, for each failing axis, lists the
// values that would pass. Pure functions over value types.
// Usage: for (const PlanCheck& c : check(spec, pattern, plan)) if (!c.ok) ...
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "strata/model/model_spec.h"
#include "strata/parallel/parallel_plan.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/status.h"

namespace strata {

enum class Severity { Info, Warning, Error };
const char* severity_name(Severity severity);  // "info", "warning", "error"

// The plan field a check is about; alternatives are values of that field.
enum class PlanAxis { None, Tp, Pp, Ep, Etp, Cp, Vpp, Dp, World, SequenceParallel };
const char* plan_axis_name(PlanAxis axis);  // "TP", "PP", ...

struct PlanCheck {
    std::string name;  // "KV groups % TP"
    bool ok = true;
    Severity severity = Severity::Error;  // how bad it is when !ok (Info checks are always ok)
    std::string message;                  // one line, with the numbers
    PlanAxis axis = PlanAxis::None;
    std::vector<int> alternatives;  // values of `axis` that pass this check (others unchanged)
    std::string source;             // the Megatron rule it mirrors: "megatron/core/...py"
};

// Derived sizes of a plan (Megatron's parallel_state.initialize_model_parallel).
struct PlanSizes {
    int world = 0;      // plan.world, or tp*pp*cp*dp
    int dp = 0;         // world / (tp*pp*cp); 0 when it does not divide
    int expert_dp = 0;  // world / (etp*ep*pp); 0 when it does not divide
    int etp = 0;        // resolved expert TP
};
PlanSizes plan_sizes(const ParallelPlan& plan);

// Vocab padding of megatron/training/tokenizer/tokenizer.py _vocab_size_with_padding:
// the next multiple of make_vocab_size_divisible_by * tp.
uint64_t padded_vocab_size(uint64_t vocab, int make_vocab_size_divisible_by, int tp);

// The Megatron layers a pipeline stage chunk holds: [first, first+count) of the decoder.
struct StageLayers {
    int pp_rank = 0;
    int vp_stage = 0;
    int first = 0;
    int count = 0;
    std::string symbols;  // the pattern slice, when a pattern is known
};
// How Megatron splits the decoder: with a pattern, hybrid rules of `version` ('|' segments
// from v0.17, else even split or first/last-stage counts); without one, GPT's
// TransformerBlock over spec.layers (even split, first/last overrides, VPP chunks).
Result<std::vector<StageLayers>> pipeline_layout(const ModelSpec& spec, const std::optional<LayerPattern>& pattern,
                                                 const ParallelPlan& plan,
                                                 MegatronVersion version = kDefaultMegatronVersion);

// Every check, in a stable order. Names (stable, for UIs): "plan values", "pattern vs model",
// "attention heads % TP", "KV groups % TP", "Mamba dims", "Mamba heads % TP", "Mamba groups % TP",
// "Mamba heads % groups", "GDN key heads % TP", "GDN value heads % TP", "experts % EP",
// "expert FFN % ETP", "shared expert FFN % TP", "dense FFN % TP", "vocab padding",
// "layers per pipeline stage", "virtual pipeline", "world size", "expert folding", "sequence parallel".
// `pattern` is the Megatron hybrid pattern when the model is trained as a hybrid (each symbol
// one Megatron layer); without it the model is a GPT stack of spec.layers. Mamba checks run
// when the pattern or spec has Mamba layers.
std::vector<PlanCheck> check(const ModelSpec& spec, const std::optional<LayerPattern>& pattern,
                             const ParallelPlan& plan, MegatronVersion version = kDefaultMegatronVersion);

// True when no Error-severity check failed.
bool plan_passes(const std::vector<PlanCheck>& checks);

// Values of `axis` for which every check on that axis passes, other fields unchanged
// (e.g. TP ∈ {1,2,4} for Qwen3-30B-A3B). Candidates are 1..max_value.
std::vector<int> passing_values(const ModelSpec& spec, const std::optional<LayerPattern>& pattern,
                                const ParallelPlan& plan, PlanAxis axis,
                                MegatronVersion version = kDefaultMegatronVersion, int max_value = 1024);

}  // namespace strata
