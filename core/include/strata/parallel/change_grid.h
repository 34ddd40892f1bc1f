// ChangeGrid: two checkpoints stored in the same layout (before and after a training step,
// two seeds) compared rank file × layer: every stored tensor of A is read against the
// same-named tensor of B in the same rank file, and each ShardGrid cell (shard_grid.h) sums
// the squared differences, so a cell's relative L2 = ||A - B|| / ||A|| over its tensors.
// Usage: STRATA_TRY(auto g, change_grid(view_a, view_b, progress, cancel)); g.cells[r][c].relative_l2();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/mapping/canonical_view.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

struct ChangeCell {
    uint64_t elements = 0;
    uint64_t changed = 0;        // elements whose values differ (NaN against a number counts)
    double diff_squared = 0.0;   // sum of (a - b)^2 over the float elements
    double a_squared = 0.0;      // sum of a^2
    double relative_l2() const;  // sqrt(diff_squared / a_squared); changed > 0 over a zero A gives 1
    double changed_fraction() const { return elements ? double(changed) / double(elements) : 0.0; }
};

struct ChangeGrid {
    std::vector<std::string> rows;               // rank file labels (rank_file_label), in file order
    std::vector<std::string> columns;            // "embed", "0", ..., "head", as ShardGrid
    std::vector<std::vector<ChangeCell>> cells;  // [rank file][column]
    double max_relative_l2 = 0.0;
    uint64_t changed_tensors = 0;
    uint64_t tensors = 0;
};

// Fails with both layouts named when A and B are not stored alike (other plan, other
// tensors or shapes): their rank files would not line up; the transfer matrix compares those.
Result<ChangeGrid> change_grid(const CanonicalView& a, const CanonicalView& b, ProgressSink& progress,
                               const CancelToken& cancel);

std::string change_grid_text(const ChangeGrid& grid);
nlohmann::json change_grid_json(const ChangeGrid& grid);

}  // namespace strata
