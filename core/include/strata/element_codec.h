// Element decoding: any byte-sized checkpoint dtype read as double, the one place
// conversions (casts, +constant), diff and tensor statistics turn stored bytes into
// numbers. Narrow floats go through kernels/scalar_types.h, so every reader agrees.
// Usage: double x = load_element(bytes + i * dtype_size(dt), dt);
#pragma once

#include <cstddef>
#include <cstdint>

#include "strata/dtype.h"

namespace strata {

// Decodes elements [first, first+n) of a packed array of `dtype` to double; NaN for
// dtypes with no decoder (sub-byte, C64, E8M0, FNUZ).
void decode_elements(DType dtype, const std::byte* base, uint64_t first, uint64_t n, double* out);
// One element at p.
inline double load_element(const std::byte* p, DType dtype) {
    double v;
    decode_elements(dtype, p, 0, 1, &v);
    return v;
}

}  // namespace strata
