#include "strata/io/bounded_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata {

Result<int> open_regular_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
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
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        const char* what = S_ISDIR(st.st_mode)    ? "is a directory, not a file"
                           : S_ISFIFO(st.st_mode) ? "is a FIFO, not a regular file"
                                                  : "is not a regular file";
        return Status::invalid_argument(what).in_file(path.string());
    }
    // Reads of a regular file never block; clear the flag so nothing downstream is surprised.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

Result<std::string> read_small_file(const std::filesystem::path& path, uint64_t max_bytes) {
    STRATA_TRY(int fd, open_regular_file(path));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) > max_bytes) {
        const auto size = static_cast<uint64_t>(st.st_size);
        ::close(fd);
        return Status::invalid_argument("file is " + std::to_string(size) + " bytes, more than the " +
                                        std::to_string(max_bytes) + "-byte limit for this kind of file")
            .in_file(path.string());
    }
    std::string text;
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    // Read at most max_bytes even if the file grows meanwhile.
    while (got < text.size()) {
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return Status::io(std::strerror(err)).in_file(path.string());
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    text.resize(got);
    return text;
}

Result<nlohmann::json> parse_json_bounded(std::string_view text, uint64_t max_depth,
                                          const nlohmann::json::parser_callback_t& cb) {
    // Depth first, without building anything: nlohmann's parser is iterative, but copying,
    // comparing and dumping a value recurse, so a 100k-deep file would overflow the stack later.
    uint64_t depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return Status::corrupt("JSON nests deeper than " + std::to_string(max_depth) + " levels").at_offset(i);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    try {
        return nlohmann::json::parse(text.begin(), text.end(), cb);
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1e400
        return Status::corrupt(std::string("not valid JSON: ") + e.what());
    }
}

}  // namespace strata
