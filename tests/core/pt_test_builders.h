// Test helpers that build .pt inputs byte by byte: a minimal ZIP writer (stored or
// "deflated"-flagged records, CRC-32, no zip64) and a pickle opcode builder, so the
// corrupt-input tables can break exactly one rule at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::test {

inline uint32_t test_crc32(const std::string& s) {
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : s) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

struct ZipEntry {
    std::string name;
    std::string data;
    uint16_t method = 0;
    bool bad_crc = false;
};

inline void put_le(std::string& o, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) o.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A plain (non-zip64) archive with data right after each local header.
inline std::string build_zip(const std::vector<ZipEntry>& entries) {
    std::string out, cd;
    for (const auto& e : entries) {
        const uint64_t offset = out.size();
        const uint32_t crc = test_crc32(e.data) ^ (e.bad_crc ? 1u : 0u);
        put_le(out, 0x04034b50, 4);
        put_le(out, 20, 2);
        put_le(out, 0, 2);
        put_le(out, e.method, 2);
        put_le(out, 0, 4);
        put_le(out, crc, 4);
        put_le(out, e.data.size(), 4);
        put_le(out, e.data.size(), 4);
        put_le(out, e.name.size(), 2);
        put_le(out, 0, 2);
        out += e.name;
        out += e.data;
        put_le(cd, 0x02014b50, 4);
        put_le(cd, 20, 2);
        put_le(cd, 20, 2);
        put_le(cd, 0, 2);
        put_le(cd, e.method, 2);
        put_le(cd, 0, 4);
        put_le(cd, crc, 4);
        put_le(cd, e.data.size(), 4);
        put_le(cd, e.data.size(), 4);
        put_le(cd, e.name.size(), 2);
        put_le(cd, 0, 6);
        put_le(cd, 0, 2);
        put_le(cd, 0, 4);
        put_le(cd, offset, 4);
        cd += e.name;
    }
    const uint64_t cd_offset = out.size();
    out += cd;
    put_le(out, 0x06054b50, 4);
    put_le(out, 0, 4);
    put_le(out, entries.size(), 2);
    put_le(out, entries.size(), 2);
    put_le(out, cd.size(), 4);
    put_le(out, cd_offset, 4);
    put_le(out, 0, 2);
    return out;
}

// Pickle opcodes, protocol 2.
struct Pickle {
    std::string b = "\x80\x02";
    Pickle& op(char c) {
        b.push_back(c);
        return *this;
    }
    Pickle& str(const std::string& s) {
        b.push_back('X');
        put_le(b, s.size(), 4);
        b += s;
        return *this;
    }
    Pickle& global(const std::string& m, const std::string& n) {
        b += "c" + m + "\n" + n + "\n";
        return *this;
    }
    Pickle& int1(uint8_t v) {
        b.push_back('K');
        b.push_back(static_cast<char>(v));
        return *this;
    }
    // _rebuild_tensor_v2(('storage', torch.<cls>, key, 'cpu', numel), offset, (size...), (stride...), False, OrderedDict())
    Pickle& tensor(const std::string& cls, const std::string& key, uint8_t numel, uint8_t offset,
                   const std::vector<uint8_t>& size, const std::vector<uint8_t>& stride) {
        global("torch._utils", "_rebuild_tensor_v2").op('(');
        op('(').str("storage").global("torch", cls).str(key).str("cpu").int1(numel).op('t').op('Q');
        int1(offset);
        op('(');
        for (auto s : size) int1(s);
        op('t').op('(');
        for (auto s : stride) int1(s);
        op('t').op('\x89').global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
        return *this;
    }
    std::string done() { return b + "."; }
};

}  // namespace strata::test
