// libFuzzer: the restricted pickle VM alone (no zip around it), then the JSON view.
#include <span>

#include "formats/torch_pt/pickle.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto v = strata::torch_pt::unpickle(std::as_bytes(std::span(data, size)), "data.pkl", 0);
    if (v) (void)v->to_json().dump();
    return 0;
}
