// ParallelPlan now lives with the other Megatron rules (megatron/parallel_plan.h, below
// mapping/ and formats/); this header stays for the callers that include it here.
#pragma once

#include "strata/megatron/parallel_plan.h"
