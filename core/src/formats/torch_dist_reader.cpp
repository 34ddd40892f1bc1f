// PyTorch DCP folders and Megatron torch_dist checkpoints: resolve the folder (tracker file,
// iter_*/release), parse .metadata, map each .distcp file once, open every tensor chunk's
// torch.save zip in place (zero-copy), check it against the metadata, and check that the
// chunks of each tensor tile its global shape. Layout: facts torch-dist.md §1.1-§1.4.
#include <algorithm>
#include <cctype>
#include <map>

#include "formats/dcp/dcp_metadata.h"
#include "formats/torch_pt/torch_pt_internal.h"
#include "strata/formats/megatron.h"
#include "strata/formats/torch_dist.h"
#include "strata/io/bounded_read.h"
#include "strata/size_limits.h"

namespace strata {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTracker = kMegatronTracker;
constexpr const char* kMetadata = ".metadata";
constexpr const char* kMegatronJson = "metadata.json";
constexpr const char* kCommonPt = "common.pt";

struct DcpFolder {
    fs::path dir;   // holds .metadata and the .distcp files
    fs::path base;  // display names are relative to it
};

bool has_metadata(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / kMetadata, ec);
}

// The folder a tracker file names: "release", or an iteration number -> iter_NNNNNNN.
Result<std::string> tracked_folder(const fs::path& root) {
    auto read = read_small_file(root / kTracker, kMaxSmallTextBytes);
    if (!read) return Status(read.status().code(), read.status().message()).in_file(kTracker);
    std::string text = std::move(*read);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (text == "release") return text;
    if (text.empty() || text.size() > 15 || !std::all_of(text.begin(), text.end(), ::isdigit))
        return Status::corrupt("expected an iteration number or 'release', found '" + text.substr(0, 40) + "'")
            .in_file(kTracker);
    return megatron_iteration_folder(std::stoll(text));
}

Result<DcpFolder> resolve_folder(fs::path path) {
    if (!path.has_filename()) path = path.parent_path();  // "ckpt/iter_0000010/"
    std::error_code ec;
    if (fs::is_regular_file(path / kTracker, ec)) {
        STRATA_TRY(std::string folder, tracked_folder(path));
        if (!has_metadata(path / folder))
            return Status::not_found(std::string(kTracker) + " names folder '" + folder + "', which has no " +
                                     kMetadata)
                .in_file(path.string());
        return DcpFolder{path / folder, path};
    }
    if (has_metadata(path)) {
        // A Megatron iteration folder is shown as "iter_0000010/__0_0.distcp", a plain DCP folder by file name.
        const bool megatron = fs::is_regular_file(path / kMegatronJson, ec);
        return DcpFolder{path, megatron ? path.parent_path() : path};
    }
    return Status::not_found(std::string("not a DCP checkpoint: no ") + kMetadata + " and no " + kTracker)
        .in_file(path.string());
}

std::string display_of(const DcpFolder& f, const std::string& name) {
    return (f.dir / name).lexically_relative(f.base).string();
}

// Item files are named by the writer ("__0_0.distcp"); one that leaves the folder is refused.
bool safe_relative(const std::string& p) {
    if (p.empty() || p.front() == '/') return false;
    for (const auto& part : fs::path(p))
        if (part == "..") return false;
    return true;
}

enum class ItemKind { Model, Optimizer, ExtraState, RngState, CommonState };

// What a DCP key holds (Megatron keys, facts torch-dist.md §1.5; "optim." is what
// torch.distributed.checkpoint.state_dict's get_state_dict names optimizer state).
ItemKind kind_of(const std::string& key) {
    auto starts = [&](std::string_view p) { return key.rfind(p, 0) == 0; };
    if (starts("optimizer.") || starts("optim.")) return ItemKind::Optimizer;
    if (starts("rng_state")) return ItemKind::RngState;
    if (starts("common_state")) return ItemKind::CommonState;
    if (key.find("_extra_state") != std::string::npos) return ItemKind::ExtraState;
    return ItemKind::Model;
}

// The checkpoint being built: files mapped once, in first-use order.
struct Builder {
    DcpFolder folder;
    Checkpoint ckpt;
    std::map<std::string, uint32_t> file_index;

    Result<uint32_t> file(const std::string& relative, const std::string& key) {
        if (auto it = file_index.find(relative); it != file_index.end()) return it->second;
        if (!safe_relative(relative))
            return Status::corrupt("item file '" + relative + "' is outside the checkpoint folder")
                .in_file(display_of(folder, kMetadata))
                .in_tensor(key);
        const std::string display = display_of(folder, relative);
        std::error_code ec;
        if (!fs::is_regular_file(folder.dir / relative, ec))
            return Status::not_found(".metadata places this item in '" + relative + "', which does not exist")
                .in_file(display)
                .in_tensor(key);
        auto map = MappedFile::open(folder.dir / relative);
        if (!map) return Status(map.status().code(), map.status().message()).in_file(display).in_tensor(key);
        const auto index = static_cast<uint32_t>(ckpt.files.size());
        ckpt.files.push_back({folder.dir / relative, display, std::move(*map)});
        file_index.emplace(relative, index);
        return index;
    }

    // The item's byte range lies inside its file.
    Result<uint32_t> item_file(const dcp::StorageRef& s, const std::string& key) {
        STRATA_TRY(uint32_t f, file(s.relative_path, key));
        const CheckpointFile& cf = ckpt.files[f];
        const uint64_t size = cf.map->size();
        if (s.offset > size || s.length > size - s.offset)
            return Status::truncated("item [" + std::to_string(s.offset) + ", +" + std::to_string(s.length) +
                                     ") runs past the end of the file (" + std::to_string(size) + " bytes)")
                .in_file(cf.display_name)
                .in_tensor(key)
                .at_offset(s.offset);
        return f;
    }
};

// One chunk: its torch.save zip, the tensor inside it, checked against the metadata.
Result<TensorChunk> open_chunk(Builder& b, const dcp::TensorMeta& t, const dcp::ChunkMeta& c) {
    STRATA_TRY(uint32_t f, b.item_file(c.storage, t.key));
    const CheckpointFile& cf = b.ckpt.files[f];
    auto err = [&](Status s) { return s.in_tensor(t.key).in_file(cf.display_name).at_offset(c.storage.offset); };
    auto pt = torch_pt::load_pt_at(cf.map, c.storage.offset, c.storage.length, cf.display_name);
    if (!pt) return err(pt.status());
    auto info = torch_pt::pt_single_tensor(*pt, t.key, f);
    if (!info) return err(info.status());
    if (info->dtype != t.dtype)
        return err(Status::corrupt("chunk at " + shape_to_string(c.offsets) + " holds " +
                                   std::string(dtype_name(info->dtype)) + " but .metadata says " +
                                   std::string(dtype_name(t.dtype))));
    if (info->shape != c.sizes)
        return err(Status::corrupt("chunk at " + shape_to_string(c.offsets) + " holds a tensor of shape " +
                                   shape_to_string(info->shape) + " but .metadata says " + shape_to_string(c.sizes)));
    TensorChunk chunk;
    chunk.offsets = c.offsets;
    chunk.sizes = c.sizes;
    chunk.file = f;
    chunk.offset = info->location.offset;
    chunk.nbytes = info->location.nbytes;
    chunk.strides = info->location.strides;
    return chunk;
}

// Every chunk inside the global shape, no two overlapping, together covering it.
Status check_tiling(const dcp::TensorMeta& t, const std::string& display) {
    auto err = [&](const std::string& m) { return Status::corrupt(m).in_file(display).in_tensor(t.key); };
    STRATA_TRY(uint64_t total, numel(t.size));
    uint64_t covered = 0;
    for (size_t i = 0; i < t.chunks.size(); ++i) {
        const auto& c = t.chunks[i];
        for (size_t d = 0; d < t.size.size(); ++d)
            if (c.offsets[d] > t.size[d] || c.sizes[d] > t.size[d] - c.offsets[d])
                return err("chunk at " + shape_to_string(c.offsets) + " of size " + shape_to_string(c.sizes) +
                           " does not fit the global shape " + shape_to_string(t.size));
        covered += *numel(c.sizes);  // inside the global shape, so no overflow
        for (size_t j = 0; j < i; ++j) {
            const auto& o = t.chunks[j];
            bool overlap = *numel(c.sizes) > 0 && *numel(o.sizes) > 0;
            for (size_t d = 0; overlap && d < t.size.size(); ++d)
                overlap = c.offsets[d] < o.offsets[d] + o.sizes[d] && o.offsets[d] < c.offsets[d] + c.sizes[d];
            if (overlap)
                return err("chunks at " + shape_to_string(o.offsets) + " and " + shape_to_string(c.offsets) +
                           " overlap");
        }
        if (covered > total) break;
    }
    if (covered != total)
        return err("chunks cover " + std::to_string(covered) + " of the " + std::to_string(total) +
                   " elements of global shape " + shape_to_string(t.size) + " (missing chunks)");
    return Status::ok();
}

Result<TensorInfo> open_tensor(Builder& b, const dcp::TensorMeta& t) {
    STRATA_RETURN_IF_ERROR(check_tiling(t, display_of(b.folder, kMetadata)));
    TensorInfo info;
    info.name = t.key;
    info.dtype = t.dtype;
    info.shape = t.size;
    STRATA_TRY(uint64_t count, numel(t.size));
    STRATA_TRY(info.location.nbytes, bytes_for(t.dtype, count));
    std::vector<TensorChunk> chunks;
    for (const auto& c : t.chunks) {
        STRATA_TRY(TensorChunk chunk, open_chunk(b, t, c));
        chunks.push_back(std::move(chunk));
    }
    if (chunks.empty()) return info;  // an empty tensor (numel 0): no bytes anywhere
    info.location.file = chunks.front().file;
    info.location.offset = chunks.front().offset;
    if (chunks.size() == 1)  // the whole tensor in one piece: read in place, like any other format
        info.location.strides = std::move(chunks.front().strides);
    else
        info.location.chunks = std::move(chunks);
    return info;
}

// Megatron's common state (≤ core 0.18: common.pt; later: the common_state object, a
// torch.save([dict])): args become config, iteration and checkpoint_version metadata.
void take_common_state(const PickleValue& state, Checkpoint& ckpt) {
    const PickleValue* top = &state;
    if ((top->is(PickleValue::Kind::List) || top->is(PickleValue::Kind::Tuple)) && !top->items().empty())
        top = &top->items()[0];
    if (const PickleValue* args = top->get("args")) ckpt.config = args->to_json();
    for (const char* k : {"iteration", "checkpoint_version"})
        if (const PickleValue* v = top->get(k)) ckpt.metadata[k] = v->to_json();
}

Status read_common_pt(Builder& b) {
    std::error_code ec;
    const fs::path p = b.folder.dir / kCommonPt;
    if (!fs::is_regular_file(p, ec)) return Status::ok();
    STRATA_TRY(auto pt, torch_pt::load_pt(p, display_of(b.folder, kCommonPt)));
    take_common_state(pt.data, b.ckpt);
    b.ckpt.metadata["common_state"] = kCommonPt;
    return Status::ok();
}

Status read_common_object(Builder& b, const dcp::ObjectMeta& o) {
    STRATA_TRY(uint32_t f, b.item_file(o.storage, o.key));
    const CheckpointFile& cf = b.ckpt.files[f];
    auto pt = torch_pt::load_pt_at(cf.map, o.storage.offset, o.storage.length, cf.display_name);
    if (!pt) return pt.status().in_tensor(o.key);
    take_common_state(pt->data, b.ckpt);
    b.ckpt.metadata["common_state"] = o.key;
    return Status::ok();
}

Status read_megatron_json(Builder& b) {
    std::error_code ec;
    const fs::path p = b.folder.dir / kMegatronJson;
    if (!fs::is_regular_file(p, ec)) return Status::ok();
    const std::string display = display_of(b.folder, kMegatronJson);
    auto text = read_small_file(p, kMaxSmallTextBytes);
    if (!text) return Status(text.status().code(), text.status().message()).in_file(display);
    auto json = parse_json_bounded(*text);
    if (!json || !json->is_object())
        return Status::corrupt("not a JSON object" + (json ? std::string() : ": " + json.status().message()))
            .in_file(display);
    const std::string backend = json->value("sharded_backend", std::string());
    if (backend != "torch_dist")
        return Status::unsupported("sharded_backend is '" + backend + "'; Strata reads 'torch_dist'").in_file(display);
    b.ckpt.metadata["megatron"] = *json;
    return Status::ok();
}

}  // namespace

Result<Checkpoint> open_torch_dist(const fs::path& path) {
    Builder b;
    STRATA_TRY(b.folder, resolve_folder(path));
    b.ckpt.format = "torch_dist";
    b.ckpt.path = path;
    b.ckpt.config = nullptr;
    b.ckpt.metadata = nlohmann::json::object();
    STRATA_RETURN_IF_ERROR(read_megatron_json(b));

    const std::string md_display = display_of(b.folder, kMetadata);
    auto md_map = MappedFile::open(b.folder.dir / kMetadata);
    if (!md_map) return Status(md_map.status().code(), md_map.status().message()).in_file(md_display);
    STRATA_TRY(dcp::Metadata md, dcp::parse_metadata((*md_map)->all(), md_display));

    uint64_t optimizer_items = 0;
    std::map<std::string, uint64_t> skipped;
    auto other_objects = nlohmann::json::array();
    for (const auto& t : md.tensors) {
        if (kind_of(t.key) == ItemKind::Optimizer) {  // listed as present, not read or checked
            ++optimizer_items;
            continue;
        }
        auto info = open_tensor(b, t);
        if (!info) return info.status().in_file(md_display);
        b.ckpt.tensors.push_back(std::move(*info));
    }
    STRATA_RETURN_IF_ERROR(read_common_pt(b));
    for (const auto& o : md.objects) {
        switch (kind_of(o.key)) {
            case ItemKind::Optimizer:
                ++optimizer_items;
                break;
            case ItemKind::ExtraState:
                ++skipped["_extra_state"];
                break;
            case ItemKind::RngState:
                ++skipped["rng_state"];
                break;
            case ItemKind::CommonState:
                if (!b.ckpt.metadata.contains("common_state")) STRATA_RETURN_IF_ERROR(read_common_object(b, o));
                break;
            case ItemKind::Model:
                other_objects.push_back(o.key);
                break;
        }
    }
    auto& m = b.ckpt.metadata;
    m["dcp_version"] = md.version;
    m["metadata_class"] = md.class_name;
    if (b.folder.dir != b.folder.base) m["iteration_folder"] = b.folder.dir.filename().string();
    m["skipped_objects"] = skipped;
    if (!other_objects.empty()) m["objects_not_read"] = other_objects;
    m["optimizer_state"] = {{"items", optimizer_items}, {"read", false}};
    STRATA_RETURN_IF_ERROR(b.ckpt.finalize());
    return std::move(b.ckpt);
}

FormatHandler torch_dist_format() {
    FormatHandler h;
    h.name = "torch_dist";
    h.description = "PyTorch DCP folder (.metadata + *.distcp) or Megatron torch_dist checkpoint";
    h.sniff = [](const fs::path& p) {
        std::error_code ec;
        if (!fs::is_directory(p, ec)) return false;
        if (has_metadata(p)) return true;
        if (!fs::is_regular_file(p / kTracker, ec)) return false;
        auto folder = tracked_folder(p);  // a broken tracker is the Megatron reader's to report
        return folder && has_metadata(p / *folder);
    };
    h.open = open_torch_dist;
    return h;
}

}  // namespace strata
