// .npy v1.0 writer and v1/v2 reader (numpy/lib/format.py is the specification).
#include "strata/forward/npy.h"
#include "strata/io/bounded_read.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "strata/io/atomic_output.h"

namespace strata {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the .npy code assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";  // 6 bytes + NUL
constexpr size_t kMagicLen = 6;

std::string shape_tuple(const std::vector<uint64_t>& shape) {
    // numpy writes "(5,)" for one dimension and "()" for a scalar.
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

// Value of `key` in the header dict: the text after "'key':" up to the next top-level comma.
std::optional<std::string> dict_value(const std::string& dict, const std::string& key) {
    const auto k = dict.find("'" + key + "'");
    if (k == std::string::npos) return std::nullopt;
    auto p = dict.find(':', k);
    if (p == std::string::npos) return std::nullopt;
    ++p;
    while (p < dict.size() && dict[p] == ' ') ++p;
    int depth = 0;
    size_t e = p;
    for (; e < dict.size(); ++e) {
        const char c = dict[e];
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if ((c == ',' || c == '}') && depth == 0) break;
    }
    auto v = dict.substr(p, e - p);
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v;
}

}  // namespace

std::string npy_header_f32(const std::vector<uint64_t>& shape) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
    // Pad so magic(6) + version(2) + length(2) + dict + '\n' is a multiple of 64 (numpy >= 1.14 aligns
    // to 64 so the array can be memory-mapped with any dtype's alignment).
    const size_t prefix = kMagicLen + 2 + 2;
    size_t total = prefix + dict.size() + 1;
    const size_t padded = (total + 63) / 64 * 64;
    dict.append(padded - total, ' ');
    dict.push_back('\n');
    const auto len = static_cast<uint16_t>(dict.size());
    std::string h(kMagic, kMagicLen);
    h.push_back('\x01');
    h.push_back('\x00');
    h.push_back(static_cast<char>(len & 0xff));
    h.push_back(static_cast<char>(len >> 8));
    return h + dict;
}

Status write_npy_f32(const fs::path& path, std::span<const float> data, const std::vector<uint64_t>& shape,
                     bool overwrite) {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    if (n != data.size())
        return Status::invalid_argument("npy: " + std::to_string(data.size()) + " values for shape " +
                                        shape_tuple(shape))
            .in_file(path.string());
    const std::string header = npy_header_f32(shape);
    if (header.size() > 65535) return Status::invalid_argument("npy: shape too long for a v1.0 header");
    const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
    STRATA_TRY(auto out, AtomicOutput::create(parent / path.filename(), AtomicOutput::Kind::File, overwrite));
    {
        std::ofstream f(out.temp_path(), std::ios::binary | std::ios::trunc);
        if (!f) return Status::io("cannot create").in_file(out.temp_path().string());
        f.write(header.data(), static_cast<std::streamsize>(header.size()));
        f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size_bytes()));
        f.close();
        if (!f) return Status::io("write failed").in_file(out.temp_path().string());
    }
    return out.commit();
}

Result<NpyArray> read_npy(const fs::path& path) {
    auto read = read_small_file(path, uint64_t{16} << 30);  // regular files only; logits are small
    if (!read) {
        if (read.status().code() == StatusCode::NotFound) return Status::not_found("cannot open").in_file(path.string());
        return read.status();
    }
    const std::string bytes = std::move(*read);
    const auto bad = [&](const std::string& why) { return Status::corrupt("npy: " + why).in_file(path.string()); };
    if (bytes.size() < 10 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0) return bad("no \\x93NUMPY magic");
    const auto major = static_cast<uint8_t>(bytes[6]);
    size_t header_len = 0, prefix = 0;
    if (major == 1) {
        header_len = static_cast<uint8_t>(bytes[8]) | (size_t(static_cast<uint8_t>(bytes[9])) << 8);
        prefix = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) return bad("truncated header");
        uint32_t l = 0;
        std::memcpy(&l, bytes.data() + 8, 4);
        header_len = l;
        prefix = 12;
    } else {
        return bad("unsupported format version " + std::to_string(major));
    }
    if (bytes.size() < prefix + header_len) return bad("header runs past the end of the file");
    const std::string dict = bytes.substr(prefix, header_len);
    const auto descr = dict_value(dict, "descr");
    const auto fortran = dict_value(dict, "fortran_order");
    const auto shape_text = dict_value(dict, "shape");
    if (!descr || !fortran || !shape_text) return bad("header dict lacks descr, fortran_order or shape");
    if (*fortran != "False") return bad("Fortran-order arrays are not supported");
    size_t elem = 0;
    if (*descr == "'<f4'")
        elem = 4;
    else if (*descr == "'<f8'")
        elem = 8;
    else
        return bad("dtype " + *descr + " is not supported (want '<f4' or '<f8')");
    NpyArray arr;
    uint64_t n = 1;
    {
        std::string s = *shape_text;
        if (s.size() < 2 || s.front() != '(' || s.back() != ')') return bad("shape " + s + " is not a tuple");
        std::stringstream items(s.substr(1, s.size() - 2));
        std::string item;
        while (std::getline(items, item, ',')) {
            const auto b = item.find_first_not_of(' ');
            if (b == std::string::npos) continue;
            uint64_t v = 0;
            for (size_t i = b; i < item.size() && item[i] != ' '; ++i) {
                if (item[i] < '0' || item[i] > '9') return bad("shape " + s + " has a non-integer");
                v = v * 10 + static_cast<uint64_t>(item[i] - '0');
                if (v > (uint64_t(1) << 40)) return bad("shape " + s + " is implausibly large");
            }
            arr.shape.push_back(v);
            n *= v;
            if (n > (uint64_t(1) << 40)) return bad("shape " + s + " is implausibly large");
        }
    }
    const size_t data_begin = prefix + header_len;
    if (bytes.size() - data_begin != n * elem)
        return bad("data holds " + std::to_string(bytes.size() - data_begin) + " bytes, shape needs " +
                   std::to_string(n * elem));
    arr.data.resize(n);
    if (elem == 4) {
        std::memcpy(arr.data.data(), bytes.data() + data_begin, n * 4);
    } else {
        for (uint64_t i = 0; i < n; ++i) {
            double d;
            std::memcpy(&d, bytes.data() + data_begin + i * 8, 8);
            arr.data[i] = static_cast<float>(d);
        }
    }
    return arr;
}

}  // namespace strata
