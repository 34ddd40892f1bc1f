// libFuzzer: config.json (and the bounded JSON parser) -> ModelSpec.
#include "fuzz_common.h"
#include "strata/io/bounded_read.h"
#include "strata/model/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto j = strata::parse_json_bounded({reinterpret_cast<const char*>(data), size});
    if (j && j->is_object()) (void)strata::model_spec_from_hf_config(*j);
    return 0;
}
