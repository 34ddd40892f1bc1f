// OutputFile: a file opened for writing at explicit offsets (pwrite), so several
// worker threads can fill disjoint ranges of a pre-planned layout at once. Big writes
// bypass the page cache (O_DIRECT) where the file system allows it: a converted
// checkpoint is not read back soon, and buffered writeback of gigabytes is what makes
// a copy slower than the disk (measured 3-4x on a virtio disk, see bench/convert_bench).
// Usage: STRATA_TRY(auto f, OutputFile::create(path)); f.write_at(0, bytes); f.close();
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "strata/status.h"

namespace strata {

class OutputFile {
public:
    static Result<OutputFile> create(const std::filesystem::path& path);
    OutputFile(OutputFile&& other) noexcept;
    OutputFile& operator=(OutputFile&& other) noexcept;
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    ~OutputFile();

    const std::filesystem::path& path() const { return path_; }
    // Thread-safe for disjoint ranges.
    Status write_at(uint64_t offset, std::span<const std::byte> bytes) const;
    Status truncate(uint64_t size) const;
    Status sync() const;
    Status close();

private:
    OutputFile() = default;
    Status write_buffered(uint64_t offset, const std::byte* p, size_t n) const;
    Status write_direct(uint64_t offset, const std::byte* p, size_t n) const;

    std::filesystem::path path_;
    int fd_ = -1;
    int direct_fd_ = -1;  // the same file opened with O_DIRECT, or -1 where unsupported
};

}  // namespace strata
