// Strided box copies with optional cast and +constant: the only place a conversion
// touches tensor elements.
#include "strata/convert/transforms.h"

#include <cstring>
#include <set>

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

// Last element offset touched along strides (all strides are non-negative in plans).
Result<uint64_t> span_end(uint64_t offset, const std::vector<int64_t>& strides, const std::vector<uint64_t>& extent) {
    uint64_t end = offset;
    for (size_t d = 0; d < extent.size(); ++d) {
        if (extent[d] == 0) return offset;
        if (strides[d] < 0) return Status::internal("negative stride in a copy");
        end += (extent[d] - 1) * static_cast<uint64_t>(strides[d]);
    }
    return end + 1;
}

}  // namespace

bool can_convert(DType from, DType to) { return from == to || (is_castable(from) && is_castable(to)); }

Status apply_copy(std::span<const std::byte> src, DType sd, const CopyOp& op, std::span<std::byte> dst, DType dd) {
    const size_t n = op.extent.size();
    if (op.src_strides.size() != n || op.dst_strides.size() != n)
        return Status::internal("copy op strides do not match its extent");
    const uint64_t es = dtype_size(sd), ed = dtype_size(dd);
    if (es == 0 || ed == 0)
        return Status::unsupported("sub-byte dtypes cannot be sliced: " + std::string(dtype_name(sd)) + " -> " +
                                   std::string(dtype_name(dd)));
    const bool convert = sd != dd || op.add != 0.0f;
    if (convert && !can_convert(sd, dd))
        return Status::unsupported("cannot cast " + std::string(dtype_name(sd)) + " to " + std::string(dtype_name(dd)));
    STRATA_TRY(uint64_t src_end, span_end(op.src_offset, op.src_strides, op.extent));
    STRATA_TRY(uint64_t dst_end, span_end(op.dst_offset, op.dst_strides, op.extent));
    for (uint64_t e : op.extent)
        if (e == 0) return Status::ok();
    if (src_end * es > src.size() || dst_end * ed > dst.size())
        return Status::internal("copy op reaches past its tensor (source " + std::to_string(src_end * es) + " of " +
                                std::to_string(src.size()) + " bytes, output " + std::to_string(dst_end * ed) + " of " +
                                std::to_string(dst.size()) + ")");
    if (n == 0) {  // scalar
        if (!convert)
            std::memcpy(dst.data() + op.dst_offset * ed, src.data() + op.src_offset * es, es);
        else
            store(dst.data() + op.dst_offset * ed, dd, load_element(src.data() + op.src_offset * es, sd) + op.add);
        return Status::ok();
    }
    // Merge dimensions that are contiguous on both sides, so whole blocks become one run.
    std::vector<uint64_t> ext{op.extent[0]};
    std::vector<int64_t> sst{op.src_strides[0]}, dst_st{op.dst_strides[0]};
    for (size_t d = 1; d < n; ++d) {
        if (sst.back() == static_cast<int64_t>(op.extent[d]) * op.src_strides[d] &&
            dst_st.back() == static_cast<int64_t>(op.extent[d]) * op.dst_strides[d]) {
            ext.back() *= op.extent[d];
            sst.back() = op.src_strides[d];
            dst_st.back() = op.dst_strides[d];
        } else {
            ext.push_back(op.extent[d]);
            sst.push_back(op.src_strides[d]);
            dst_st.push_back(op.dst_strides[d]);
        }
    }
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

Status assemble_tensor(const Checkpoint& source, const ConversionPlan& plan, const PlannedTensor& tensor,
                       std::span<std::byte> out) {
    if (tensor.zero_fill) std::memset(out.data(), 0, out.size());
    std::set<uint32_t> touched;
    for (const CopyOp& op : tensor.ops) {
        if (op.source >= plan.sources.size()) return Status::internal("copy op names no source").in_tensor(tensor.name);
        const TensorInfo& info = source.tensors.at(plan.sources[op.source].tensor);
        std::vector<std::byte> owned;
        std::span<const std::byte> bytes;
        if (info.location.is_contiguous()) {
            auto span = source.contiguous_bytes(info);
            if (!span) return span.status();
            bytes = *span;
            touched.insert(plan.sources[op.source].tensor);
        } else {
            auto read = source.read(info);
            if (!read) return read.status();
            owned = std::move(*read);
            bytes = owned;
        }
        auto st = apply_copy(bytes, info.dtype, op, out, tensor.dtype);
        if (!st) return st.in_tensor(tensor.name);
    }
    for (uint32_t t : touched) {
        const TensorInfo& info = source.tensors[t];
        source.file_of(info).map->advise_done(info.location.offset, info.location.nbytes);
    }
    return Status::ok();
}

}  // namespace strata
