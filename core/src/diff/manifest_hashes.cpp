#include "strata/diff/manifest_hashes.h"

#include "strata/io/bounded_read.h"
#include "strata/io/output_guard.h"

namespace strata {
namespace fs = std::filesystem;

std::string manifest_key(const Checkpoint& ckpt, const TensorInfo& info) {
    // Megatron names repeat per rank file; an HF folder's manifest gives no file ("").
    if (ckpt.format != "megatron") return info.name;
    return ckpt.file_of(info).display_name + "/" + info.name;
}

std::optional<ManifestHashes> fresh_manifest_hashes(const Checkpoint& ckpt) {
    std::error_code ec;
    if (!fs::is_directory(ckpt.path, ec)) return std::nullopt;
    const fs::path manifest = ckpt.path / kStrataManifestName;
    const auto written = fs::last_write_time(manifest, ec);
    if (ec) return std::nullopt;
    for (const auto& f : ckpt.files) {
        const auto t = fs::last_write_time(f.path, ec);
        if (ec || t > written) return std::nullopt;
    }
    auto text = read_small_file(manifest, 1u << 30);
    if (!text) return std::nullopt;
    auto j = parse_json_bounded(*text);
    if (!j || !j->is_object() || !j->contains("strata_manifest") || j->value("hash", "") != "xxh3-64" ||
        !(*j)["tensors"].is_array())
        return std::nullopt;
    ManifestHashes out;
    for (const auto& t : (*j)["tensors"]) {
        if (!t.is_object() || !t["name"].is_string() || !t["file"].is_string() || !t["xxh3"].is_string())
            return std::nullopt;
        const std::string file = t["file"].get<std::string>(), name = t["name"].get<std::string>();
        const std::string hex = t["xxh3"].get<std::string>();
        if (hex.size() != 16 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
        out[file.empty() ? name : file + "/" + name] = std::stoull(hex, nullptr, 16);
    }
    for (const auto& t : ckpt.tensors)
        if (!out.count(manifest_key(ckpt, t))) return std::nullopt;  // it does not describe this checkpoint
    return out;
}

}  // namespace strata
