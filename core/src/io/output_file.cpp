#include "strata/io/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata {

Result<OutputFile> OutputFile::create(const std::filesystem::path& path) {
    OutputFile f;
    f.path_ = path;
    f.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f.fd_ < 0) return Status::io(std::string("cannot create: ") + std::strerror(errno)).in_file(path.string());
    return f;
}

OutputFile::OutputFile(OutputFile&& other) noexcept { *this = std::move(other); }

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(other.path_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

OutputFile::~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
}

Status OutputFile::write_at(uint64_t offset, std::span<const std::byte> bytes) const {
    const uint64_t start = offset;
    const std::byte* p = bytes.data();
    size_t left = bytes.size();
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
    if (bytes.size() >= (1u << 20))
        ::sync_file_range(fd_, static_cast<off_t>(start), static_cast<off_t>(bytes.size()), SYNC_FILE_RANGE_WRITE);
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
    if (fd_ < 0) return Status::ok();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return Status::io(std::string("close failed: ") + std::strerror(errno)).in_file(path_.string());
    return Status::ok();
}

}  // namespace strata
