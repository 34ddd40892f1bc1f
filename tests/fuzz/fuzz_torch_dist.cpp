// libFuzzer: a PyTorch DCP folder: `.metadata` and two item files (parts split by
// "\n--8<--\n"); every listed tensor is then read, assembling its chunks.
#include "fuzz_common.h"
#include "strata/formats/torch_dist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    const fs::path dir = strata::fuzz::scratch() / "dcp";
    std::error_code ec;
    fs::remove_all(dir, ec);
    const auto parts = strata::fuzz::split(data, size, 3);
    strata::fuzz::write(dir / ".metadata", parts[0]);
    strata::fuzz::write(dir / "__0_0.distcp", parts[1]);
    strata::fuzz::write(dir / "__1_0.distcp", parts[2]);
    auto ckpt = strata::open_torch_dist(dir);
    if (!ckpt) return 0;
    for (const auto& t : ckpt->tensors)
        if (t.byte_size() <= (uint64_t{1} << 24)) (void)ckpt->read(t);
    return 0;
}
