#include "strata/io/preflight.h"

#include <system_error>

#include "strata/progress.h"

namespace strata {

namespace fs = std::filesystem;

namespace {

// The output usually does not exist yet: its nearest existing ancestor is where it will live.
Result<fs::path> nearest_existing(const fs::path& out) {
    std::error_code ec;
    fs::path p = fs::absolute(out, ec);
    if (ec) return Status::io("cannot resolve the output path: " + ec.message()).in_file(out.string());
    while (!p.empty()) {
        if (fs::exists(p, ec)) return p;
        if (p == p.parent_path()) break;
        p = p.parent_path();
    }
    return Status::not_found("no existing folder above the output path").in_file(out.string());
}

std::string figure(uint64_t bytes) { return format_byte_size(bytes) + " (" + std::to_string(bytes) + " bytes)"; }

}  // namespace

std::string SpaceVerdict::describe() const {
    return "the output needs " + figure(needed_bytes) + " in " + std::to_string(files) +
           (files == 1 ? " file; " : " files; ") + checked.string() + " has " + figure(free_bytes) + " free";
}

Result<SpaceVerdict> check_free_space(const fs::path& out, const std::vector<PlannedOutputFile>& files) {
    SpaceVerdict v;
    STRATA_TRY(v.checked, nearest_existing(out));
    std::error_code ec;
    const fs::space_info info = fs::space(v.checked, ec);
    if (ec) return Status::io("cannot read the free space: " + ec.message()).in_file(v.checked.string());
    v.free_bytes = info.available;
    v.files = files.size();
    for (const PlannedOutputFile& f : files) {
        if (v.needed_bytes + f.bytes < v.needed_bytes)
            return Status::invalid_argument("planned output size overflows 64 bits").in_file(f.path);
        v.needed_bytes += f.bytes;
    }
    return v;
}

Status require_free_space(const SpaceVerdict& verdict, bool force) {
    if (verdict.fits() || force) return Status::ok();
    return Status::io("not enough free space: " + verdict.describe() +
                      " (free some space, choose another output folder, or force the write with --force-space)");
}

}  // namespace strata
