// libFuzzer: one .safetensors file.
#include "fuzz_common.h"
#include "strata/formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = strata::fuzz::scratch() / "model.safetensors";
    strata::fuzz::write(path, {reinterpret_cast<const char*>(data), size});
    (void)strata::open_safetensors(path);
    return 0;
}
