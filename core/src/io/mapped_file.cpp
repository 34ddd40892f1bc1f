#include "strata/io/mapped_file.h"

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
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        Status s = err == ENOENT ? Status::not_found("no such file") : Status::io(std::strerror(err));
        return s.in_file(path.string());
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return Status::io(std::strerror(err)).in_file(path.string());
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Status::invalid_argument("is a directory, not a file").in_file(path.string());
    }
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = path;
    file->size_ = static_cast<uint64_t>(st.st_size);
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
