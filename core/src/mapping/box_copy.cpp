// Strided box copies with optional cast and +constant: the only place a conversion
// touches tensor elements.
#include "strata/mapping/box_copy.h"

#include <algorithm>
#include <cstring>

#include "strata/element_codec.h"
#include "strata/kernels/scalar_types.h"

namespace strata {
namespace {

bool is_castable(DType d) { return d == DType::F32 || d == DType::F64 || d == DType::BF16 || d == DType::F16; }

void store(std::byte* p, DType d, double v) {
    switch (d) {
        case DType::F32: {
            const auto f = static_cast<float>(v);
            std::memcpy(p, &f, 4);
            break;
        }
        case DType::F64:
            std::memcpy(p, &v, 8);
            break;
        case DType::BF16: {
            const uint16_t b = kernels::float_to_bf16(static_cast<float>(v));
            std::memcpy(p, &b, 2);
            break;
        }
        case DType::F16: {
            const uint16_t h = kernels::float_to_f16(static_cast<float>(v));
            std::memcpy(p, &h, 2);
            break;
        }
        default:
            break;
    }
}

}  // namespace

bool can_convert(DType from, DType to) { return from == to || (is_castable(from) && is_castable(to)); }

MergedBox merge_box(const CopyOp& op) {
    MergedBox m;
    if (op.extent.empty()) return m;
    m.extent = {op.extent[0]};
    m.src_strides = {op.src_strides[0]};
    m.dst_strides = {op.dst_strides[0]};
    for (size_t d = 1; d < op.extent.size(); ++d) {
        const auto e = static_cast<int64_t>(op.extent[d]);
        if (m.src_strides.back() == e * op.src_strides[d] && m.dst_strides.back() == e * op.dst_strides[d]) {
            m.extent.back() *= op.extent[d];
            m.src_strides.back() = op.src_strides[d];
            m.dst_strides.back() = op.dst_strides[d];
        } else {
            m.extent.push_back(op.extent[d]);
            m.src_strides.push_back(op.src_strides[d]);
            m.dst_strides.push_back(op.dst_strides[d]);
        }
    }
    return m;
}

Result<ElementRange> op_range(const CopyOp& op, bool dst) {
    const auto& strides = dst ? op.dst_strides : op.src_strides;
    const uint64_t first = dst ? op.dst_offset : op.src_offset;
    if (strides.size() != op.extent.size()) return Status::internal("copy op strides do not match its extent");
    uint64_t last = first;
    for (size_t d = 0; d < op.extent.size(); ++d) {
        if (op.extent[d] == 0) return ElementRange{first, first};
        if (strides[d] < 0) return Status::internal("negative stride in a copy");
        last += (op.extent[d] - 1) * static_cast<uint64_t>(strides[d]);
    }
    return ElementRange{first, last + 1};
}

Status apply_copy(std::span<const std::byte> src, DType sd, const CopyOp& op, std::span<std::byte> dst, DType dd) {
    const size_t n = op.extent.size();
    const uint64_t es = dtype_size(sd), ed = dtype_size(dd);
    if (es == 0 || ed == 0)
        return Status::unsupported("sub-byte dtypes cannot be sliced: " + std::string(dtype_name(sd)) + " -> " +
                                   std::string(dtype_name(dd)));
    const bool convert = sd != dd || op.add != 0.0f;
    if (convert && !can_convert(sd, dd))
        return Status::unsupported("cannot cast " + std::string(dtype_name(sd)) + " to " + std::string(dtype_name(dd)));
    STRATA_TRY(ElementRange sr, op_range(op));
    STRATA_TRY(ElementRange dr, op_range(op, true));
    if (sr.end == sr.first) return Status::ok();
    if (sr.end * es > src.size() || dr.end * ed > dst.size())
        return Status::internal("copy op reaches past its tensor (source " + std::to_string(sr.end * es) + " of " +
                                std::to_string(src.size()) + " bytes, output " + std::to_string(dr.end * ed) + " of " +
                                std::to_string(dst.size()) + ")");
    if (n == 0) {  // scalar
        if (!convert)
            std::memcpy(dst.data() + op.dst_offset * ed, src.data() + op.src_offset * es, es);
        else
            store(dst.data() + op.dst_offset * ed, dd, load_element(src.data() + op.src_offset * es, sd) + op.add);
        return Status::ok();
    }
    const MergedBox box = merge_box(op);
    const std::vector<uint64_t>& ext = box.extent;
    const std::vector<int64_t>&sst = box.src_strides, &dst_st = box.dst_strides;
    const size_t m = ext.size();
    const uint64_t inner = ext[m - 1];
    const int64_t ss = sst[m - 1], ds = dst_st[m - 1];
    const bool runs = !convert && ss == 1 && ds == 1;
    std::vector<uint64_t> idx(m - 1, 0);
    while (true) {
        uint64_t so = op.src_offset, doff = op.dst_offset;
        for (size_t d = 0; d + 1 < m; ++d) {
            so += idx[d] * static_cast<uint64_t>(sst[d]);
            doff += idx[d] * static_cast<uint64_t>(dst_st[d]);
        }
        const std::byte* s = src.data() + so * es;
        std::byte* t = dst.data() + doff * ed;
        if (runs) {
            std::memcpy(t, s, inner * es);
        } else if (!convert) {
            const uint64_t sstep = static_cast<uint64_t>(ss) * es, dstep = static_cast<uint64_t>(ds) * ed;
            switch (es) {
                case 2:
                    for (uint64_t i = 0; i < inner; ++i) std::memcpy(t + i * dstep, s + i * sstep, 2);
                    break;
                case 4:
                    for (uint64_t i = 0; i < inner; ++i) std::memcpy(t + i * dstep, s + i * sstep, 4);
                    break;
                default:
                    for (uint64_t i = 0; i < inner; ++i) std::memcpy(t + i * dstep, s + i * sstep, es);
            }
        } else {
            for (uint64_t i = 0; i < inner; ++i)
                store(t + i * static_cast<uint64_t>(ds) * ed, dd,
                      load_element(s + i * static_cast<uint64_t>(ss) * es, sd) + static_cast<double>(op.add));
        }
        size_t d = m - 1;
        while (d > 0) {
            if (++idx[d - 1] < ext[d - 1]) break;
            idx[d - 1] = 0;
            --d;
        }
        if (d == 0) break;
    }
    return Status::ok();
}

}  // namespace strata
