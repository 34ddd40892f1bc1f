// Diff heatmaps: one canonical tensor of two views (any layouts) drawn as heatmaps side by
// side, plus a heatmap of their difference, for looking at *where* a diff_views value
// difference sits (the Studio's Diff tab; a CLI could print the same cells). A and B are block
// means like tensor_heatmap's Mean; the difference is the block max |a-b|, so its largest cell
// is exactly diff_views' max_abs when the tensor is one slice.
// Usage: STRATA_TRY(auto h, diff_heatmaps(view_a, view_b, "model.norm.weight", 0, 64, 64, progress, cancel));
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "strata/mapping/canonical_view.h"
#include "strata/progress.h"
#include "strata/stats/tensor_stats.h"
#include "strata/status.h"

namespace strata {

struct DiffHeatmaps {
    std::optional<Heatmap> a;     // absent when the tensor is not in A (extra)
    std::optional<Heatmap> b;     // absent when the tensor is not in B (missing)
    std::optional<Heatmap> diff;  // present when both exist with the same shape
};

// Slice `slice` of canonical tensor `name` (matrix_view of its shape), downsampled to at most
// max_rows×max_cols cells. NotFound when neither view has the tensor.
Result<DiffHeatmaps> diff_heatmaps(const CanonicalView& a, const CanonicalView& b, std::string_view name,
                                   uint64_t slice, uint32_t max_rows, uint32_t max_cols, ProgressSink& progress,
                                   const CancelToken& cancel);

}  // namespace strata
