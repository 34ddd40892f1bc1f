#include "strata/formats/checkpoint.h"

#include "strata/io/sigbus_guard.h"

#include <cstring>

namespace strata {

Status Checkpoint::finalize() {
    index_.clear();
    for (size_t i = 0; i < tensors.size(); ++i) {
        auto& slots = index_[tensors[i].name];
        for (size_t j : slots)
            if (tensors[j].rank == tensors[i].rank)
                return Status::corrupt("duplicate tensor name").in_tensor(tensors[i].name).in_file(
                    file_of(tensors[i]).display_name);
        slots.push_back(i);
    }
    return Status::ok();
}

const TensorInfo* Checkpoint::find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    if (it == index_.end() || it->second.empty()) return nullptr;
    return &tensors[it->second.front()];
}

const TensorInfo* Checkpoint::find(std::string_view name, const RankCoord& rank) const {
    auto it = index_.find(std::string(name));
    if (it == index_.end()) return nullptr;
    for (size_t i : it->second)
        if (tensors[i].rank == rank) return &tensors[i];
    return nullptr;
}

uint64_t Checkpoint::total_bytes() const {
    uint64_t n = 0;
    for (const auto& t : tensors) n += t.byte_size();
    return n;
}

uint64_t Checkpoint::total_parameters() const {
    uint64_t n = 0;
    for (const auto& t : tensors) n += t.element_count();
    return n;
}

Result<std::span<const std::byte>> Checkpoint::contiguous_bytes(const TensorInfo& info) const {
    if (!info.location.is_contiguous())
        return Status::unsupported(info.location.is_chunked() ? "tensor is stored in chunks; use read()"
                                                               : "tensor is stored strided; use read()")
            .in_tensor(info.name);
    const auto& f = file_of(info);
    auto span = f.map->span(info.location.offset, info.location.nbytes);
    if (!span) return span.status().in_tensor(info.name);
    return span;
}

namespace {

// Copies a strided tensor element by element, innermost dimension first.
Status gather_strided(const Checkpoint& ckpt, const TensorInfo& info, std::span<std::byte> out) {
    const uint32_t elem = dtype_size(info.dtype);
    if (elem == 0) return Status::unsupported("strided sub-byte tensors are not supported").in_tensor(info.name);
    const size_t rank = info.shape.size();
    if (info.location.strides.size() != rank)
        return Status::corrupt("stride count does not match shape").in_tensor(info.name);
    const auto& map = *ckpt.file_of(info).map;
    const uint64_t n = info.element_count();
    std::vector<uint64_t> idx(rank, 0);
    for (uint64_t i = 0; i < n; ++i) {
        int64_t off = 0;
        for (size_t d = 0; d < rank; ++d) off += static_cast<int64_t>(idx[d]) * info.location.strides[d];
        const uint64_t src = info.location.offset + static_cast<uint64_t>(off) * elem;
        auto span = map.span(src, elem);
        if (!span) return span.status().in_tensor(info.name);
        std::memcpy(out.data() + i * elem, span->data(), elem);
        for (size_t d = rank; d-- > 0;) {
            if (++idx[d] < info.shape[d]) break;
            idx[d] = 0;
        }
    }
    return Status::ok();
}

// Row-major element strides of a shape.
std::vector<uint64_t> row_major_strides(const Shape& shape) {
    std::vector<uint64_t> strides(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
    return strides;
}

// Reads each chunk (contiguous or strided) and copies its box into the row-major tensor,
// one innermost row at a time. Readers check the tiling at open; the bounds are checked
// again here because a wrong box would write outside `out`.
Status assemble_chunks(const Checkpoint& ckpt, const TensorInfo& info, std::span<std::byte> out) {
    const uint64_t elem = dtype_size(info.dtype);
    if (elem == 0) return Status::unsupported("chunked sub-byte tensors are not supported").in_tensor(info.name);
    const size_t rank = info.shape.size();
    const auto global_strides = row_major_strides(info.shape);
    std::vector<std::byte> staging;
    for (const TensorChunk& c : info.location.chunks) {
        bool fits = c.offsets.size() == rank && c.sizes.size() == rank;
        for (size_t d = 0; fits && d < rank; ++d) fits = c.offsets[d] <= info.shape[d] && c.sizes[d] <= info.shape[d] - c.offsets[d];
        auto count = numel(c.sizes);
        if (!fits || !count || *count * elem != c.nbytes)
            return Status::internal("chunk at " + shape_to_string(c.offsets) + " of size " + shape_to_string(c.sizes) +
                                    " does not fit the tensor's shape " + shape_to_string(info.shape))
                .in_tensor(info.name);
        if (*count == 0) continue;
        TensorInfo piece;
        piece.name = info.name;
        piece.dtype = info.dtype;
        piece.shape = c.sizes;
        piece.location = {c.file, c.offset, c.nbytes, c.strides, {}};
        // A row-major chunk is copied straight from the mapping (its pages handed back after),
        // a strided one gathered into staging first.
        std::span<const std::byte> src;
        const bool in_place = piece.location.is_contiguous();
        if (in_place) {
            STRATA_TRY(src, ckpt.contiguous_bytes(piece));
        } else {
            staging.resize(c.nbytes);
            STRATA_RETURN_IF_ERROR(ckpt.read(piece, staging));
            src = staging;
        }
        const uint64_t row = (rank == 0 ? 1 : c.sizes[rank - 1]) * elem;
        const uint64_t rows = c.nbytes / row;
        auto copy_rows = [&] {
            std::vector<uint64_t> idx(rank, 0);
            for (uint64_t r = 0; r < rows; ++r) {
                uint64_t dst = rank == 0 ? 0 : c.offsets[rank - 1];
                for (size_t d = 0; d + 1 < rank; ++d) dst += (c.offsets[d] + idx[d]) * global_strides[d];
                std::memcpy(out.data() + dst * elem, src.data() + r * row, row);
                for (size_t d = rank > 0 ? rank - 1 : 0; d-- > 0;) {
                    if (++idx[d] < c.sizes[d]) break;
                    idx[d] = 0;
                }
            }
        };
        if (!in_place) {
            copy_rows();
            continue;
        }
        const auto& map = *ckpt.files.at(c.file).map;
        if (!catching_sigbus(copy_rows)) {  // a source truncated by another process
            Status changed = map.check_unchanged();
            if (changed) changed = Status::io("source file changed while it was being read (SIGBUS on its mapping)");
            return changed.in_tensor(info.name).in_file(map.path().string());
        }
        // Chunked tensors are read whole, often once: keep resident memory near one tensor.
        map.advise_done(c.offset, c.nbytes);
    }
    return Status::ok();
}

}  // namespace

Status Checkpoint::read(const TensorInfo& info, std::span<std::byte> out) const {
    if (out.size() != info.byte_size())
        return Status::internal("read buffer has " + std::to_string(out.size()) + " bytes, tensor has " +
                                std::to_string(info.byte_size()))
            .in_tensor(info.name);
    if (info.location.is_chunked()) return assemble_chunks(*this, info, out);
    if (!info.location.is_contiguous()) return gather_strided(*this, info, out);
    STRATA_TRY(auto bytes, contiguous_bytes(info));
    // A source truncated by another process raises SIGBUS on the mapping: report it as changed.
    if (!bytes.empty() && !catching_sigbus([&] { std::memcpy(out.data(), bytes.data(), bytes.size()); })) {
        const auto& map = *file_of(info).map;
        Status changed = map.check_unchanged();
        if (changed) changed = Status::io("source file changed while it was being read (SIGBUS on its mapping)");
        return changed.in_tensor(info.name).in_file(map.path().string());
    }
    return Status::ok();
}

Result<std::vector<std::byte>> Checkpoint::read(const TensorInfo& info) const {
    std::vector<std::byte> buf(info.byte_size());
    STRATA_RETURN_IF_ERROR(read(info, buf));
    return buf;
}

}  // namespace strata
