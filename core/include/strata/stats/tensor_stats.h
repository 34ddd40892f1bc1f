// Tensor statistics for inspectors (the Studio's tensor view; a CLI can print the
// same): min/max/mean/std over finite values, NaN/Inf/zero counts and a histogram
// of one stored tensor; a 2-D heatmap downsampled to a requested size; and blocks
// of values decoded to double. Reads the mapped bytes in chunks and checks the
// cancel token per chunk, so multi-GB tensors stay interruptible.
// Usage: STRATA_TRY(auto s, tensor_stats(ckpt, *ckpt.find("w"), 64, progress, cancel));
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

// Whether tensor_stats / tensor_values can decode this dtype (floats incl. FP8, ints, bool).
bool dtype_is_decodable(DType dtype);

struct TensorStats {
    uint64_t count = 0;  // elements
    uint64_t nan_count = 0;
    uint64_t inf_count = 0;
    uint64_t zero_count = 0;
    double min = 0, max = 0, mean = 0, std = 0;  // over finite values (0 when none)
    // Histogram of finite values: histogram.size() bins of equal width over [hist_lo, hist_hi].
    double hist_lo = 0, hist_hi = 0;
    std::vector<uint64_t> histogram;
};

// Two passes over the tensor (moments, then histogram); progress counts elements of both.
Result<TensorStats> tensor_stats(const Checkpoint& ckpt, const TensorInfo& info, int bins,
                                 ProgressSink& progress, const CancelToken& cancel);

// A tensor seen as a stack of matrices: 1-D is 1×n, 2-D as is, N-D is
// prod(leading dims) slices of [shape[-2], shape[-1]]; a scalar is 1×1.
struct MatrixView {
    uint64_t slices = 1, rows = 1, cols = 1;
};
MatrixView matrix_view(const Shape& shape);

// Decodes `count` elements starting at row-major element `first`.
Result<std::vector<double>> tensor_values(const Checkpoint& ckpt, const TensorInfo& info, uint64_t first,
                                          uint64_t count);
// rows×cols block of slice `slice` starting at (row0, col0), clipped to the matrix; row-major.
struct ValueBlock {
    uint64_t row0 = 0, col0 = 0, rows = 0, cols = 0;
    std::vector<double> values;
};
Result<ValueBlock> tensor_block(const Checkpoint& ckpt, const TensorInfo& info, uint64_t slice, uint64_t row0,
                                uint64_t col0, uint64_t rows, uint64_t cols);

enum class HeatmapReduce { Mean, MeanAbs, MaxAbs };
struct Heatmap {
    MatrixView source;
    uint32_t rows = 0, cols = 0;  // output cells; each covers a block of source rows×cols
    std::vector<float> cells;     // rows*cols, row-major; NaN where a block holds no finite value
    double lo = 0, hi = 0;        // range of the finite cells
};
// Downsamples slice `slice` to at most max_rows×max_cols cells (never upsamples).
Result<Heatmap> tensor_heatmap(const Checkpoint& ckpt, const TensorInfo& info, uint64_t slice, uint32_t max_rows,
                               uint32_t max_cols, HeatmapReduce reduce, ProgressSink& progress,
                               const CancelToken& cancel);

}  // namespace strata
