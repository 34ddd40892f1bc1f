// Box copies: the element-level primitive every layout change reduces to. A CopyOp is one
// strided box from a source tensor's bytes into an output tensor buffer; apply_copy() runs it
// (memcpy runs when both sides are contiguous along the last dimension) with a dtype cast
// (F32/F64/BF16/F16) and an optional +constant folded in. CanonicalView reads through it and
// the conversion plan (convert/) is made of them.
// Usage: STRATA_RETURN_IF_ERROR(apply_copy(src_bytes, src_dtype, op, out_bytes, out_dtype));
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "strata/dtype.h"
#include "strata/mapping/layout.h"  // Box
#include "strata/status.h"

namespace strata {

// One strided box copy: extent[k] elements along canonical dimension k, stepping
// src_strides[k] in the source tensor and dst_strides[k] in the output tensor.
struct CopyOp {
    uint32_t source = 0;  // index into ConversionPlan::sources
    uint64_t src_offset = 0;
    std::vector<int64_t> src_strides;
    uint64_t dst_offset = 0;
    std::vector<int64_t> dst_strides;
    std::vector<uint64_t> extent;
    float add = 0.0f;        // output = source + add (zero-centred norms)
    uint32_t canonical = 0;  // the canonical tensor the box belongs to (for printing)
    Box box;                 // the box in that canonical tensor
};

// True when cast/add between these dtypes is supported (same dtype always is).
bool can_convert(DType from, DType to);

// A CopyOp's box with the dimensions that are contiguous on both sides merged, so a
// whole block becomes one run. The host copy and the device assembler both walk this.
struct MergedBox {
    std::vector<uint64_t> extent;
    std::vector<int64_t> src_strides;
    std::vector<int64_t> dst_strides;
};
MergedBox merge_box(const CopyOp& op);

// Elements [first, end) of the source (or, with `dst`, the output) tensor an op touches;
// Internal on malformed ops (mismatched ranks, negative strides). Empty boxes give end == first.
struct ElementRange {
    uint64_t first = 0;
    uint64_t end = 0;
};
Result<ElementRange> op_range(const CopyOp& op, bool dst = false);

// Copies op's box from `src` (the whole source tensor) into `dst` (the whole output
// tensor). Bounds are checked against both spans: a bad op is an Internal error.
Status apply_copy(std::span<const std::byte> src, DType src_dtype, const CopyOp& op, std::span<std::byte> dst,
                  DType dst_dtype);

}  // namespace strata
