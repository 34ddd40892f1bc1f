#include "strata/stats/tensor_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "stats/heatmap_reducer.h"
#include "strata/element_codec.h"

namespace strata {

namespace {

constexpr uint64_t kChunk = 1 << 16;  // elements decoded per step (and per cancel check)

// The tensor's bytes: in place when contiguous, else gathered once into `owned`.
struct ElementSource {
    std::span<const std::byte> bytes;
    std::vector<std::byte> owned;
};

Result<ElementSource> open_source(const Checkpoint& ckpt, const TensorInfo& info) {
    if (!dtype_is_decodable(info.dtype))
        return Status::unsupported("cannot decode dtype " + std::string(dtype_name(info.dtype))).in_tensor(info.name);
    ElementSource src;
    if (info.location.is_contiguous()) {
        STRATA_TRY(src.bytes, ckpt.contiguous_bytes(info));
    } else {
        STRATA_TRY(src.owned, ckpt.read(info));
        src.bytes = src.owned;
    }
    return src;
}

}  // namespace

bool dtype_is_decodable(DType dtype) {
    switch (dtype) {
        case DType::Bool: case DType::U8: case DType::I8: case DType::I16: case DType::U16: case DType::I32:
        case DType::U32: case DType::I64: case DType::U64: case DType::F16: case DType::BF16: case DType::F32:
        case DType::F64: case DType::F8_E4M3: case DType::F8_E5M2:
            return true;
        default: return false;
    }
}

MatrixView matrix_view(const Shape& shape) {
    MatrixView m;
    if (shape.empty()) return m;
    if (shape.size() == 1) {
        m.cols = shape[0];
        return m;
    }
    m.rows = shape[shape.size() - 2];
    m.cols = shape.back();
    for (size_t i = 0; i + 2 < shape.size(); ++i) m.slices *= shape[i];
    return m;
}

Result<TensorStats> tensor_stats(const Checkpoint& ckpt, const TensorInfo& info, int bins, ProgressSink& progress,
                                 const CancelToken& cancel) {
    STRATA_TRY(auto src, open_source(ckpt, info));
    TensorStats s;
    s.count = info.element_count();
    progress.begin("statistics", 2 * s.count);
    std::vector<double> buf(kChunk);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    // Welford's update per element keeps the variance stable on large tensors.
    double mean = 0, m2 = 0;
    uint64_t finite = 0;
    for (uint64_t first = 0; first < s.count; first += kChunk) {
        STRATA_RETURN_IF_ERROR(cancel.check());
        const uint64_t n = std::min(kChunk, s.count - first);
        decode_elements(info.dtype, src.bytes.data(), first, n, buf.data());
        for (uint64_t i = 0; i < n; ++i) {
            const double v = buf[i];
            if (std::isnan(v)) { ++s.nan_count; continue; }
            if (std::isinf(v)) { ++s.inf_count; continue; }
            if (v == 0) ++s.zero_count;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
            ++finite;
            const double d = v - mean;
            mean += d / double(finite);
            m2 += d * (v - mean);
        }
        progress.advance(n);
    }
    if (finite > 0) {
        s.min = lo;
        s.max = hi;
        s.mean = mean;
        s.std = std::sqrt(m2 / double(finite));
    }
    s.histogram.assign(static_cast<size_t>(std::max(bins, 1)), 0);
    s.hist_lo = s.min;
    s.hist_hi = s.max > s.min ? s.max : s.min + 1.0;
    const double scale = double(s.histogram.size()) / (s.hist_hi - s.hist_lo);
    for (uint64_t first = 0; finite > 0 && first < s.count; first += kChunk) {
        STRATA_RETURN_IF_ERROR(cancel.check());
        const uint64_t n = std::min(kChunk, s.count - first);
        decode_elements(info.dtype, src.bytes.data(), first, n, buf.data());
        for (uint64_t i = 0; i < n; ++i) {
            const double v = buf[i];
            if (!std::isfinite(v)) continue;
            auto b = static_cast<size_t>((v - s.hist_lo) * scale);
            s.histogram[std::min(b, s.histogram.size() - 1)]++;
        }
        progress.advance(n);
    }
    return s;
}

Result<std::vector<double>> tensor_values(const Checkpoint& ckpt, const TensorInfo& info, uint64_t first,
                                          uint64_t count) {
    const uint64_t n = info.element_count();
    if (first > n || count > n - first)
        return Status::invalid_argument("element range [" + std::to_string(first) + ", +" + std::to_string(count) +
                                        ") is outside the tensor (" + std::to_string(n) + " elements)")
            .in_tensor(info.name);
    STRATA_TRY(auto src, open_source(ckpt, info));
    std::vector<double> out(count);
    decode_elements(info.dtype, src.bytes.data(), first, count, out.data());
    return out;
}

Result<ValueBlock> tensor_block(const Checkpoint& ckpt, const TensorInfo& info, uint64_t slice, uint64_t row0,
                                uint64_t col0, uint64_t rows, uint64_t cols) {
    const MatrixView m = matrix_view(info.shape);
    if (slice >= m.slices) return Status::invalid_argument("slice index out of range").in_tensor(info.name);
    STRATA_TRY(auto src, open_source(ckpt, info));
    ValueBlock b;
    b.row0 = std::min(row0, m.rows);
    b.col0 = std::min(col0, m.cols);
    b.rows = std::min(rows, m.rows - b.row0);
    b.cols = std::min(cols, m.cols - b.col0);
    b.values.resize(b.rows * b.cols);
    for (uint64_t r = 0; r < b.rows; ++r) {
        const uint64_t first = (slice * m.rows + b.row0 + r) * m.cols + b.col0;
        decode_elements(info.dtype, src.bytes.data(), first, b.cols, b.values.data() + r * b.cols);
    }
    return b;
}

Result<Heatmap> tensor_heatmap(const Checkpoint& ckpt, const TensorInfo& info, uint64_t slice, uint32_t max_rows,
                               uint32_t max_cols, HeatmapReduce reduce, ProgressSink& progress,
                               const CancelToken& cancel) {
    const MatrixView m = matrix_view(info.shape);
    if (slice >= m.slices) return Status::invalid_argument("slice index out of range").in_tensor(info.name);
    if (max_rows == 0 || max_cols == 0) return Status::invalid_argument("heatmap size must be positive");
    STRATA_TRY(auto src, open_source(ckpt, info));
    HeatmapReducer reducer(m, max_rows, max_cols, reduce);
    std::vector<double> row(m.cols);
    progress.begin("heatmap", m.rows);
    for (uint64_t r = 0; r < m.rows; ++r) {
        if ((r & 63) == 0) STRATA_RETURN_IF_ERROR(cancel.check());
        decode_elements(info.dtype, src.bytes.data(), (slice * m.rows + r) * m.cols, m.cols, row.data());
        reducer.add_row(r, row.data());
        progress.advance(1);
    }
    return reducer.finish();
}

}  // namespace strata
