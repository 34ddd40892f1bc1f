// DType: every element type a checkpoint can hold, with its safetensors name,
// its width in bits and the torch names it maps to. Sub-byte types (F4, F6_*)
// are stored packed; use bytes_for(dtype, numel) rather than multiplying.
// Usage: auto dt = parse_dtype("BF16"); uint64_t n = *bytes_for(*dt, numel);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

enum class DType : uint8_t {
    Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, C64,
    F8_E4M3, F8_E5M2, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F4, F6_E2M3, F6_E3M2,
};

// All dtypes, in declaration order (for tables and tests).
const std::vector<DType>& all_dtypes();

// Safetensors spelling: "BF16", "F8_E4M3", "BOOL".
std::string_view dtype_name(DType dtype);
std::optional<DType> parse_dtype(std::string_view name);
// Accepts friendly spellings too: "bf16", "bfloat16", "fp32", "float32", "f16", "half".
std::optional<DType> parse_dtype_loose(std::string_view name);

uint32_t dtype_bits(DType dtype);
// Whole bytes per element; 0 for sub-byte types.
uint32_t dtype_size(DType dtype);
bool dtype_is_float(DType dtype);

// Bytes taken by numel packed elements; fails on overflow or when the bits do
// not fill whole bytes (safetensors' MisalignedSlice).
Result<uint64_t> bytes_for(DType dtype, uint64_t numel);

// torch legacy storage class ("BFloat16Storage") and dtype name ("bfloat16").
// Empty when torch stores the dtype through UntypedStorage.
std::string_view torch_storage_class(DType dtype);
std::string_view torch_dtype_name(DType dtype);
std::optional<DType> dtype_from_torch_storage(std::string_view storage_class);
std::optional<DType> dtype_from_torch_name(std::string_view name);

}  // namespace strata
