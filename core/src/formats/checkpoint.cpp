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
        return Status::unsupported("tensor is stored strided; use read()").in_tensor(info.name);
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

}  // namespace

Status Checkpoint::read(const TensorInfo& info, std::span<std::byte> out) const {
    if (out.size() != info.byte_size())
        return Status::internal("read buffer has " + std::to_string(out.size()) + " bytes, tensor has " +
                                std::to_string(info.byte_size()))
            .in_tensor(info.name);
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
