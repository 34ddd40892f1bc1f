#include "strata/io/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace strata {
namespace {

// O_DIRECT wants the file offset, the length and the memory address aligned to the
// device's logical block; 4 KiB covers 512-byte and 4K-native disks.
constexpr uint64_t kDirectAlign = 4096;
// Below this a write goes through the page cache: small records, headers, descriptors.
constexpr size_t kDirectMinBytes = 1u << 20;
// Each writing thread stages direct writes through one aligned buffer of this size.
constexpr size_t kBounceBytes = 4u << 20;

struct FreeDeleter {
    void operator()(std::byte* p) const { std::free(p); }
};

std::byte* bounce_buffer() {
    thread_local std::unique_ptr<std::byte, FreeDeleter> buffer(
        static_cast<std::byte*>(std::aligned_alloc(kDirectAlign, kBounceBytes)));
    return buffer.get();
}

uint64_t align_up(uint64_t v) { return (v + kDirectAlign - 1) & ~(kDirectAlign - 1); }
uint64_t align_down(uint64_t v) { return v & ~(kDirectAlign - 1); }

}  // namespace

Result<OutputFile> OutputFile::create(const std::filesystem::path& path) {
    OutputFile f;
    f.path_ = path;
    f.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f.fd_ < 0) return Status::io(std::string("cannot create: ") + std::strerror(errno)).in_file(path.string());
    // tmpfs and some FUSE file systems refuse O_DIRECT: then every write is buffered.
    f.direct_fd_ = ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
    return f;
}

OutputFile::OutputFile(OutputFile&& other) noexcept { *this = std::move(other); }

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(other.path_);
        if (direct_fd_ >= 0) ::close(direct_fd_);
        fd_ = other.fd_;
        direct_fd_ = other.direct_fd_;
        other.fd_ = -1;
        other.direct_fd_ = -1;
    }
    return *this;
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (direct_fd_ >= 0) ::close(direct_fd_);
}

Status OutputFile::write_at(uint64_t offset, std::span<const std::byte> bytes) const {
    const std::byte* p = bytes.data();
    const uint64_t end = offset + bytes.size();
    const uint64_t body_begin = align_up(offset), body_end = align_down(end);
    if (direct_fd_ < 0 || bytes.size() < kDirectMinBytes || body_end <= body_begin)
        return write_buffered(offset, p, bytes.size());
    // The partial blocks at either end go through the page cache: they share a block
    // with the neighbouring record, and no block is ever written both ways.
    STRATA_RETURN_IF_ERROR(write_buffered(offset, p, body_begin - offset));
    STRATA_RETURN_IF_ERROR(write_direct(body_begin, p + (body_begin - offset), body_end - body_begin));
    return write_buffered(body_end, p + (body_end - offset), end - body_end);
}

Status OutputFile::write_direct(uint64_t offset, const std::byte* p, size_t n) const {
    std::byte* bounce = bounce_buffer();
    const bool aligned_source = reinterpret_cast<uintptr_t>(p) % kDirectAlign == 0;
    while (n > 0) {
        const size_t chunk = aligned_source ? n : std::min(n, kBounceBytes);
        const std::byte* from = p;
        if (!aligned_source) {
            if (!bounce) return write_buffered(offset, p, n);
            std::memcpy(bounce, p, chunk);
            from = bounce;
        }
        const ssize_t w = ::pwrite(direct_fd_, from, chunk, static_cast<off_t>(offset));
        if (w < 0 && errno == EINTR) continue;
        // EINVAL: this file system or device wants another alignment after all. A short
        // write leaves an unaligned rest. Either way the page cache takes the rest.
        if (w <= 0 || static_cast<uint64_t>(w) % kDirectAlign != 0) {
            if (w < 0 && errno != EINVAL) {
                return Status::io(std::string("write failed: ") + std::strerror(errno))
                    .in_file(path_.string())
                    .at_offset(offset);
            }
            const size_t done = w > 0 ? static_cast<size_t>(w) : 0;
            return write_buffered(offset + done, p + done, n - done);
        }
        p += w;
        n -= static_cast<size_t>(w);
        offset += static_cast<uint64_t>(w);
    }
    return Status::ok();
}

Status OutputFile::write_buffered(uint64_t offset, const std::byte* p, size_t n) const {
    const uint64_t start = offset;
    const size_t total = n;
    size_t left = n;
    while (left > 0) {
        const ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return Status::io(std::string("write failed: ") + std::strerror(errno)).in_file(path_.string()).at_offset(offset);
        }
        p += n;
        left -= static_cast<size_t>(n);
        offset += static_cast<uint64_t>(n);
    }
    // Start writeback of big writes now (without waiting for it), so the disk works while
    // the next tensors are assembled and the final fsync finds little left to flush. Only
    // a hint: where it is unsupported the fsync at commit still makes everything durable.
    if (total >= kDirectMinBytes)
        ::sync_file_range(fd_, static_cast<off_t>(start), static_cast<off_t>(total), SYNC_FILE_RANGE_WRITE);
    return Status::ok();
}

Status OutputFile::truncate(uint64_t size) const {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
        return Status::io(std::string("truncate failed: ") + std::strerror(errno)).in_file(path_.string());
    return Status::ok();
}

Status OutputFile::sync() const {
    if (::fsync(fd_) != 0) return Status::io(std::string("fsync failed: ") + std::strerror(errno)).in_file(path_.string());
    return Status::ok();
}

Status OutputFile::close() {
    if (direct_fd_ >= 0) ::close(direct_fd_);
    direct_fd_ = -1;
    if (fd_ < 0) return Status::ok();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return Status::io(std::string("close failed: ") + std::strerror(errno)).in_file(path_.string());
    return Status::ok();
}

}  // namespace strata
