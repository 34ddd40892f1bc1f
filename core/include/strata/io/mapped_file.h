// MappedFile: a read-only memory map of a whole file with bounds-checked spans.
// Inputs are only ever opened through this, so Strata cannot modify them.
// Usage: STRATA_TRY(auto f, MappedFile::open(path)); STRATA_TRY(auto s, f->span(off, len));
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "strata/status.h"

namespace strata {

class MappedFile {
public:
    static Result<std::shared_ptr<MappedFile>> open(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::filesystem::path& path() const { return path_; }
    uint64_t size() const { return size_; }
    const std::byte* data() const { return data_; }
    std::span<const std::byte> all() const { return {data_, static_cast<size_t>(size_)}; }
    // Fails with Truncated (naming the file and offset) when [offset, offset+length) is not inside.
    Result<std::span<const std::byte>> span(uint64_t offset, uint64_t length) const;
    // Asks the kernel to start reading [offset, offset+length) into the page cache now,
    // without waiting for it, so a cold source is read while earlier tensors are written.
    void prefetch(uint64_t offset, uint64_t length) const;
    // Lets the kernel drop cached pages of a range already consumed (bounded RSS).
    void advise_done(uint64_t offset, uint64_t length) const;
    // Io error when the file on disk is no longer the one mapped at open (device, inode,
    // size or mtime differ): a source changed during a conversion fails the run cleanly.
    Status check_unchanged() const;

private:
    MappedFile() = default;
    std::filesystem::path path_;
    const std::byte* data_ = nullptr;
    uint64_t size_ = 0;
    struct Identity {
        uint64_t dev = 0, ino = 0, size = 0;
        int64_t mtime_s = 0, mtime_ns = 0;
    } identity_;
};

}  // namespace strata
