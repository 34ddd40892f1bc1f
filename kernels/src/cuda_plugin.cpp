// Finds and opens libstrata_cuda.so. Search order: $STRATA_CUDA_PLUGIN (a file, exclusively),
// <dir of the executable>/../lib/strata (the installed layout: /usr/bin -> /usr/lib/strata),
// then the build tree's copy (STRATA_CUDA_PLUGIN_BUILD_PATH) so tests run without installing.
#include "src/cuda_plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

namespace strata::kernels {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> plugin_candidates() {
    if (const char* env = std::getenv("STRATA_CUDA_PLUGIN"); env && *env) return {env};
    std::vector<std::string> out;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) out.push_back((exe.parent_path().parent_path() / "lib" / "strata" / kCudaPluginFile).string());
#ifdef STRATA_CUDA_PLUGIN_BUILD_PATH
    out.emplace_back(STRATA_CUDA_PLUGIN_BUILD_PATH);
#endif
    return out;
}

struct LoadedPlugin {
    Backend* backend = nullptr;
    std::string path;
    std::string why;
};

LoadedPlugin open_plugin() {
    LoadedPlugin r;
    std::string looked;
    for (const std::string& path : plugin_candidates()) {
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) {
            looked += (looked.empty() ? "" : ", ") + path;
            continue;
        }
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char* err = dlerror();
            r.why = "the CUDA backend plug-in " + path + " cannot be loaded: " + (err ? err : "dlopen failed") +
                    " (the CUDA runtime and cuBLAS libraries must be on the library path)";
            return r;
        }
        using AbiFn = int (*)();
        auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "strata_cuda_plugin_abi"));
        auto entry = reinterpret_cast<CudaPluginEntry>(dlsym(handle, kCudaPluginEntry));
        if (!abi || !entry || abi() != kCudaPluginAbi) {
            r.why = "the CUDA backend plug-in " + path + " belongs to another build of Strata (plug-in ABI " +
                    (abi ? std::to_string(abi()) : std::string("unknown")) + ", this build " +
                    std::to_string(kCudaPluginAbi) + ")";
            dlclose(handle);
            return r;
        }
        // The handle stays open for the life of the process: the backend's code lives in it.
        r.path = path;
        r.backend = entry(kCudaPluginAbi, &r.why);
        return r;
    }
    r.why = std::string("the CUDA backend plug-in ") + kCudaPluginFile + " is not installed (looked in " + looked + ")";
    return r;
}

const LoadedPlugin& plugin() {
    static std::once_flag once;
    static LoadedPlugin loaded;
    std::call_once(once, [] { loaded = open_plugin(); });
    return loaded;
}

}  // namespace

Backend* load_cuda_plugin_backend(std::string* why) {
    const LoadedPlugin& p = plugin();
    if (!p.backend && why) *why = p.why;
    return p.backend;
}

std::string loaded_cuda_plugin_path() { return plugin().path; }

}  // namespace strata::kernels
