// Internal: how backend.cpp finds the CUDA backend without including CUDA headers.
#pragma once

#include <string>

namespace strata::kernels {
class Backend;
// Defined in cuda/cuda_backend.cpp when STRATA_HAVE_CUDA; null + *why when no device.
Backend* cuda_backend_instance(std::string* why);
}  // namespace strata::kernels
