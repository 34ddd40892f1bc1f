// Layer labels: which cells of a row of equal-width layer cells get their layer number
// drawn under them (the Diff tab's per-layer overview, the Pattern tab's HF row). Every
// layer when each number fits its cell; when crowded, every k-th layer with k the smallest
// of 1, 2, 5, 10, 20, 50, ... that leaves each label its width, so labels never overlap.
// Pure arithmetic on pixel widths, so the choice is testable without painting.
// Usage: for (int i : labelled_layers(n, cell_w, fm.horizontalAdvance(QString::number(n - 1)) + kGap)) ...
#pragma once

#include <vector>

namespace strata::studio {

// The spacing in layers between labels of `label_width` px (the widest number plus the
// gap wanted between numbers) under cells `cell_width` px wide. 1 when they fit; 0 for no
// labels when count <= 0 or a width is not positive.
int layer_label_step(int count, double cell_width, int label_width);

// The labelled layers, ascending: multiples of the step. A label is drawn left-aligned at
// its cell's left edge, so a multiple whose label would run past the end of the row
// (count * cell_width) is left out rather than clipped.
std::vector<int> labelled_layers(int count, double cell_width, int label_width);

}  // namespace strata::studio
