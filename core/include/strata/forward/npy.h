// NumPy .npy files (format version 1.0) for logits: Strata writes float32 C-order
// arrays that numpy.load reads, and reads back the float32/float64 arrays that
// tests/reference/make_fixtures.py writes. Byte layout: "\x93NUMPY", major 1, minor 0,
// uint16 LE header length, an ASCII dict "{'descr': '<f4', 'fortran_order': False,
// 'shape': (T, V), }" padded with spaces and ending in '\n' so the data starts 64-aligned.
// Usage: STRATA_RETURN_IF_ERROR(write_npy_f32("logits.npy", logits, {T, V}));
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "strata/status.h"

namespace strata {

struct NpyArray {
    std::vector<uint64_t> shape;
    std::vector<float> data;  // C order
};

// The whole header (magic through the '\n'), for tests.
std::string npy_header_f32(const std::vector<uint64_t>& shape);
// Writes atomically (temporary sibling, then rename). data.size() must equal the shape's product.
Status write_npy_f32(const std::filesystem::path& path, std::span<const float> data, const std::vector<uint64_t>& shape,
                     bool overwrite = true);
// Reads a version 1.x/2.x little-endian '<f4' or '<f8' C-order array (f8 narrowed to f32).
Result<NpyArray> read_npy(const std::filesystem::path& path);

}  // namespace strata
