// Planned tensors assembled on a kernels::Backend: stage, upload, rearrange, download.
#include "strata/convert/device_assembler.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "strata/convert/transforms.h"
#include "strata/kernel_status.h"

namespace strata {
namespace {

using kernels::ScalarType;

constexpr uint64_t kAlign = 64;  // staging offsets keep every element type aligned

std::optional<ScalarType> kernel_type(DType d) {
    switch (d) {
        case DType::F32:
            return ScalarType::F32;
        case DType::F16:
            return ScalarType::F16;
        case DType::BF16:
            return ScalarType::BF16;
        default:
            return std::nullopt;
    }
}

// Plain rearrangements and casts between kernel float types run on the device; a
// +constant or an f64 side runs on the host (norm vectors: a few KB).
bool runs_on_device(const CopyOp& op, DType from, DType to) {
    if (op.add != 0.0f || merge_box(op).extent.size() > static_cast<size_t>(kernels::kMaxRank)) return false;
    return from == to || (kernel_type(from) && kernel_type(to));
}

kernels::StridedLayout strided_layout(const std::vector<uint64_t>& extent, const std::vector<int64_t>& src,
                                      const std::vector<int64_t>& dst) {
    kernels::StridedLayout l;
    l.rank = static_cast<int>(extent.size());
    for (size_t d = 0; d < extent.size(); ++d) {
        l.shape[d] = static_cast<int64_t>(extent[d]);
        l.src_stride[d] = src[d];
        l.dst_stride[d] = dst[d];
    }
    return l;
}

std::vector<int64_t> dense_strides(const std::vector<uint64_t>& extent) {
    std::vector<int64_t> s(extent.size(), 1);
    for (size_t d = extent.size(); d-- > 1;) s[d - 1] = s[d] * static_cast<int64_t>(extent[d]);
    return s;
}

uint64_t element_count(const std::vector<uint64_t>& extent) {
    uint64_t n = 1;
    for (uint64_t e : extent) n *= e;
    return n;
}

// A source tensor's bytes: the mapped span, or (non-contiguous storage) a copy in `owned`.
Result<std::span<const std::byte>> source_bytes(const Checkpoint& source, const TensorInfo& info,
                                                std::vector<std::byte>& owned) {
    if (info.location.is_contiguous()) return source.contiguous_bytes(info);
    STRATA_TRY(owned, source.read(info));
    return std::span<const std::byte>(owned);
}

Status grow(kernels::BufferPtr& buf, uint64_t bytes, bool host, kernels::Backend& be) {
    if (buf && buf->size() >= bytes) return Status::ok();
    buf.reset();  // free before allocating the larger one
    buf = host ? be.alloc_host(bytes) : be.alloc(bytes);
    if (!buf)
        return Status::io("convert --device " + std::string(be.name()) + ": cannot allocate " + std::to_string(bytes) +
                          (host ? " bytes of page-locked host memory" : " bytes of device memory"));
    return Status::ok();
}

}  // namespace

// Which byte range of which source each device op reads, packed into the staging buffer.
struct DeviceAssembler::Staged {
    struct Region {
        uint64_t first = 0;  // elements of the source tensor
        uint64_t end = 0;
        uint64_t offset = 0;  // bytes into the staging buffer
    };
    std::map<uint32_t, Region> regions;  // by plan source index
    std::vector<bool> on_device;         // per op
    std::vector<DType> from;             // per op: its source's dtype
    uint64_t total = 0;                  // staging bytes
    uint64_t scratch = 0;                // bytes of each cast scratch buffer
};

Result<DeviceAssembler::Staged> DeviceAssembler::plan_staging(const Checkpoint& source, const ConversionPlan& plan,
                                                              const PlannedTensor& tensor) {
    Staged st;
    st.on_device.assign(tensor.ops.size(), false);
    st.from.assign(tensor.ops.size(), tensor.dtype);
    for (size_t i = 0; i < tensor.ops.size(); ++i) {
        const CopyOp& op = tensor.ops[i];
        if (op.source >= plan.sources.size()) return Status::internal("copy op names no source").in_tensor(tensor.name);
        const DType from = source.tensors.at(plan.sources[op.source].tensor).dtype;
        st.from[i] = from;
        if (!runs_on_device(op, from, tensor.dtype)) continue;
        STRATA_TRY(ElementRange r, op_range(op));
        if (r.end == r.first) continue;  // empty box
        st.on_device[i] = true;
        auto [it, fresh] = st.regions.try_emplace(op.source, Staged::Region{r.first, r.end, 0});
        if (!fresh) {
            it->second.first = std::min(it->second.first, r.first);
            it->second.end = std::max(it->second.end, r.end);
        }
        if (from != tensor.dtype) st.scratch = std::max(st.scratch, element_count(op.extent) * 4);
    }
    for (auto& [src, region] : st.regions) {
        const uint64_t es = dtype_size(source.tensors.at(plan.sources[src].tensor).dtype);
        region.offset = st.total;
        st.total += ((region.end - region.first) * es + kAlign - 1) / kAlign * kAlign;
    }
    return st;
}

Result<uint64_t> DeviceAssembler::staged_bytes(const Checkpoint& source, const ConversionPlan& plan,
                                               const PlannedTensor& tensor) {
    STRATA_TRY(Staged st, plan_staging(source, plan, tensor));
    return st.total;
}

Result<std::span<const std::byte>> DeviceAssembler::Worker::assemble(const Checkpoint& source,
                                                                     const ConversionPlan& plan,
                                                                     const PlannedTensor& tensor) {
    kernels::Backend& be = owner_.be_;
    STRATA_TRY(Staged st, plan_staging(source, plan, tensor));
    const uint64_t size = tensor.byte_size();
    STRATA_RETURN_IF_ERROR(grow(staging_, st.total, true, be));
    STRATA_RETURN_IF_ERROR(grow(output_, size, true, be));
    auto* staging = static_cast<std::byte*>(staging_->data());
    auto* out = static_cast<std::byte*>(output_->data());

    // Read: the page faults on the mapped source happen here, outside the device lock.
    std::vector<std::byte> owned;
    for (const auto& [src, region] : st.regions) {
        const TensorInfo& info = source.tensors.at(plan.sources[src].tensor);
        STRATA_TRY(auto bytes, source_bytes(source, info, owned));
        const uint64_t es = dtype_size(info.dtype);
        if (region.end * es > bytes.size())
            return Status::internal("copy op reaches past its source (" + std::to_string(region.end * es) + " of " +
                                    std::to_string(bytes.size()) + " bytes of " + info.name + ")")
                .in_tensor(tensor.name);
        std::memcpy(staging + region.offset, bytes.data() + region.first * es, (region.end - region.first) * es);
    }
    zero_uncovered(tensor, std::span<std::byte>(out, size));
    {
        std::lock_guard lock(owner_.mutex_);
        STRATA_RETURN_IF_ERROR(owner_.run_on_device(st, tensor, *staging_, *output_).in_tensor(tensor.name));
    }
    // The ops the device left out write their own boxes over the downloaded bytes.
    const std::span<std::byte> result(out, size);
    for (size_t i = 0; i < tensor.ops.size(); ++i) {
        if (st.on_device[i]) continue;
        const CopyOp& op = tensor.ops[i];
        const TensorInfo& info = source.tensors.at(plan.sources[op.source].tensor);
        STRATA_TRY(auto bytes, source_bytes(source, info, owned));
        STRATA_RETURN_IF_ERROR(apply_copy(bytes, info.dtype, op, result, tensor.dtype).in_tensor(tensor.name));
    }
    for (const CopyOp& op : tensor.ops) {
        const TensorInfo& info = source.tensors.at(plan.sources[op.source].tensor);
        if (info.location.is_contiguous())
            source.file_of(info).map->advise_done(info.location.offset, info.location.nbytes);
    }
    return std::span<const std::byte>(result);
}

void DeviceAssembler::Worker::trim(uint64_t keep) {
    if (staging_ && staging_->size() > keep) staging_.reset();
    if (output_ && output_->size() > keep) output_.reset();
}

Status DeviceAssembler::run_on_device(const Staged& st, const PlannedTensor& tensor, kernels::Buffer& staging,
                                      kernels::Buffer& output) {
    const uint64_t size = tensor.byte_size();
    const std::string ctx = "convert on " + std::string(be_.name());
    STRATA_RETURN_IF_ERROR(grow(src_, st.total, false, be_));
    STRATA_RETURN_IF_ERROR(grow(dst_, size, false, be_));
    STRATA_RETURN_IF_ERROR(grow(gathered_, st.scratch, false, be_));
    STRATA_RETURN_IF_ERROR(grow(cast_, st.scratch, false, be_));
    // One transfer for all staged ranges; when the ops leave rows untouched (vocab
    // padding), the zeroed output goes up first so those rows come back zero.
    STRATA_RETURN_IF_ERROR(to_status(be_.upload(*src_, staging.data(), st.total), ctx));
    if (tensor.zero_fill) STRATA_RETURN_IF_ERROR(to_status(be_.upload(*dst_, output.data(), size), ctx));
    const DType to = tensor.dtype;
    const uint64_t ed = dtype_size(to);
    auto* dst = static_cast<std::byte*>(dst_->data());
    for (size_t i = 0; i < tensor.ops.size(); ++i) {
        if (!st.on_device[i]) continue;
        const CopyOp& op = tensor.ops[i];
        const DType from = st.from[i];
        const uint64_t es = dtype_size(from);
        const auto& region = st.regions.at(op.source);
        const std::byte* src =
            static_cast<const std::byte*>(src_->data()) + region.offset + (op.src_offset - region.first) * es;
        std::byte* target = dst + op.dst_offset * ed;
        const MergedBox box = merge_box(op);
        if (from == to) {
            STRATA_RETURN_IF_ERROR(to_status(
                be_.strided_copy(src, target, es, strided_layout(box.extent, box.src_strides, box.dst_strides)), ctx));
            continue;
        }
        // Gather the box dense, cast it, scatter it into the output.
        const std::vector<int64_t> dense = dense_strides(box.extent);
        STRATA_RETURN_IF_ERROR(to_status(
            be_.strided_copy(src, gathered_->data(), es, strided_layout(box.extent, box.src_strides, dense)), ctx));
        STRATA_RETURN_IF_ERROR(to_status(be_.cast(gathered_->data(), *kernel_type(from), cast_->data(),
                                                  *kernel_type(to), element_count(box.extent)),
                                         ctx));
        STRATA_RETURN_IF_ERROR(to_status(
            be_.strided_copy(cast_->data(), target, ed, strided_layout(box.extent, dense, box.dst_strides)), ctx));
    }
    return to_status(be_.download(*dst_, output.data(), size), ctx);
}

}  // namespace strata
