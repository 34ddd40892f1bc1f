// The backend the device-conversion parity cases run on: the cpu backend in core_tests,
// cuda in convert_cuda_parity.
#pragma once

#include "strata/kernels/backend.h"

strata::kernels::Backend& parity_backend();
