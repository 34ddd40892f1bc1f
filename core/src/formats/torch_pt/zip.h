// Internal: the ZIP subset torch.save writes (PyTorchStreamWriter over miniz).
// Reading goes through the central directory (local headers carry zero sizes and
// data descriptors), with zip64; writing reproduces miniz's bytes: stored records,
// flag 0x0808, zero local sizes, an "FB" extra padding data to 64 bytes, data
// descriptors, a zip64 end record even for tiny archives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "formats/torch_pt/crc32.h"
#include "strata/io/mapped_file.h"
#include "strata/status.h"

namespace strata::torch_pt {

struct ZipRecord {
    std::string name;
    uint16_t method = 0;       // 0 stored, 8 deflated...
    uint16_t flags = 0;
    uint32_t crc = 0;
    uint64_t compressed_size = 0;
    uint64_t size = 0;
    uint64_t header_offset = 0;  // local header
    uint64_t data_offset = 0;    // first data byte
};

struct ZipArchive {
    std::vector<ZipRecord> records;  // central directory order
    const ZipRecord* find(const std::string& name) const;
};

// Parses the central directory and every local header; checks that all records lie
// inside the file and that names are unique. `display` names the file in errors.
Result<ZipArchive> read_zip(const MappedFile& file, const std::string& display);
// The same for an archive embedded at byte `base` of a larger file (a DCP .distcp item):
// `bytes` is the archive alone; record offsets and error offsets are relative to that file.
Result<ZipArchive> read_zip(std::span<const std::byte> bytes, uint64_t base, const std::string& display);

// ---- writer layout ----
constexpr uint64_t kZipAlignment = 64;

struct ZipWriteRecord {
    std::string name;
    uint64_t size = 0;
    uint64_t header_offset = 0;
    uint64_t data_offset = 0;
    uint64_t end_offset = 0;  // after the data descriptor
    uint32_t crc = 0;
};

// Local header (with zip64 extra when needed and the FB padding extra) for a record
// whose header starts at `cursor`; sets header_offset/data_offset/end_offset.
std::string zip_local_header(ZipWriteRecord& record, uint64_t cursor);
// The data descriptor that follows a record's data (needs crc and size).
std::string zip_data_descriptor(const ZipWriteRecord& record);
// Central directory, zip64 end record, locator and end record, for records laid
// out up to `cursor`.
std::string zip_central_directory(const std::vector<ZipWriteRecord>& records, uint64_t cursor);

}  // namespace strata::torch_pt
