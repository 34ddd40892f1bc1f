// Megatron legacy checkpoint folders: resolve the iteration folder, discover and
// check the rank folders (megatron/training/checkpointing.py get_checkpoint_name),
// then read every rank's model_optim_rng.pt through the .pt reader.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "formats/torch_pt/torch_pt_internal.h"
#include "strata/formats/megatron.h"
#include "strata/io/bounded_read.h"
#include "strata/size_limits.h"

namespace strata {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTracker = kMegatronTracker;
constexpr const char* kRankFile = "model_optim_rng.pt";

struct RankFolder {
    std::string name;
    std::vector<int> parts;  // tp, then the optional suffixes
};

// "mp_rank_01_002" -> {1, 2}; nullopt when the name is not digits separated by '_'.
std::optional<std::vector<int>> parse_rank_name(const std::string& name) {
    if (name.rfind("mp_rank_", 0) != 0) return std::nullopt;
    std::vector<int> parts;
    std::stringstream ss(name.substr(8));
    std::string part;
    while (std::getline(ss, part, '_')) {
        if (part.empty() || part.size() > 6 || !std::all_of(part.begin(), part.end(), ::isdigit)) return std::nullopt;
        parts.push_back(std::stoi(part));
    }
    if (parts.empty() || parts.size() > 3) return std::nullopt;
    return parts;
}

bool has_rank_folders(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        if (it->path().filename().string().rfind("mp_rank_", 0) == 0 && it->is_directory(ec)) return true;
    return false;
}

// A parallel size from args; 0 (refused by the caller as implausible) when it is negative or
// too large for an int, so TP = 2^32+1 can never be read as 1.
std::optional<int> arg_int(const nlohmann::json& args, const char* key) {
    if (!args.is_object() || !args.contains(key) || !args[key].is_number_integer()) return std::nullopt;
    if (args[key].is_number_unsigned())
        return args[key].get<uint64_t>() > kMaxParallel ? 0 : static_cast<int>(args[key].get<uint64_t>());
    const int64_t v = args[key].get<int64_t>();
    return v < 0 || v > static_cast<int64_t>(kMaxParallel) ? 0 : static_cast<int>(v);
}

struct IterationDir {
    fs::path dir;
    fs::path base;  // display names are relative to it
};

Result<IterationDir> resolve_iteration(fs::path path) {
    if (!path.has_filename()) path = path.parent_path();  // "ckpt/iter_0000010/"
    std::error_code ec;
    const fs::path tracker = path / kTracker;
    if (fs::is_regular_file(tracker, ec)) {
        // A few bytes in any real checkpoint; a huge or special file is refused before it is read.
        auto read = read_small_file(tracker, kMaxSmallTextBytes);
        if (!read) return Status(read.status().code(), read.status().message()).in_file(kTracker);
        std::string text = std::move(*read);
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
        std::string folder;
        if (text == "release") {
            folder = "release";
        } else {
            if (text.empty() || text.size() > 15 || !std::all_of(text.begin(), text.end(), ::isdigit))
                return Status::corrupt("expected an iteration number or 'release', found '" + text.substr(0, 40) + "'")
                    .in_file(kTracker);
            folder = megatron_iteration_folder(std::stoll(text));
        }
        if (!fs::is_directory(path / folder, ec))
            return Status::not_found(std::string(kTracker) + " names '" + text + "' but folder '" + folder +
                                     "' does not exist")
                .in_file(path.string());
        return IterationDir{path / folder, path};
    }
    if (fs::is_directory(path, ec) && has_rank_folders(path)) return IterationDir{path, path.parent_path()};
    return Status::not_found(std::string("not a Megatron checkpoint: no ") + kTracker + " and no mp_rank_* folders")
        .in_file(path.string());
}

// torch_dist (megatron/core/dist_checkpointing): PyTorch DCP shards `__<rank>_<n>.distcp`
// beside `.metadata`, `metadata.json` and `common.pt`.
bool is_distributed_checkpoint(const fs::path& dir) {
    std::error_code ec;
    for (auto d = fs::directory_iterator(dir, ec); !ec && d != fs::directory_iterator(); d.increment(ec))
        if (d->path().extension() == ".distcp") return true;
    return fs::is_regular_file(dir / "metadata.json", ec) && fs::is_regular_file(dir / ".metadata", ec);
}

}  // namespace

std::vector<std::pair<std::string, PickleValue>> megatron_extra_entries(const nlohmann::json& args, int64_t iteration) {
    return {{"args", PickleValue::from_json(args, /*as_namespace=*/true)},
            {"checkpoint_version", PickleValue::real(3.0)},
            {"iteration", PickleValue::integer(iteration)}};
}

Result<Checkpoint> open_megatron(const fs::path& path) {
    STRATA_TRY(IterationDir it, resolve_iteration(path));
    const std::string iter_display = it.dir.lexically_relative(it.base).string();
    std::error_code ec;

    // Discover rank folders.
    std::vector<RankFolder> found;
    for (auto d = fs::directory_iterator(it.dir, ec); !ec && d != fs::directory_iterator(); d.increment(ec)) {
        const std::string name = d->path().filename().string();
        if (name.rfind("mp_rank_", 0) != 0) continue;
        auto parts = parse_rank_name(name);
        if (!parts || !d->is_directory(ec))
            return Status::corrupt("unexpected entry '" + name + "' (not an mp_rank_TT[_PPP][_EEE] folder)").in_file(iter_display);
        found.push_back({name, *parts});
    }
    if (found.empty()) {
        if (is_distributed_checkpoint(it.dir))
            return Status::unsupported(
                       "a Megatron distributed checkpoint (torch_dist: *.distcp shards + metadata.json); this reader "
                       "takes the legacy per-rank format (the torch_dist reader lists its tensors; to convert it, "
                       "have Megatron-LM write a legacy copy with --ckpt-convert-format torch --ckpt-convert-save DIR)")
                .in_file(iter_display);
        return Status::not_found("no mp_rank_* folders").in_file(iter_display);
    }
    std::sort(found.begin(), found.end(), [](const RankFolder& a, const RankFolder& b) { return a.parts < b.parts; });
    const size_t nparts = found.front().parts.size();
    for (const auto& f : found)
        if (f.parts.size() != nparts)
            return Status::corrupt("rank folders mix naming schemes ('" + found.front().name + "' and '" + f.name + "')")
                .in_file(iter_display);

    // args of the first rank decide what the suffixes mean and how many ranks there are.
    const fs::path first_file = it.dir / found.front().name / kRankFile;
    const std::string first_display = (fs::path(iter_display) / found.front().name / kRankFile).string();
    if (!fs::is_regular_file(first_file, ec))
        return Status::not_found("rank folder '" + found.front().name + "' has no " + kRankFile).in_file(iter_display);
    STRATA_TRY(auto first_pt, torch_pt::load_pt(first_file, first_display));
    STRATA_TRY(auto first, torch_pt::pt_contents(first_pt, 0, {}));
    if (!first.metadata.contains("keys"))
        return Status::corrupt("not a Megatron model_optim_rng.pt (no top-level 'model' dict)").in_file(first_display);
    const nlohmann::json& args = first.config;
    int max_index[3] = {0, 0, 0};
    for (const auto& f : found)
        for (size_t i = 0; i < nparts; ++i) max_index[i] = std::max(max_index[i], f.parts[i]);
    const auto a_tp = arg_int(args, "tensor_model_parallel_size");
    const auto a_pp = arg_int(args, "pipeline_model_parallel_size");
    const auto a_ep = arg_int(args, "expert_model_parallel_size");
    int tp = a_tp.value_or(max_index[0] + 1), pp = 1, ep = 1;
    auto sizes = [&] {
        return " (TP=" + std::to_string(tp) + ", PP=" + std::to_string(pp) + ", EP=" + std::to_string(ep) + ")";
    };
    if (nparts == 3) {
        pp = a_pp.value_or(max_index[1] + 1);
        ep = a_ep.value_or(max_index[2] + 1);
    } else if (nparts == 2) {
        // One suffix: PP when args say PP > 1, EP when they say EP > 1; PP when args are silent.
        const bool is_ep = a_ep.value_or(1) > 1 && a_pp.value_or(1) <= 1;
        (is_ep ? ep : pp) = (is_ep ? a_ep : a_pp).value_or(max_index[1] + 1);
    }
    if ((a_pp && *a_pp != pp) || (a_ep && *a_ep != ep))
        return Status::corrupt("rank folder names imply" + sizes() + " but args say PP=" +
                               std::to_string(a_pp.value_or(1)) + ", EP=" + std::to_string(a_ep.value_or(1)))
            .in_file(iter_display);
    auto shown = [&](const char* key, const std::optional<int>& v) {
        return args.contains(key) && v && *v == 0 ? std::string(" (args: ") + key + " = " + args[key].dump() + ")"
                                                  : std::string();
    };
    if (tp < 1 || pp < 1 || ep < 1 || static_cast<uint64_t>(tp) * pp * ep > kMaxParallel)
        return Status::corrupt("implausible parallel sizes" + sizes() + shown("tensor_model_parallel_size", a_tp) +
                               shown("pipeline_model_parallel_size", a_pp) + shown("expert_model_parallel_size", a_ep))
            .in_file(first_display);

    std::set<std::string> found_names;
    for (const auto& f : found) found_names.insert(f.name);
    std::vector<std::pair<std::string, RankCoord>> expected;
    for (int p = 0; p < pp; ++p)
        for (int e = 0; e < ep; ++e)
            for (int t = 0; t < tp; ++t) expected.push_back({megatron_rank_folder(t, p, e, pp, ep), RankCoord{t, p, e}});
    std::set<std::string> expected_names;
    for (const auto& [name, rank] : expected) {
        expected_names.insert(name);
        if (!found_names.count(name))
            return Status::not_found("missing rank folder '" + name + "'" + sizes()).in_file(iter_display);
    }
    for (const auto& name : found_names)
        if (!expected_names.count(name))
            return Status::corrupt("unexpected rank folder '" + name + "'" + sizes()).in_file(iter_display);

    Checkpoint ckpt;
    ckpt.format = "megatron";
    ckpt.path = path;
    ckpt.config = args;
    for (const auto& [name, rank] : expected) {
        const fs::path file = it.dir / name / kRankFile;
        const std::string display = (fs::path(iter_display) / name / kRankFile).string();
        if (!fs::is_regular_file(file, ec))
            return Status::not_found("rank folder '" + name + "' has no " + kRankFile).in_file(iter_display);
        const auto index = static_cast<uint32_t>(ckpt.files.size());
        STRATA_TRY(auto pt, torch_pt::load_pt(file, display));
        STRATA_TRY(auto contents, torch_pt::pt_contents(pt, index, rank));
        if (!contents.metadata.contains("keys"))
            return Status::corrupt("not a Megatron model_optim_rng.pt (no top-level 'model' dict)").in_file(display);
        if (contents.metadata.value("iteration", nlohmann::json()) != first.metadata.value("iteration", nlohmann::json()))
            return Status::corrupt("iteration " + contents.metadata.value("iteration", nlohmann::json()).dump() +
                                   " differs from rank 0's " + first.metadata.value("iteration", nlohmann::json()).dump())
                .in_file(display);
        ckpt.files.push_back({file, display, pt.map});
        for (auto& t : contents.tensors) ckpt.tensors.push_back(std::move(t));
    }
    int vpp = first.metadata.value("vpp", 1);
    ckpt.metadata = {{"tp", tp},
                     {"pp", pp},
                     {"ep", ep},
                     {"vpp", vpp},
                     {"iteration", first.metadata.value("iteration", nlohmann::json())},
                     {"checkpoint_version", first.metadata.value("checkpoint_version", nlohmann::json())},
                     {"iteration_folder", it.dir.filename().string()}};
    STRATA_RETURN_IF_ERROR(ckpt.finalize());
    return ckpt;
}

FormatHandler megatron_format() {
    FormatHandler h;
    h.name = "megatron";
    h.description = "Megatron legacy checkpoint folder (iter_*/mp_rank_*/model_optim_rng.pt)";
    h.sniff = [](const fs::path& p) {
        std::error_code ec;
        if (!fs::is_directory(p, ec)) return false;
        return fs::is_regular_file(p / kTracker, ec) || has_rank_folders(p);
    };
    h.open = open_megatron;
    return h;
}

}  // namespace strata
