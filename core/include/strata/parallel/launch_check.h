// A Megatron-LM launch script checked against a checkpoint before the job starts: what
// check_checkpoint_args (megatron/training/checkpointing.py) would assert, the shapes and keys
// the model the flags build would not find in the checkpoint, the parallel plan's rules (the
// plan checks of checks.h, on the flags' TP/PP/EP/ETP/CP/VPP), and the flags this Megatron-LM
// does not know. The checkpoint side is a Megatron checkpoint's own args, or, for an HF model,
// the args `strata convert --to megatron` writes for it with the flags' plan.
// Usage: STRATA_TRY(LaunchCheck c, check_launch_flags(flags, spec, config, is_args, version)); c.stops;
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/megatron/launch_flags.h"
#include "strata/model/model_spec.h"
#include "strata/parallel/checks.h"
#include "strata/pattern/layer_pattern.h"
#include "strata/status.h"

namespace strata {

// shape: the built model's tensors or keys differ from the checkpoint's (load stops);
// parallel: a plan rule fails for the flags' sizes; check_checkpoint_args: its assert fails;
// argument: Megatron-LM's argparse / validate_args stops on the flags themselves;
// warning: the job starts but differs from the checkpoint (numerics, routing) or is unchecked.
enum class LaunchFindingKind { Shape, Parallel, CheckpointArgs, Argument, Warning };
const char* launch_finding_kind_name(LaunchFindingKind kind);  // "shape", "parallel", ...

struct LaunchFinding {
    std::string flag;              // "--no-position-embedding" (the flag that would fix or set it)
    std::string launch_value;      // as Megatron would hold it ("True", "48", "(not set)")
    std::string checkpoint_value;  // from the checkpoint's args
    LaunchFindingKind kind = LaunchFindingKind::Warning;
    bool stops = false;   // the job would stop before training
    int line = 0;         // where the flag is in the script (0: not in it)
    std::string message;  // what would happen, with the fix
};

struct LaunchCheck {
    std::string file;
    std::string basis;               // "the checkpoint's Megatron args" / "the args strata convert ... writes"
    ParallelPlan plan;               // from the flags
    std::string pattern;             // the hybrid pattern the flags build ("" for a GPT stack)
    nlohmann::json checkpoint_args;  // what was compared against
    std::vector<LaunchFinding> findings;
    std::vector<PlanCheck> plan_checks;  // every plan check on the flags' plan
    bool stops = false;                  // some finding would stop the job
};

// `config` is the model's HF config.json, or its Megatron args when `megatron_args` is true
// (cli ModelSource); `spec` the ModelSpec read from it.
Result<LaunchCheck> check_launch_flags(const LaunchFlags& flags, const ModelSpec& spec, const nlohmann::json& config,
                                       bool megatron_args, MegatronVersion version);

// {"file", "basis", "plan", "pattern"?, "findings": [{flag, launch_value, checkpoint_value,
//  kind, stops, line, message}], "problems": [...], "stops"}
nlohmann::json launch_check_json(const LaunchCheck& check, const LaunchFlags& flags);

}  // namespace strata
