// Shared by the libFuzzer harnesses: the input written to a file in a private scratch
// folder (the readers open paths), and a split of one input into several files.
// Every harness only asks that the reader returns (ok or a Status) without a crash,
// a sanitizer report, a hang or unbounded memory; libFuzzer and ASan/UBSan judge that.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace strata::fuzz {

inline const std::filesystem::path& scratch() {
    static const std::filesystem::path dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("strata-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    return dir;
}

inline void write(const std::filesystem::path& p, std::string_view bytes) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Parts separated by the 8-byte marker "\n--8<--\n" (seeds are made the same way).
inline std::vector<std::string_view> split(const uint8_t* data, size_t size, size_t parts) {
    std::string_view all(reinterpret_cast<const char*>(data), size);
    constexpr std::string_view kSep = "\n--8<--\n";
    std::vector<std::string_view> out;
    while (out.size() + 1 < parts) {
        const auto at = all.find(kSep);
        if (at == std::string_view::npos) break;
        out.push_back(all.substr(0, at));
        all.remove_prefix(at + kSep.size());
    }
    out.push_back(all);
    while (out.size() < parts) out.emplace_back();
    return out;
}

}  // namespace strata::fuzz
