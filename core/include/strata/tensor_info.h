// TensorInfo: what Strata knows about one stored tensor without reading it:
// name, dtype, shape and where its bytes live (file, byte offset, strides), or, for a
// tensor saved in pieces (PyTorch DCP / Megatron torch_dist), the box each piece covers.
// Megatron legacy tensors also carry the rank that stores them.
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

// One piece of a tensor saved in chunks: the box [offsets, offsets + sizes) of the
// global tensor, stored row-major (or with `strides`, in elements) from byte `offset`
// of file `file`. Readers check at open that the chunks tile the tensor exactly.
struct TensorChunk {
    Shape offsets;
    Shape sizes;
    uint32_t file = 0;
    uint64_t offset = 0;
    uint64_t nbytes = 0;  // numel(sizes) * element size
    std::vector<int64_t> strides;
};

// Where a tensor's bytes are: file index into Checkpoint::files, the byte offset of
// element 0, and element strides (empty = contiguous row-major). A tensor stored in
// several chunks lists them in `chunks` (file/offset then name the first chunk's file,
// for display only); Checkpoint::read() assembles them.
struct TensorLocation {
    uint32_t file = 0;
    uint64_t offset = 0;
    uint64_t nbytes = 0;  // bytes of the logical tensor (numel * element size)
    std::vector<int64_t> strides;
    std::vector<TensorChunk> chunks;  // empty unless the tensor is stored in pieces
    bool is_contiguous() const { return strides.empty() && chunks.empty(); }
    bool is_chunked() const { return !chunks.empty(); }
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
