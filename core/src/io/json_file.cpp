#include "strata/io/json_file.h"

#include <fstream>
#include <sstream>

#include "strata/io/bounded_read.h"

namespace strata {
namespace fs = std::filesystem;

Result<nlohmann::json> read_json_file(const fs::path& path) {
    auto text = read_small_file(path, kMaxJsonFileBytes);
    if (!text) {
        if (text.status().code() == StatusCode::NotFound)
            return Status::not_found("cannot open").in_file(path.string());
        return text.status();
    }
    auto j = parse_json_bounded(*text);
    if (!j) return j.status().in_file(path.string());
    return j;
}

Status write_json_file(const fs::path& path, const nlohmann::json& value) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return Status::io("cannot create").in_file(path.string());
    out << value.dump(2) << "\n";
    out.close();
    if (!out) return Status::io("write failed").in_file(path.string());
    return Status::ok();
}

}  // namespace strata
