// Internal: one torch.save zip archive laid out before any byte is written, so its records
// can be pwritten in any order, from any thread, at `base` inside a file it may share with
// other archives (a DCP .distcp holds one archive per tensor item back to back). Offsets in
// the archive (local headers, central directory) are relative to its own start, as
// torch.load of the item's byte range needs them. Records in torch's order: data.pkl,
// byteorder, data/0..N-1, version.
// Usage: STRATA_TRY(auto a, PtArchive::plan(root, entries, "archive", opts)); a.write_start(f, base);
//        a.write_tensor(f, base, i, bytes) for each storage; a.write_end(f, base);
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "strata/formats/pickle_value.h"
#include "strata/formats/tensor_entry.h"
#include "strata/io/output_file.h"
#include "strata/status.h"

namespace strata::torch_pt {

struct PtArchiveOptions {
    bool weights_only_safe = false;  // see TorchPtWriterOptions
    bool write_byteorder = true;
};

class PtArchive {
public:
    // `root` is the pickled object; its tensors carry PickleTensorRef::entry into `entries`.
    static Result<PtArchive> plan(const PickleValue& root, const std::vector<TensorEntry>& entries,
                                  const std::string& archive_name, const PtArchiveOptions& options);
    PtArchive(PtArchive&& other) noexcept;
    PtArchive& operator=(PtArchive&& other) noexcept;

    uint64_t size() const { return size_; }  // bytes of the whole archive
    // Local headers, data.pkl, byteorder and version.
    Status write_start(const OutputFile& out, uint64_t base) const;
    // Entry `index`'s bytes and data descriptor. Thread-safe across entries.
    Status write_tensor(const OutputFile& out, uint64_t base, size_t index, std::span<const std::byte> bytes);
    // The central directory; every tensor must have been written.
    Status write_end(const OutputFile& out, uint64_t base) const;

private:
    struct Record {
        std::string name;
        uint64_t size = 0, header_offset = 0, data_offset = 0, end_offset = 0;
        uint32_t crc = 0;
    };
    PtArchive() = default;
    bool is_tensor_record(size_t record) const;

    std::vector<TensorEntry> entries_;
    std::vector<Record> records_;
    std::vector<std::string> headers_;
    std::vector<std::string> small_;  // the bytes of each record but the tensors' (empty there)
    std::vector<size_t> entry_record_;  // entry -> index into records_
    std::vector<char> written_;
    uint64_t central_offset_ = 0;
    uint64_t size_ = 0;
    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
};

}  // namespace strata::torch_pt
