// libFuzzer: model.safetensors.index.json + two shards + config.json (parts split by "\n--8<--\n").
#include "fuzz_common.h"
#include "strata/formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    const fs::path dir = strata::fuzz::scratch() / "index";
    std::error_code ec;
    fs::remove_all(dir, ec);
    const auto parts = strata::fuzz::split(data, size, 4);
    strata::fuzz::write(dir / "model.safetensors.index.json", parts[0]);
    strata::fuzz::write(dir / "model-00001-of-00002.safetensors", parts[1]);
    strata::fuzz::write(dir / "model-00002-of-00002.safetensors", parts[2]);
    if (!parts[3].empty()) strata::fuzz::write(dir / "config.json", parts[3]);
    (void)strata::open_safetensors(dir);
    return 0;
}
