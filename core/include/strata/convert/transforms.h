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
#include "strata/mapping/box_copy.h"  // apply_copy, merge_box, op_range
#include "strata/status.h"

namespace strata {

// Zeroes the bytes of a zero_fill tensor that none of its ops write (vocab padding rows),
// so a reused buffer needs no full clear; ops whose output box is not one contiguous run
// make it zero the whole buffer instead. Does nothing for fully covered tensors.
void zero_uncovered(const PlannedTensor& tensor, std::span<std::byte> out);

// Fills one planned tensor from the source checkpoint (zero_uncovered first), then lets
// the kernel drop the source pages it touched.
Status assemble_tensor(const Checkpoint& source, const ConversionPlan& plan, const PlannedTensor& tensor,
                       std::span<std::byte> out);

}  // namespace strata
