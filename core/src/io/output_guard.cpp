#include "strata/io/output_guard.h"

#include "strata/io/bounded_read.h"

namespace strata {
namespace fs = std::filesystem;
namespace {

// Absolute, with symlinks and ".." resolved as far as the path exists.
fs::path resolved(const fs::path& p) {
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec);
    if (ec) abs = p;
    fs::path r = fs::weakly_canonical(abs, ec);
    return ec ? abs.lexically_normal() : r;
}

// True when `inner` is `outer` or lies below it.
bool within(const fs::path& inner, const fs::path& outer) {
    auto i = inner.begin();
    for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
        if (o->empty()) continue;  // a trailing separator
        if (i == inner.end() || *i != *o) return false;
    }
    return true;
}

}  // namespace

bool is_strata_output(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return false;
    auto text = read_small_file(dir / kStrataManifestName, 1u << 30);
    if (!text) return false;
    auto j = parse_json_bounded(*text);
    return j && j->is_object() && j->contains("strata_manifest");
}

Status check_output_target(const fs::path& out, const std::vector<fs::path>& sources, bool overwrite, bool directory) {
    const fs::path target = resolved(out);
    for (const fs::path& source : sources) {
        if (source.empty()) continue;
        const fs::path src = resolved(source);
        std::error_code ec;
        if (within(src, target))
            return Status::invalid_argument(target == src
                                                ? "the output is the source itself; Strata never replaces its input"
                                                : "the output folder contains the source " + src.string() +
                                                      "; Strata never replaces its input")
                .in_file(out.string());
        if (fs::is_directory(src, ec) && within(target, src))
            return Status::invalid_argument("the output lies inside the source folder " + src.string() +
                                            "; write it elsewhere")
                .in_file(out.string());
    }
    std::error_code ec;
    const auto st = fs::symlink_status(out, ec);
    if (ec || !fs::exists(st)) return Status::ok();
    if (!overwrite)
        return Status::invalid_argument("output already exists (remove it or pass --force)").in_file(out.string());
    if (directory) {
        if (!is_strata_output(out))
            return Status::invalid_argument(std::string("output exists and is not a Strata output (no ") +
                                            kStrataManifestName + "); --force replaces only a previous Strata output")
                .in_file(out.string());
    } else if (!fs::is_regular_file(st)) {
        return Status::invalid_argument("output exists and is not a regular file; --force replaces only a file")
            .in_file(out.string());
    }
    return Status::ok();
}

}  // namespace strata
