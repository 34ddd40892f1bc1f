#include "strata/io/small_file.h"

#include <fstream>

namespace strata {

Status write_small_file(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) return Status::io("cannot write").in_file(path.string());
    return Status::ok();
}

}  // namespace strata
