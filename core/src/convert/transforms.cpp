// Conversion transforms: zeroing what no box copy writes (vocab padding rows) and assembling
// one planned tensor from its box copies (mapping/box_copy.h).
#include "strata/convert/transforms.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>

namespace strata {

namespace {

// The elements an op writes when they form one contiguous run of the output.
std::optional<ElementRange> dst_run(const CopyOp& op) {
    int64_t step = 1;
    for (size_t d = op.extent.size(); d-- > 0;) {
        if (op.extent[d] == 0) return ElementRange{op.dst_offset, op.dst_offset};
        if (op.extent[d] != 1 && op.dst_strides[d] != step) return std::nullopt;
        step *= static_cast<int64_t>(op.extent[d]);
    }
    return ElementRange{op.dst_offset, op.dst_offset + static_cast<uint64_t>(step)};
}

}  // namespace

void zero_uncovered(const PlannedTensor& tensor, std::span<std::byte> out) {
    if (!tensor.zero_fill) return;
    const uint64_t es = dtype_size(tensor.dtype);
    std::vector<ElementRange> runs;
    for (const CopyOp& op : tensor.ops) {
        auto run = dst_run(op);
        if (!run || es == 0 || op.dst_strides.size() != op.extent.size()) {
            std::memset(out.data(), 0, out.size());
            return;
        }
        runs.push_back(*run);
    }
    std::sort(runs.begin(), runs.end(), [](const ElementRange& a, const ElementRange& b) { return a.first < b.first; });
    uint64_t cursor = 0;  // bytes below this are written by some op
    auto zero_to = [&](uint64_t end) {
        end = std::min<uint64_t>(end, out.size());
        if (end > cursor) std::memset(out.data() + cursor, 0, end - cursor);
    };
    for (const ElementRange& r : runs) {
        zero_to(r.first * es);
        cursor = std::max(cursor, r.end * es);
    }
    zero_to(out.size());
}

Status assemble_tensor(const Checkpoint& source, const ConversionPlan& plan, const PlannedTensor& tensor,
                       std::span<std::byte> out) {
    zero_uncovered(tensor, out);
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
