#include "strata/io/json_file.h"

#include <fstream>
#include <sstream>

namespace strata {
namespace fs = std::filesystem;

Result<nlohmann::json> read_json_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::not_found("cannot open").in_file(path.string());
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::parse_error& e) {
        return Status::corrupt(std::string("not valid JSON: ") + e.what()).in_file(path.string());
    }
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
