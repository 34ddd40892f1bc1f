// Bulk conversions between float32 and bfloat16 / half on the CPU: the inner loops
// synth, casts and the forward pass use. Same rounding as scalar_types.h.
// Usage: f32_to_bf16(src, dst, n);
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::kernels {

void bf16_to_f32(const uint16_t* src, float* dst, size_t n);
void f32_to_bf16(const float* src, uint16_t* dst, size_t n);
void f16_to_f32(const uint16_t* src, float* dst, size_t n);
void f32_to_f16(const float* src, uint16_t* dst, size_t n);

}  // namespace strata::kernels
