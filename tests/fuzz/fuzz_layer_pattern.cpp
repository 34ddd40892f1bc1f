// libFuzzer: Megatron hybrid layer patterns and M1 attn_layers lists. The first byte picks
// the layer count (0 = none given) and the Megatron version.
#include <string>

#include "fuzz_common.h"
#include "strata/pattern/layer_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const int layers = data[0] % 97;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    auto list = strata::parse_index_list(text, layers);
    if (list) {
        (void)strata::format_index_list(*list);
        if (layers > 0) {
            (void)strata::validate_attn_layers(*list, layers);
            (void)strata::mixers_from_attn_layers(*list, layers);
        }
    }
    for (const char* v : {"0.15", "0.16", "main"}) {
        auto version = strata::parse_megatron_version(v);
        if (!version) continue;
        auto p = strata::parse_layer_pattern(text, *version);
        if (p) (void)strata::to_string(*p);
    }
    (void)strata::count_layers(text);
    return 0;
}
