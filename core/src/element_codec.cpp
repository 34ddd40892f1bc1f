#include "strata/element_codec.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "strata/kernels/scalar_types.h"

namespace strata {
namespace {

template <typename T>
T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

template <typename T, typename Fn>
void decode_as(const std::byte* base, uint64_t first, uint64_t n, double* out, Fn fn) {
    const std::byte* p = base + first * sizeof(T);
    for (uint64_t i = 0; i < n; ++i) out[i] = fn(load<T>(p + i * sizeof(T)));
}

}  // namespace

void decode_elements(DType dtype, const std::byte* base, uint64_t first, uint64_t n, double* out) {
    auto id = [](auto v) { return static_cast<double>(v); };
    switch (dtype) {
        case DType::Bool: decode_as<uint8_t>(base, first, n, out, [](uint8_t v) { return v ? 1.0 : 0.0; }); break;
        case DType::U8: decode_as<uint8_t>(base, first, n, out, id); break;
        case DType::I8: decode_as<int8_t>(base, first, n, out, id); break;
        case DType::I16: decode_as<int16_t>(base, first, n, out, id); break;
        case DType::U16: decode_as<uint16_t>(base, first, n, out, id); break;
        case DType::I32: decode_as<int32_t>(base, first, n, out, id); break;
        case DType::U32: decode_as<uint32_t>(base, first, n, out, id); break;
        case DType::I64: decode_as<int64_t>(base, first, n, out, id); break;
        case DType::U64: decode_as<uint64_t>(base, first, n, out, id); break;
        case DType::F32: decode_as<float>(base, first, n, out, id); break;
        case DType::F64: decode_as<double>(base, first, n, out, id); break;
        case DType::F16:
            decode_as<uint16_t>(base, first, n, out, [](uint16_t v) { return double(kernels::f16_to_float(v)); });
            break;
        case DType::BF16:
            decode_as<uint16_t>(base, first, n, out, [](uint16_t v) { return double(kernels::bf16_to_float(v)); });
            break;
        case DType::F8_E4M3:
            decode_as<uint8_t>(base, first, n, out, [](uint8_t v) { return double(kernels::e4m3_to_float(v)); });
            break;
        case DType::F8_E5M2:
            decode_as<uint8_t>(base, first, n, out, [](uint8_t v) { return double(kernels::e5m2_to_float(v)); });
            break;
        default: std::fill(out, out + n, std::numeric_limits<double>::quiet_NaN()); break;
    }
}


}  // namespace strata
