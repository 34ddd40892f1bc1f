// libFuzzer: a torch.save .pt file (zip records, version, data.pkl, storages).
#include "fuzz_common.h"
#include "strata/formats/torch_pt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = strata::fuzz::scratch() / "model.pt";
    strata::fuzz::write(path, {reinterpret_cast<const char*>(data), size});
    (void)strata::open_torch_pt(path);
    return 0;
}
