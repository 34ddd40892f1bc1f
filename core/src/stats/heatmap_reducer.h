// HeatmapReducer: folds the rows of a matrix into a rows×cols grid of blocks (source row r
// lands in cell row r*rows/src_rows, column c in c*cols/src_cols), reducing each block's
// finite values by mean, mean |v| or max |v|. tensor_heatmap and diff_heatmaps both draw
// through it, so a diff's heatmaps have exactly the tensor view's block geometry.
// Usage: HeatmapReducer red(matrix_view(shape), 256, 256, HeatmapReduce::Mean);
//        for (r...) red.add_row(r, row.data()); Heatmap h = red.finish();
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "strata/stats/tensor_stats.h"

namespace strata {

class HeatmapReducer {
public:
    HeatmapReducer(const MatrixView& m, uint32_t max_rows, uint32_t max_cols, HeatmapReduce reduce) : reduce_(reduce) {
        h_.source = m;
        h_.rows = static_cast<uint32_t>(std::min<uint64_t>(max_rows, m.rows));
        h_.cols = static_cast<uint32_t>(std::min<uint64_t>(max_cols, m.cols));
        acc_.assign(size_t(h_.rows) * h_.cols, 0.0);
        cnt_.assign(acc_.size(), 0);
        col_bin_.resize(m.cols);
        for (uint64_t c = 0; c < m.cols; ++c) col_bin_[c] = static_cast<uint32_t>(c * h_.cols / m.cols);
    }
    uint64_t source_rows() const { return h_.source.rows; }

    // Source row r, m.cols decoded values; non-finite values are skipped.
    void add_row(uint64_t r, const double* values) {
        const size_t base = size_t(r * h_.rows / h_.source.rows) * h_.cols;
        for (uint64_t c = 0; c < h_.source.cols; ++c) {
            const double v = values[c];
            if (!std::isfinite(v)) continue;
            const size_t i = base + col_bin_[c];
            switch (reduce_) {
                case HeatmapReduce::Mean:
                    acc_[i] += v;
                    break;
                case HeatmapReduce::MeanAbs:
                    acc_[i] += std::fabs(v);
                    break;
                case HeatmapReduce::MaxAbs:
                    acc_[i] = std::max(acc_[i], std::fabs(v));
                    break;
            }
            ++cnt_[i];
        }
    }

    // Cells with no finite value are NaN; lo/hi span the finite cells (0, 0 when none).
    Heatmap finish() {
        h_.cells.resize(acc_.size());
        h_.lo = std::numeric_limits<double>::infinity();
        h_.hi = -h_.lo;
        for (size_t i = 0; i < acc_.size(); ++i) {
            if (cnt_[i] == 0) {
                h_.cells[i] = std::numeric_limits<float>::quiet_NaN();
                continue;
            }
            const double v = reduce_ == HeatmapReduce::MaxAbs ? acc_[i] : acc_[i] / double(cnt_[i]);
            h_.cells[i] = static_cast<float>(v);
            h_.lo = std::min(h_.lo, v);
            h_.hi = std::max(h_.hi, v);
        }
        if (h_.lo > h_.hi) h_.lo = h_.hi = 0;
        return std::move(h_);
    }

private:
    HeatmapReduce reduce_;
    Heatmap h_;
    std::vector<double> acc_;
    std::vector<uint64_t> cnt_;
    std::vector<uint32_t> col_bin_;
};

}  // namespace strata
