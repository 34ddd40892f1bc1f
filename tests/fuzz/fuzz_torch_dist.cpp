// libFuzzer: a PyTorch DCP folder: `.metadata` and two item files (parts split by
// "\n--8<--\n"); every listed tensor is then read, assembling its chunks, and a Megatron
// one's legacy view (layer and expert axes unstacked) is built and read too.
#include "fuzz_common.h"
#include "strata/formats/torch_dist.h"
#include "strata/mapping/torch_dist_keys.h"

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
    if (!strata::is_megatron_torch_dist(*ckpt)) return 0;
    auto view = strata::legacy_view_of_torch_dist(*ckpt);
    if (!view) return 0;
    for (const auto& t : view->tensors)
        if (t.byte_size() <= (uint64_t{1} << 24)) (void)view->read(t);
    return 0;
}
