// ZIP reading (central directory + zip64) and miniz-identical writing for .pt files.
// Byte layouts: PKWARE APPNOTE.TXT 4.3.7 (local header), 4.3.9 (data descriptor),
// 4.3.12 (central header), 4.3.14-16 (zip64 end record/locator, end record), 4.5.3
// (zip64 extra); writer choices follow miniz mz_zip_writer_add_mem_ex_v2 as driven by
// caffe2/serialize/inline_container.cc (checked against torch 1.13 output).
#include "formats/torch_pt/zip.h"

#include <cstring>
#include <set>

namespace strata::torch_pt {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kLocatorSig = 0x07064b50, kDescriptorSig = 0x08074b50;
constexpr uint64_t k32 = 0xFFFFFFFFu;

uint64_t rd(const std::byte* p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
    return v;
}

void put(std::string& out, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

const ZipRecord* ZipArchive::find(const std::string& name) const {
    for (const auto& r : records)
        if (r.name == name) return &r;
    return nullptr;
}

Result<ZipArchive> read_zip(const MappedFile& file, const std::string& display) {
    return read_zip(file.all(), 0, display);
}

Result<ZipArchive> read_zip(std::span<const std::byte> bytes, uint64_t base, const std::string& display) {
    const uint64_t size = bytes.size();
    const std::byte* d = bytes.data();
    auto corrupt = [&](const std::string& m, uint64_t off) { return Status::corrupt(m).in_file(display).at_offset(base + off); };
    if (size < 22) return Status::corrupt("not a zip archive: " + std::to_string(size) + " bytes, too small for an end record").in_file(display);

    // End record: the last signature within the final 22 + 65535 bytes.
    uint64_t eocd = UINT64_MAX;
    const uint64_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (uint64_t p = size - 22 + 1; p-- > lowest;)
        if (rd(d + p, 4) == kEndSig) {
            eocd = p;
            break;
        }
    if (eocd == UINT64_MAX) return Status::corrupt("not a zip archive: no end-of-central-directory record").in_file(display);
    uint64_t count = rd(d + eocd + 10, 2);
    uint64_t cd_size = rd(d + eocd + 12, 4);
    uint64_t cd_offset = rd(d + eocd + 16, 4);
    if (rd(d + eocd + 4, 2) != 0 || rd(d + eocd + 6, 2) != 0)
        return Status::unsupported("multi-disk zip archives are not supported").in_file(display).at_offset(base + eocd);
    // zip64: a locator right before the end record points at the zip64 end record.
    if (eocd >= 20 && rd(d + eocd - 20, 4) == kLocatorSig) {
        const uint64_t z = rd(d + eocd - 20 + 8, 8);
        if (z > size || size - z < 56 || rd(d + z, 4) != kEnd64Sig)
            return corrupt("zip64 locator points to " + std::to_string(z) + ", which holds no zip64 end record", eocd - 20);
        count = rd(d + z + 32, 8);
        cd_size = rd(d + z + 40, 8);
        cd_offset = rd(d + z + 48, 8);
    } else if (count == 0xFFFF || cd_size == k32 || cd_offset == k32) {
        return corrupt("end record needs zip64 values but there is no zip64 locator", eocd);
    }
    if (cd_offset > size || cd_size > size - cd_offset)
        return Status::truncated("central directory [" + std::to_string(cd_offset) + ", +" + std::to_string(cd_size) +
                                 ") runs past the end of the file (" + std::to_string(size) + " bytes)")
            .in_file(display)
            .at_offset(base + eocd);
    if (count > cd_size / 46) return corrupt("central directory claims " + std::to_string(count) + " records in " + std::to_string(cd_size) + " bytes", eocd);

    ZipArchive zip;
    zip.records.reserve(count);
    std::set<std::string> names;
    uint64_t p = cd_offset;
    const uint64_t cd_end = cd_offset + cd_size;
    for (uint64_t i = 0; i < count; ++i) {
        if (cd_end - p < 46 || rd(d + p, 4) != kCentralSig) return corrupt("bad central directory header " + std::to_string(i), p);
        ZipRecord r;
        r.flags = static_cast<uint16_t>(rd(d + p + 8, 2));
        r.method = static_cast<uint16_t>(rd(d + p + 10, 2));
        r.crc = static_cast<uint32_t>(rd(d + p + 16, 4));
        r.compressed_size = rd(d + p + 20, 4);
        r.size = rd(d + p + 24, 4);
        const uint64_t name_len = rd(d + p + 28, 2), extra_len = rd(d + p + 30, 2), comment_len = rd(d + p + 32, 2);
        r.header_offset = rd(d + p + 42, 4);
        if (cd_end - p - 46 < name_len + extra_len + comment_len) return corrupt("central directory header " + std::to_string(i) + " runs past the directory", p);
        r.name.assign(reinterpret_cast<const char*>(d + p + 46), name_len);
        // zip64 extra: the 0xFFFFFFFF fields, in order size, compressed size, offset.
        for (uint64_t e = p + 46 + name_len; e + 4 <= p + 46 + name_len + extra_len;) {
            const uint64_t id = rd(d + e, 2), len = rd(d + e + 2, 2);
            if (e + 4 + len > p + 46 + name_len + extra_len) return corrupt("extra field runs past its header in record '" + r.name + "'", e);
            if (id == 1) {
                uint64_t q = e + 4;
                for (uint64_t* field : {&r.size, &r.compressed_size, &r.header_offset}) {
                    if (*field != k32) continue;
                    if (q + 8 > e + 4 + len) return corrupt("zip64 extra of record '" + r.name + "' is too short", e);
                    *field = rd(d + q, 8);
                    q += 8;
                }
            }
            e += 4 + len;
        }
        if (!names.insert(r.name).second) return corrupt("duplicate record '" + r.name + "'", p);
        if (r.flags & 1) return Status::unsupported("record '" + r.name + "' is encrypted").in_file(display).at_offset(base + p);
        // Local header: only its name and extra lengths matter (sizes come from above).
        const uint64_t h = r.header_offset;
        if (h > size || size - h < 30 || rd(d + h, 4) != kLocalSig)
            return corrupt("record '" + r.name + "': no local header at " + std::to_string(h), std::min(h, size));
        const uint64_t lname = rd(d + h + 26, 2), lextra = rd(d + h + 28, 2);
        r.data_offset = h + 30 + lname + lextra;
        if (lname != name_len || r.data_offset > size || std::memcmp(d + h + 30, r.name.data(), name_len) != 0)
            return corrupt("record '" + r.name + "': local header name does not match the central directory", h);
        if (r.method == 0 && r.compressed_size != r.size)
            return corrupt("stored record '" + r.name + "' has compressed size " + std::to_string(r.compressed_size) +
                               " but size " + std::to_string(r.size), p);
        if (r.compressed_size > size - r.data_offset)
            return Status::truncated("record '" + r.name + "' data [" + std::to_string(r.data_offset) + ", +" +
                                     std::to_string(r.compressed_size) + ") runs past the end of the file (" +
                                     std::to_string(size) + " bytes)")
                .in_file(display)
                .at_offset(base + r.data_offset);
        r.header_offset += base;
        r.data_offset += base;
        zip.records.push_back(std::move(r));
        p += 46 + name_len + extra_len + comment_len;
    }
    return zip;
}

// ---- writer ----

std::string zip_local_header(ZipWriteRecord& r, uint64_t cursor) {
    const bool big_size = r.size >= k32, big_offset = cursor >= k32;
    std::string zip64;
    if (big_size || big_offset) {
        put(zip64, 1, 2);
        put(zip64, (big_size ? 16 : 0) + (big_offset ? 8 : 0), 2);
        if (big_size) {
            put(zip64, r.size, 8);
            put(zip64, r.size, 8);
        }
        if (big_offset) put(zip64, cursor, 8);
    }
    // inline_container.cc getPadding: data must start on a 64-byte boundary.
    const uint64_t start = cursor + 30 + r.name.size() + zip64.size() + 4;
    const uint64_t pad = (kZipAlignment - start % kZipAlignment) % kZipAlignment;
    std::string h;
    put(h, kLocalSig, 4);
    put(h, 0, 2);       // version needed (miniz: 0 for stored)
    put(h, 0x0808, 2);  // data descriptor + UTF-8 names
    put(h, 0, 2);       // stored
    put(h, 0, 4);       // time, date
    put(h, 0, 4);       // crc: in the descriptor
    put(h, 0, 8);       // sizes: in the descriptor
    put(h, r.name.size(), 2);
    put(h, zip64.size() + 4 + pad, 2);
    h += r.name;
    h += zip64;
    h += "FB";
    put(h, pad, 2);
    h.append(pad, 'Z');
    r.header_offset = cursor;
    r.data_offset = cursor + h.size();
    r.end_offset = r.data_offset + r.size + ((big_size || big_offset) ? 24 : 16);
    return h;
}

std::string zip_data_descriptor(const ZipWriteRecord& r) {
    std::string s;
    put(s, kDescriptorSig, 4);
    put(s, r.crc, 4);
    const int width = (r.size >= k32 || r.header_offset >= k32) ? 8 : 4;
    put(s, r.size, width);
    put(s, r.size, width);
    return s;
}

std::string zip_central_directory(const std::vector<ZipWriteRecord>& records, uint64_t cursor) {
    std::string cd;
    for (const auto& r : records) {
        const bool big_size = r.size >= k32, big_offset = r.header_offset >= k32;
        std::string zip64;
        if (big_size || big_offset) {
            put(zip64, 1, 2);
            put(zip64, (big_size ? 16 : 0) + (big_offset ? 8 : 0), 2);
            if (big_size) {
                put(zip64, r.size, 8);
                put(zip64, r.size, 8);
            }
            if (big_offset) put(zip64, r.header_offset, 8);
        }
        put(cd, kCentralSig, 4);
        put(cd, 0, 2);  // made by
        put(cd, 0, 2);  // needed
        put(cd, 0x0808, 2);
        put(cd, 0, 2);
        put(cd, 0, 4);
        put(cd, r.crc, 4);
        put(cd, std::min(r.size, k32), 4);
        put(cd, std::min(r.size, k32), 4);
        put(cd, r.name.size(), 2);
        put(cd, zip64.size(), 2);
        put(cd, 0, 2);  // comment
        put(cd, 0, 2);  // disk
        put(cd, 0, 2);  // internal attributes
        put(cd, 0, 4);  // external attributes
        put(cd, std::min(r.header_offset, k32), 4);
        cd += r.name;
        cd += zip64;
    }
    const uint64_t cd_offset = cursor, cd_size = cd.size(), n = records.size();
    std::string out = cd;
    put(out, kEnd64Sig, 4);
    put(out, 44, 8);
    put(out, 0x031e, 2);  // made by (miniz)
    put(out, 0x002d, 2);  // needed: 4.5
    put(out, 0, 8);       // disk numbers
    put(out, n, 8);
    put(out, n, 8);
    put(out, cd_size, 8);
    put(out, cd_offset, 8);
    put(out, kLocatorSig, 4);
    put(out, 0, 4);
    put(out, cd_offset + cd_size, 8);
    put(out, 1, 4);
    put(out, kEndSig, 4);
    put(out, 0, 4);
    put(out, std::min<uint64_t>(n, 0xFFFF), 2);
    put(out, std::min<uint64_t>(n, 0xFFFF), 2);
    put(out, std::min(cd_size, k32), 4);
    put(out, std::min(cd_offset, k32), 4);
    put(out, 0, 2);
    return out;
}

}  // namespace strata::torch_pt
