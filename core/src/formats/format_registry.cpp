#include "strata/formats/format_registry.h"

#include "strata/formats/megatron.h"
#include "strata/formats/safetensors.h"
#include "strata/formats/torch_dist.h"
#include "strata/formats/torch_pt.h"

namespace strata {

const FormatRegistry& FormatRegistry::builtin() {
    static const FormatRegistry kRegistry = [] {
        FormatRegistry r;
        // One line per format. Order matters: folders are tried most specific first.
        r.add(safetensors_format());
        r.add(torch_dist_format());  // before megatron: both start from a tracker file
        r.add(megatron_format());
        r.add(torch_pt_format());
        return r;
    }();
    return kRegistry;
}

const FormatHandler* FormatRegistry::find(const std::string& name) const {
    for (const auto& h : handlers_)
        if (h.name == name) return &h;
    return nullptr;
}

Result<Checkpoint> FormatRegistry::open(const std::filesystem::path& path) const {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return Status::not_found("no such file or folder").in_file(path.string());
    for (const auto& h : handlers_)
        if (h.sniff(path)) return h.open(path);
    std::string names;
    for (const auto& h : handlers_) names += (names.empty() ? "" : ", ") + h.name;
    return Status::unsupported("not a checkpoint Strata recognises (formats: " + names + ")").in_file(path.string());
}

Result<Checkpoint> open_checkpoint(const std::filesystem::path& path) { return FormatRegistry::builtin().open(path); }

}  // namespace strata
