#include "strata/diff/diff_heatmap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "stats/heatmap_reducer.h"
#include "strata/element_codec.h"

namespace strata {

namespace {

// One side's canonical bytes, checked to be decodable and to hold `slice`.
struct Side {
    const TensorEntry* entry = nullptr;
    std::vector<std::byte> bytes;
};

Result<Side> read_side(const CanonicalView& view, std::string_view name, uint64_t slice) {
    Side s;
    s.entry = view.find(name);
    if (!s.entry) return s;
    if (!dtype_is_decodable(s.entry->dtype))
        return Status::unsupported("cannot decode dtype " + std::string(dtype_name(s.entry->dtype)))
            .in_tensor(std::string(name));
    if (slice >= matrix_view(s.entry->shape).slices)
        return Status::invalid_argument("slice index out of range").in_tensor(std::string(name));
    STRATA_TRY(s.bytes, view.read_canonical(name));
    return s;
}

}  // namespace

Result<DiffHeatmaps> diff_heatmaps(const CanonicalView& a, const CanonicalView& b, std::string_view name,
                                   uint64_t slice, uint32_t max_rows, uint32_t max_cols, ProgressSink& progress,
                                   const CancelToken& cancel) {
    if (max_rows == 0 || max_cols == 0) return Status::invalid_argument("heatmap size must be positive");
    STRATA_TRY(Side sa, read_side(a, name, slice));
    STRATA_TRY(Side sb, read_side(b, name, slice));
    if (!sa.entry && !sb.entry) return Status::not_found("no canonical tensor in A or B").in_tensor(std::string(name));
    const bool both = sa.entry && sb.entry && sa.entry->shape == sb.entry->shape;
    const MatrixView m = matrix_view((sa.entry ? sa.entry : sb.entry)->shape);
    std::optional<HeatmapReducer> ra, rb, rd;
    if (sa.entry) ra.emplace(matrix_view(sa.entry->shape), max_rows, max_cols, HeatmapReduce::Mean);
    if (sb.entry) rb.emplace(matrix_view(sb.entry->shape), max_rows, max_cols, HeatmapReduce::Mean);
    if (both) rd.emplace(m, max_rows, max_cols, HeatmapReduce::MaxAbs);
    std::vector<double> row_a, row_b;
    auto decode_row = [slice](const Side& s, uint64_t r, std::vector<double>& out) {
        const MatrixView sm = matrix_view(s.entry->shape);
        out.resize(sm.cols);
        decode_elements(s.entry->dtype, s.bytes.data(), (slice * sm.rows + r) * sm.cols, sm.cols, out.data());
    };
    const uint64_t rows =
        std::max(sa.entry ? matrix_view(sa.entry->shape).rows : 0, sb.entry ? matrix_view(sb.entry->shape).rows : 0);
    progress.begin("diff heatmap", rows);
    for (uint64_t r = 0; r < rows; ++r) {
        if ((r & 63) == 0) STRATA_RETURN_IF_ERROR(cancel.check());
        const bool in_a = ra && r < ra->source_rows(), in_b = rb && r < rb->source_rows();
        if (in_a) {
            decode_row(sa, r, row_a);
            ra->add_row(r, row_a.data());
        }
        if (in_b) {
            decode_row(sb, r, row_b);
            rb->add_row(r, row_b.data());
        }
        if (rd) {
            // |a-b| in place of a's row; a non-finite side stays NaN (skipped, like diff_views' max_abs).
            for (uint64_t c = 0; c < m.cols; ++c) row_a[c] = std::fabs(row_a[c] - row_b[c]);
            rd->add_row(r, row_a.data());
        }
        progress.advance(1);
    }
    DiffHeatmaps out;
    if (ra) out.a = ra->finish();
    if (rb) out.b = rb->finish();
    if (rd) out.diff = rd->finish();
    return out;
}

}  // namespace strata
