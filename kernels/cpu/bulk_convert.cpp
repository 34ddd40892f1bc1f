#include "strata/kernels/bulk_convert.h"

#include "strata/kernels/scalar_types.h"

namespace strata::kernels {

void bf16_to_f32(const uint16_t* src, float* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = bf16_to_float(src[i]);
}
void f32_to_bf16(const float* src, uint16_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = float_to_bf16(src[i]);
}
void f16_to_f32(const uint16_t* src, float* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = f16_to_float(src[i]);
}
void f32_to_f16(const float* src, uint16_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = float_to_f16(src[i]);
}

}  // namespace strata::kernels
