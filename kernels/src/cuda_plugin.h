// Internal: the CUDA backend lives in a plug-in, libstrata_cuda.so, opened at run time, so one
// build serves machines with and without the CUDA runtime (the binaries never link libcudart).
// The plug-in exports one C entry point; the loader finds the file, checks the ABI and asks it
// for the backend. Usage: std::string why; Backend* b = load_cuda_plugin_backend(&why);
#pragma once

#include <string>

namespace strata::kernels {

class Backend;

// Bump when Backend's virtual interface or an op argument struct changes: a plug-in from
// another build is then refused instead of called through a different vtable.
inline constexpr int kCudaPluginAbi = 1;
inline constexpr const char* kCudaPluginFile = "libstrata_cuda.so";
inline constexpr const char* kCudaPluginEntry = "strata_cuda_backend_entry";
// The entry's type: (abi, why) -> backend or null with *why set.
using CudaPluginEntry = Backend* (*)(int abi, std::string* why);

// Opens the plug-in once (process lifetime) and returns its backend, or null with *why
// naming the file and the reason (not installed, runtime libraries missing, no device).
Backend* load_cuda_plugin_backend(std::string* why);
// Where the loaded plug-in came from ("" when none loaded).
std::string loaded_cuda_plugin_path();

}  // namespace strata::kernels
