// The zip layout of one torch.save archive (see pt_archive.h). The small records' CRCs are
// known when planned; a tensor's is computed when it is written and kept for the central
// directory.
#include "formats/torch_pt/pt_archive.h"

#include <algorithm>

#include "formats/torch_pt/crc32.h"
#include "formats/torch_pt/pickle.h"
#include "formats/torch_pt/zip.h"

namespace strata::torch_pt {

PtArchive::PtArchive(PtArchive&& other) noexcept = default;
PtArchive& PtArchive::operator=(PtArchive&& other) noexcept = default;

Result<PtArchive> PtArchive::plan(const PickleValue& root, const std::vector<TensorEntry>& entries,
                                  const std::string& archive_name, const PtArchiveOptions& options) {
    PtArchive a;
    a.entries_ = entries;
    STRATA_TRY(auto pickled, pickle(root, options.weights_only_safe));
    const std::string& r = archive_name;
    auto small = [&](std::string name, std::string bytes) {
        a.records_.push_back({std::move(name), bytes.size()});
        a.small_.push_back(std::move(bytes));
    };
    small(r + "/data.pkl", std::move(pickled.bytes));
    if (options.write_byteorder) small(r + "/byteorder", "little");
    a.entry_record_.assign(entries.size(), SIZE_MAX);
    for (size_t k = 0; k < pickled.storage_entries.size(); ++k) {
        a.entry_record_[pickled.storage_entries[k]] = a.records_.size();
        a.records_.push_back({r + "/data/" + std::to_string(k), entries[pickled.storage_entries[k]].byte_size()});
        a.small_.emplace_back();
    }
    small(r + "/version", "3\n");
    for (size_t i = 0; i < a.records_.size(); ++i)
        if (!a.is_tensor_record(i)) a.records_[i].crc = crc32(std::as_bytes(std::span(a.small_[i])));
    uint64_t cursor = 0;
    for (auto& rec : a.records_) {
        ZipWriteRecord z{rec.name, rec.size};
        a.headers_.push_back(zip_local_header(z, cursor));
        rec.header_offset = z.header_offset;
        rec.data_offset = z.data_offset;
        rec.end_offset = z.end_offset;
        cursor = z.end_offset;
    }
    a.central_offset_ = cursor;
    std::vector<ZipWriteRecord> zrecords;
    for (const auto& rec : a.records_) zrecords.push_back({rec.name, rec.size, rec.header_offset});
    a.size_ = a.central_offset_ + zip_central_directory(zrecords, a.central_offset_).size();
    a.written_.assign(entries.size(), 0);
    for (size_t i = 0; i < entries.size(); ++i)
        if (a.entry_record_[i] == SIZE_MAX)
            return Status::internal("the pickled object does not hold this tensor").in_tensor(entries[i].name);
    return a;
}

bool PtArchive::is_tensor_record(size_t record) const {
    return std::find(entry_record_.begin(), entry_record_.end(), record) != entry_record_.end();
}

Status PtArchive::write_start(const OutputFile& out, uint64_t base) const {
    for (size_t i = 0; i < records_.size(); ++i) {
        STRATA_RETURN_IF_ERROR(out.write_at(base + records_[i].header_offset, std::as_bytes(std::span(headers_[i]))));
        if (is_tensor_record(i)) continue;
        const Record& rec = records_[i];
        STRATA_RETURN_IF_ERROR(out.write_at(base + rec.data_offset, std::as_bytes(std::span(small_[i]))));
        ZipWriteRecord z{rec.name, rec.size, rec.header_offset, rec.data_offset, rec.end_offset, rec.crc};
        const std::string descriptor = zip_data_descriptor(z);
        STRATA_RETURN_IF_ERROR(out.write_at(base + rec.data_offset + rec.size, std::as_bytes(std::span(descriptor))));
    }
    return Status::ok();
}

Status PtArchive::write_tensor(const OutputFile& out, uint64_t base, size_t index, std::span<const std::byte> bytes) {
    if (index >= entries_.size()) return Status::internal("tensor index out of range");
    Record& rec = records_[entry_record_[index]];
    if (bytes.size() != rec.size)
        return Status::internal("tensor has " + std::to_string(bytes.size()) + " bytes, planned " +
                                std::to_string(rec.size))
            .in_tensor(entries_[index].name);
    const uint32_t crc = crc32(bytes);
    STRATA_RETURN_IF_ERROR(out.write_at(base + rec.data_offset, bytes));
    ZipWriteRecord z{rec.name, rec.size, rec.header_offset, rec.data_offset, rec.end_offset, crc};
    const std::string descriptor = zip_data_descriptor(z);
    STRATA_RETURN_IF_ERROR(out.write_at(base + rec.data_offset + rec.size, std::as_bytes(std::span(descriptor))));
    std::lock_guard lock(*mutex_);
    rec.crc = crc;
    written_[index] = 1;
    return Status::ok();
}

Status PtArchive::write_end(const OutputFile& out, uint64_t base) const {
    std::vector<ZipWriteRecord> zrecords;
    {
        std::lock_guard lock(*mutex_);
        for (size_t i = 0; i < entries_.size(); ++i)
            if (!written_[i]) return Status::internal("tensor was never written").in_tensor(entries_[i].name);
        for (const auto& rec : records_)
            zrecords.push_back({rec.name, rec.size, rec.header_offset, rec.data_offset, rec.end_offset, rec.crc});
    }
    const std::string tail = zip_central_directory(zrecords, central_offset_);
    return out.write_at(base + central_offset_, std::as_bytes(std::span(tail)));
}

}  // namespace strata::torch_pt
