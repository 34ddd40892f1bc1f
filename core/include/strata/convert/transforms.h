// Transforms: the element-level work of a conversion. apply_copy() runs one
// CopyOp from a source tensor's bytes into an output tensor buffer: a strided box
// copy (memcpy runs when both sides are contiguous along the last dimension),
// with a dtype cast (F32/F64/BF16/F16) and an optional +constant folded in.
// Usage: STRATA_RETURN_IF_ERROR(apply_copy(src_bytes, src_dtype, op, out_bytes, out_dtype));
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "strata/convert/conversion_plan.h"
#include "strata/dtype.h"
#include "strata/status.h"

namespace strata {

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

// Zeroes the bytes of a zero_fill tensor that none of its ops write (vocab padding rows),
// so a reused buffer needs no full clear; ops whose output box is not one contiguous run
// make it zero the whole buffer instead. Does nothing for fully covered tensors.
void zero_uncovered(const PlannedTensor& tensor, std::span<std::byte> out);

// Fills one planned tensor from the source checkpoint (zero_uncovered first), then lets
// the kernel drop the source pages it touched.
Status assemble_tensor(const Checkpoint& source, const ConversionPlan& plan, const PlannedTensor& tensor,
                       std::span<std::byte> out);

}  // namespace strata
