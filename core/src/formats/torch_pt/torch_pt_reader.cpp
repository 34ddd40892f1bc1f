// Reader side of torch .pt: zip + torch records checks (caffe2/serialize/
// inline_container.cc PyTorchStreamReader::init rules), the restricted unpickler,
// then every tensor checked against its storage record and turned into a TensorInfo.
#include <algorithm>
#include <cstring>

#include "formats/torch_pt/pickle.h"
#include "formats/torch_pt/torch_pt_internal.h"
#include "strata/formats/torch_pt.h"

namespace strata {
namespace fs = std::filesystem;

namespace torch_pt {
namespace {

using K = PickleValue::Kind;

// Pickled magic number that opens pre-1.6 (non-zip) torch.save files (torch/serialization.py MAGIC_NUMBER).
constexpr unsigned char kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int kMaxVersion = 10;  // inline_container.h kMaxSupportedFileFormatVersion (torch 2.x)

std::string_view record_text(const LoadedPt& pt, const ZipRecord& r) {
    return {reinterpret_cast<const char*>(pt.map->data() + r.data_offset), static_cast<size_t>(r.size)};
}

Status check_stored(const LoadedPt& pt, const ZipRecord& r) {
    if (r.method != 0)
        return Status::unsupported("record '" + r.name + "' is compressed (method " + std::to_string(r.method) +
                                   "); Strata reads only stored records, as torch.save writes them")
            .in_file(pt.display)
            .at_offset(r.header_offset);
    return Status::ok();
}

Result<const ZipRecord*> required(const LoadedPt& pt, const std::string& name) {
    const ZipRecord* r = pt.zip.find(pt.root + "/" + name);
    if (!r) return Status::corrupt("missing record '" + pt.root + "/" + name + "'").in_file(pt.display);
    STRATA_RETURN_IF_ERROR(check_stored(pt, *r));
    return r;
}

std::string key_name(const PickleValue& k) {
    switch (k.kind()) {
        case K::String: return k.as_string();
        case K::Int: return std::to_string(k.as_int());
        default: return k.to_json().dump();
    }
}

// One tensor: its storage record exists and is stored, the storage's declared size
// matches the record, and the view (offset, shape, strides) fits inside it.
Result<TensorInfo> resolve(const LoadedPt& pt, const PickleTensorRef& t, const std::string& name, uint32_t file_index) {
    auto err = [&](Status s) { return s.in_tensor(name).in_file(pt.display); };
    const std::string record_name = pt.root + "/data/" + t.storage.key;
    const ZipRecord* rec = pt.zip.find(record_name);
    if (!rec) return err(Status::corrupt("storage '" + t.storage.key + "' has no record '" + record_name + "'"));
    STRATA_RETURN_IF_ERROR(check_stored(pt, *rec).in_tensor(name));
    const uint64_t storage_elem = t.storage.untyped ? 1 : dtype_size(t.storage.dtype);
    if (t.storage.numel > UINT64_MAX / storage_elem)
        return err(Status::corrupt("storage '" + t.storage.key + "' size overflows").at_offset(rec->data_offset));
    const uint64_t storage_bytes = t.storage.numel * storage_elem;
    if (storage_bytes != rec->size)
        return err(Status::corrupt("storage '" + t.storage.key + "' declares " + std::to_string(storage_bytes) +
                                   " bytes but record '" + record_name + "' holds " + std::to_string(rec->size))
                       .at_offset(rec->data_offset));
    const uint64_t elem = dtype_size(t.dtype);
    auto count_result = numel(t.shape);
    if (!count_result) return err(count_result.status());
    const uint64_t count = *count_result;
    auto bytes = bytes_for(t.dtype, count);
    if (!bytes) return err(bytes.status());
    // Highest element index the view touches, overflow-checked.
    uint64_t last = t.storage_offset;
    bool overflow = false;
    if (count > 0)
        for (size_t d = 0; d < t.shape.size(); ++d) {
            const uint64_t step = static_cast<uint64_t>(t.strides[d]);
            const uint64_t span = t.shape[d] - 1;
            if (step != 0 && span > (UINT64_MAX - last) / step) overflow = true;
            else last += span * step;
        }
    const uint64_t start_byte = std::min(t.storage_offset, rec->size / std::max<uint64_t>(elem, 1)) * elem;
    if (overflow || (count > 0 && (last >= UINT64_MAX / elem || (last + 1) * elem > storage_bytes)) ||
        (count == 0 && t.storage_offset > storage_bytes / elem))
        return err(Status::corrupt("view (offset " + std::to_string(t.storage_offset) + ", shape " +
                                   shape_to_string(t.shape) + ") runs past storage '" + t.storage.key + "' of " +
                                   std::to_string(storage_bytes) + " bytes")
                       .at_offset(rec->data_offset + start_byte));
    TensorInfo info;
    info.name = name;
    info.dtype = t.dtype;
    info.shape = t.shape;
    info.location.file = file_index;
    info.location.offset = rec->data_offset + t.storage_offset * elem;
    info.location.nbytes = *bytes;
    // Row-major strides (dims of size 1 may hold any stride, as in torch's is_contiguous).
    int64_t expect = 1;
    bool contiguous = true;
    for (size_t d = t.shape.size(); d-- > 0;) {
        if (t.shape[d] != 1 && t.strides[d] != expect) contiguous = false;
        expect *= static_cast<int64_t>(t.shape[d]);
    }
    if (!contiguous && count > 0) info.location.strides = t.strides;
    return info;
}

// Walks a value, resolving every tensor; those with `out` set are listed.
Status walk(const LoadedPt& pt, const PickleValue& v, const std::string& name, int depth, uint32_t file_index,
            const RankCoord& rank, std::vector<TensorInfo>* out) {
    if (depth > kPickleMaxDepth)
        return Status::corrupt("pickle nests deeper than " + std::to_string(kPickleMaxDepth) + " levels").in_file(pt.display);
    auto child = [&](const std::string& k) { return name.empty() ? k : name + "." + k; };
    switch (v.kind()) {
        case K::Tensor: {
            STRATA_TRY(TensorInfo info, resolve(pt, v.tensor_ref(), name.empty() ? "tensor" : name, file_index));
            info.rank = rank;
            if (out) out->push_back(std::move(info));
            return Status::ok();
        }
        case K::Dict:
        case K::Namespace:
            for (const auto& [k, e] : v.entries())
                STRATA_RETURN_IF_ERROR(walk(pt, e, child(key_name(k)), depth + 1, file_index, rank, out));
            return Status::ok();
        case K::List:
        case K::Tuple:
            for (size_t i = 0; i < v.items().size(); ++i)
                STRATA_RETURN_IF_ERROR(walk(pt, v.items()[i], child(std::to_string(i)), depth + 1, file_index, rank, out));
            return Status::ok();
        default: return Status::ok();
    }
}

bool is_vpp_key(const std::string& k) {
    if (k.size() <= 5 || k.rfind("model", 0) != 0) return false;
    for (size_t i = 5; i < k.size(); ++i)
        if (k[i] < '0' || k[i] > '9') return false;
    return true;
}

}  // namespace

Result<LoadedPt> load_pt(const fs::path& path, const std::string& display) {
    auto map = MappedFile::open(path);
    if (!map) return Status(map.status().code(), map.status().message()).in_file(display);
    const uint64_t size = (*map)->size();
    return load_pt_at(std::move(*map), 0, size, display);
}

Result<LoadedPt> load_pt_at(std::shared_ptr<MappedFile> map, uint64_t offset, uint64_t length, const std::string& display) {
    LoadedPt pt;
    pt.display = display;
    pt.map = std::move(map);
    if (offset > pt.map->size() || length > pt.map->size() - offset)
        return Status::truncated("archive [" + std::to_string(offset) + ", +" + std::to_string(length) +
                                 ") runs past the end of the file (" + std::to_string(pt.map->size()) + " bytes)")
            .in_file(display)
            .at_offset(offset);
    const auto archive = pt.map->all().subspan(offset, length);
    const uint64_t size = length;
    // A whole-file error has no offset; one about an archive inside a larger file says where it starts.
    const bool embedded = offset != 0 || length != pt.map->size();
    auto whole = [&](Status st) { return embedded ? st.in_file(display).at_offset(offset) : st.in_file(display); };
    if (size >= sizeof kLegacyMagic && std::memcmp(archive.data(), kLegacyMagic, sizeof kLegacyMagic) == 0)
        return whole(Status::unsupported("legacy (pre-1.6, non-zip) torch.save format; re-save it with torch >= 1.6"));
    if (size >= 8 && std::memcmp(archive.data(), "PYTORCH1", 8) == 0)
        return whole(Status::unsupported("the 'PYTORCH1' preview format is not supported"));
    STRATA_TRY(pt.zip, read_zip(archive, offset, display));
    if (pt.zip.records.empty()) return Status::corrupt("archive has no records").in_file(display);
    // inline_container.cc: the root is the first record's folder; all records share it.
    const std::string& first = pt.zip.records.front().name;
    const auto slash = first.find('/');
    if (slash == std::string::npos || slash == 0)
        return Status::corrupt("first record '" + first + "' is not inside an archive folder").in_file(display);
    pt.root = first.substr(0, slash);
    for (const auto& r : pt.zip.records)
        if (r.name.compare(0, slash + 1, first, 0, slash + 1) != 0)
            return Status::corrupt("record '" + r.name + "' is outside the archive folder '" + pt.root + "/'")
                .in_file(display)
                .at_offset(r.header_offset);

    const ZipRecord* version = pt.zip.find(pt.root + "/version");
    if (!version) version = pt.zip.find(pt.root + "/.data/version");
    if (!version) return Status::corrupt("missing record '" + pt.root + "/version' (torch requires it)").in_file(display);
    STRATA_RETURN_IF_ERROR(check_stored(pt, *version));
    std::string vtext(record_text(pt, *version));
    while (!vtext.empty() && (vtext.back() == '\n' || vtext.back() == ' ' || vtext.back() == '\r')) vtext.pop_back();
    int v = 0;
    bool digits = !vtext.empty() && vtext.size() < 6;
    for (char c : vtext) {
        if (c < '0' || c > '9') digits = false;
        else v = v * 10 + (c - '0');
    }
    if (!digits) return Status::corrupt("record '" + version->name + "' is not an integer").in_file(display).at_offset(version->data_offset);
    if (v < 1 || v > kMaxVersion)
        return Status::unsupported("archive format version " + std::to_string(v) + " is outside [1, " +
                                   std::to_string(kMaxVersion) + "]")
            .in_file(display)
            .at_offset(version->data_offset);
    if (const ZipRecord* bo = pt.zip.find(pt.root + "/byteorder")) {
        STRATA_RETURN_IF_ERROR(check_stored(pt, *bo));
        if (record_text(pt, *bo) != "little")
            return Status::unsupported("byteorder is '" + std::string(record_text(pt, *bo)) + "'; only little-endian archives are supported")
                .in_file(display)
                .at_offset(bo->data_offset);
    }
    STRATA_TRY(const ZipRecord* pkl, required(pt, "data.pkl"));
    const auto bytes = pt.map->all().subspan(pkl->data_offset, pkl->size);
    if (crc32(bytes) != pkl->crc)
        return Status::corrupt("record '" + pkl->name + "' fails its CRC-32 check").in_file(display).at_offset(pkl->data_offset);
    STRATA_TRY(pt.data, unpickle(bytes, display, pkl->data_offset));
    return pt;
}

Result<PtContents> pt_contents(const LoadedPt& pt, uint32_t file_index, const RankCoord& rank) {
    PtContents c;
    c.config = nullptr;
    c.metadata = nlohmann::json::object();
    const PickleValue& top = pt.data;
    const PickleValue* model = top.is(K::Dict) ? top.get("model") : nullptr;
    bool megatron = model && (model->is(K::Dict));
    std::vector<std::string> vpp_keys;
    if (top.is(K::Dict) && !megatron) {
        for (const auto& [k, v] : top.entries())
            if (k.is(K::String) && is_vpp_key(k.as_string()) && v.is(K::Dict)) vpp_keys.push_back(k.as_string());
        megatron = !vpp_keys.empty();
    }
    if (!megatron) {
        STRATA_RETURN_IF_ERROR(walk(pt, top, "", 0, file_index, rank, &c.tensors));
        return c;
    }
    auto keys = nlohmann::json::array();
    for (const auto& [k, v] : top.entries()) {
        const std::string key = key_name(k);
        keys.push_back(key);
        const bool listed = key == "model" || std::find(vpp_keys.begin(), vpp_keys.end(), key) != vpp_keys.end();
        const std::string prefix = key == "model" ? "" : key;
        STRATA_RETURN_IF_ERROR(walk(pt, v, listed ? prefix : key, 1, file_index, rank, listed ? &c.tensors : nullptr));
        if (key == "args") c.config = v.to_json();
        else if (key == "iteration" || key == "checkpoint_version" || key == "num_floating_point_operations_so_far")
            c.metadata[key] = v.to_json();
    }
    c.metadata["keys"] = keys;
    if (!vpp_keys.empty()) c.metadata["vpp"] = vpp_keys.size();
    return c;
}

Result<TensorInfo> pt_single_tensor(const LoadedPt& pt, const std::string& name, uint32_t file_index) {
    if (!pt.data.is(K::Tensor))
        return Status::corrupt("archive holds a " + pt.data.to_json().dump().substr(0, 60) + ", not a single tensor")
            .in_tensor(name)
            .in_file(pt.display);
    return resolve(pt, pt.data.tensor_ref(), name, file_index);
}

}  // namespace torch_pt

Result<PickleValue> read_torch_pt_pickle(const fs::path& path) {
    STRATA_TRY(auto pt, torch_pt::load_pt(path, path.filename().string()));
    STRATA_TRY(auto contents, torch_pt::pt_contents(pt, 0, {}));  // validates every tensor
    (void)contents;
    return pt.data;
}

Result<Checkpoint> open_torch_pt(const fs::path& path) {
    const std::string display = path.filename().string();
    STRATA_TRY(auto pt, torch_pt::load_pt(path, display));
    STRATA_TRY(auto contents, torch_pt::pt_contents(pt, 0, {}));
    Checkpoint ckpt;
    ckpt.format = "torch";
    ckpt.path = path;
    ckpt.files.push_back({path, display, pt.map});
    ckpt.tensors = std::move(contents.tensors);
    ckpt.config = std::move(contents.config);
    ckpt.metadata = std::move(contents.metadata);
    ckpt.metadata["archive"] = pt.root;
    STRATA_RETURN_IF_ERROR(ckpt.finalize());
    return ckpt;
}

FormatHandler torch_pt_format() {
    FormatHandler h;
    h.name = "torch";
    h.description = "torch.save .pt/.pth/.bin file (zip of stored records + pickle)";
    h.sniff = [](const fs::path& p) {
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) return false;
        auto map = MappedFile::open(p);
        if (!map || (*map)->size() < 4) return false;
        const auto* d = reinterpret_cast<const unsigned char*>((*map)->data());
        if (d[0] == 'P' && d[1] == 'K' && d[2] == 3 && d[3] == 4) return true;
        return (*map)->size() >= sizeof torch_pt::kLegacyMagic &&
               std::memcmp(d, torch_pt::kLegacyMagic, sizeof torch_pt::kLegacyMagic) == 0;
    };
    h.open = open_torch_pt;
    return h;
}

}  // namespace strata
