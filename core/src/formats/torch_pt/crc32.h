// CRC-32 (IEEE 802.3, reflected, the ZIP checksum) over a byte span. On x86-64 CPUs with
// PCLMULQDQ it folds 64 bytes per step with carry-less multiplies (Gopal et al., "Fast
// CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction", Intel 2009),
// ~10x the table version, so zipping a tensor costs less than writing it.
// Usage: uint32_t c = crc32(bytes); c = crc32(more, c);  // running CRC over pieces
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace strata::torch_pt {

uint32_t crc32(std::span<const std::byte> data, uint32_t crc = 0);
// The slicing-by-8 table version, for CPUs without PCLMULQDQ (and as the tests' reference).
uint32_t crc32_portable(std::span<const std::byte> data, uint32_t crc = 0);

}  // namespace strata::torch_pt
