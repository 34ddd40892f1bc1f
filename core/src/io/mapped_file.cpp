#include "strata/io/mapped_file.h"

#include "strata/io/bounded_read.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata {
namespace {
constexpr uint64_t kPage = 4096;
uint64_t page_floor(uint64_t x) { return x & ~(kPage - 1); }
}  // namespace

Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::filesystem::path& path) {
    // Regular files only, opened without blocking: a FIFO where a shard should be must not hang.
    STRATA_TRY(const int fd, open_regular_file(path));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return Status::io(std::strerror(err)).in_file(path.string());
    }
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = path;
    file->size_ = static_cast<uint64_t>(st.st_size);
    file->identity_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), file->size_,
                       static_cast<int64_t>(st.st_mtim.tv_sec), static_cast<int64_t>(st.st_mtim.tv_nsec)};
    if (file->size_ > 0) {
        void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            return Status::io(std::string("mmap failed: ") + std::strerror(err)).in_file(path.string());
        }
        file->data_ = static_cast<const std::byte*>(p);
    }
    ::close(fd);
    return file;
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

Result<std::span<const std::byte>> MappedFile::span(uint64_t offset, uint64_t length) const {
    if (offset > size_ || length > size_ - offset)
        return Status::truncated("range [" + std::to_string(offset) + ", " + std::to_string(offset + length) +
                                 ") is past the end of the file (" + std::to_string(size_) + " bytes)")
            .in_file(path_.string())
            .at_offset(offset);
    return std::span<const std::byte>(data_ + offset, static_cast<size_t>(length));
}

Status MappedFile::check_unchanged() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0)
        return Status::io("source file was removed or renamed while Strata was reading it").in_file(path_.string());
    const Identity now{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                       static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtim.tv_sec),
                       static_cast<int64_t>(st.st_mtim.tv_nsec)};
    if (now.dev != identity_.dev || now.ino != identity_.ino)
        return Status::io("source file was replaced while Strata was reading it").in_file(path_.string());
    if (now.size != identity_.size)
        return Status::io("source file changed size while Strata was reading it (" + std::to_string(identity_.size) +
                          " -> " + std::to_string(now.size) + " bytes)")
            .in_file(path_.string());
    if (now.mtime_s != identity_.mtime_s || now.mtime_ns != identity_.mtime_ns)
        return Status::io("source file was modified while Strata was reading it").in_file(path_.string());
    return Status::ok();
}

void MappedFile::prefetch(uint64_t offset, uint64_t length) const {
    if (!data_ || offset >= size_) return;
    const uint64_t start = page_floor(offset);
    const uint64_t end = std::min(size_, offset + length);
    ::madvise(const_cast<std::byte*>(data_) + start, end - start, MADV_WILLNEED);
}

void MappedFile::advise_done(uint64_t offset, uint64_t length) const {
    if (!data_ || offset >= size_) return;
    const uint64_t start = page_floor(offset);
    const uint64_t end = std::min(size_, offset + length);
    ::madvise(const_cast<std::byte*>(data_) + start, end - start, MADV_DONTNEED);
}

}  // namespace strata
