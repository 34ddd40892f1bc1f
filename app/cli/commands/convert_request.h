// The target choices of a conversion as the string-taking clients name them (`strata convert`
// and `reshard`, Python's strata.convert), turned into ConvertOptions in one place: the target
// kind, the Megatron plan, expert / norm / Mamba layouts, the Megatron version, the Megatron
// checkpoint format (torch | torch_dist) and the dtype,
// with the same refusals for both. (The Studio sets the same fields from its widgets.)
// Usage: ConvertTarget t; t.to = "megatron"; t.plan.tp = 2; check(apply_convert_target(t, options));
#pragma once

#include <string>

#include "strata/convert/convert.h"
#include "strata/status.h"

namespace strata::cli {

struct ConvertTarget {
    std::string to;  // "megatron", "hf", "hf-fused", "hf-fused-v5"; "" with reshard (Megatron, source Megatron)
    ParallelPlan plan;  // tp, pp, vpp, ep, etp, make_vocab_size_divisible_by
    bool vocab_padding = true;
    // "" = not given.
    std::string expert_layout, norm_layout, mamba_layout, megatron_version, dtype, ckpt_format;
    // How errors name the options: the CLI's flags ("--expert-layout") or Python's keywords ("expert_layout").
    bool cli_flags = true;
};

// Sets options.target / experts / norms / dtype (and require_source for a reshard).
// InvalidArgument names the option and its allowed values.
Status apply_convert_target(const ConvertTarget& target, bool reshard, ConvertOptions& options);

}  // namespace strata::cli
