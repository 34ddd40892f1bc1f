// convert_cuda_parity: the device-conversion parity cases on the CUDA backend. Exits 77
// (ctest: SKIPPED) when this build has no CUDA backend or the machine has no GPU, so a
// missing GPU is never reported as a pass.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "convert_device/device_parity.h"

namespace {
strata::kernels::Backend* g_cuda = nullptr;
}

strata::kernels::Backend& parity_backend() { return *g_cuda; }

int main(int argc, char** argv) {
    std::string why;
    g_cuda = strata::kernels::backend_by_name("cuda", &why);
    if (!g_cuda) {
        std::printf("SKIPPED: convert --device cuda parity: %s\n", why.c_str());
        return 77;
    }
    std::printf("convert --device cuda parity on %s\n", g_cuda->description().c_str());
    return Catch::Session().run(argc, argv);
}
