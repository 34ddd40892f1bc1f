// TensorInfo: what Strata knows about one stored tensor without reading it:
// name, dtype, shape and where its bytes live (file, byte offset, strides).
// Megatron tensors also carry the rank that stores them.
// Usage: uint64_t n = *numel(info.shape); std::string s = shape_to_string(info.shape);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/dtype.h"
#include "strata/status.h"

namespace strata {

using Shape = std::vector<uint64_t>;

// Product of dims, overflow-checked. An empty shape is a scalar (1 element).
Result<uint64_t> numel(const Shape& shape);
// "[2048, 768]"
std::string shape_to_string(const Shape& shape);

// Where a tensor's bytes are: file index into Checkpoint::files, the byte offset of
// element 0, and element strides (empty = contiguous row-major).
struct TensorLocation {
    uint32_t file = 0;
    uint64_t offset = 0;
    uint64_t nbytes = 0;  // bytes of the logical tensor (numel * element size)
    std::vector<int64_t> strides;
    bool is_contiguous() const { return strides.empty(); }
};

// The Megatron rank that stores a tensor; all zero for unsharded formats.
struct RankCoord {
    int tp = 0;
    int pp = 0;
    int ep = 0;
    bool operator==(const RankCoord&) const = default;
};

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    Shape shape;
    TensorLocation location;
    RankCoord rank;

    uint64_t element_count() const;  // numel; shapes are validated at open, so no overflow here
    uint64_t byte_size() const { return location.nbytes; }
};

}  // namespace strata
