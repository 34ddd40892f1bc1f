// A conversion plan's output files for preflight (io/preflight.h): each planned file with
// the bytes of the tensors it holds, in the plan's file order.
// Usage: STRATA_TRY(auto v, check_free_space(out, planned_output_files(plan)));
#pragma once

#include <vector>

#include "strata/io/preflight.h"

namespace strata {

struct ConversionPlan;

std::vector<PlannedOutputFile> planned_output_files(const ConversionPlan& plan);

}  // namespace strata
