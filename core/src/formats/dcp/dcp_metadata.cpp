// DCP .metadata: the unpickled records (torch/distributed/checkpoint/metadata.py,
// filesystem.py) turned into plain structs. Each DCP record is an Object whose attributes
// are its dataclass fields; TensorProperties keeps its __getstate__ tuple under "__state__"
// ((dtype, layout, requires_grad, memory_format, pin_memory[, strides]): 5 or 6 entries
// depending on the torch that wrote it) or, from very old torch, a plain field dict.
#include "formats/dcp/dcp_metadata.h"

#include <map>

#include "formats/torch_pt/pickle.h"
#include "strata/formats/pickle_value.h"

namespace strata::dcp {
namespace {

using K = PickleValue::Kind;

constexpr std::string_view kMetadataModule = "torch.distributed.checkpoint.metadata.";

// "torch.distributed.checkpoint.metadata.ChunkStorageMetadata" -> "ChunkStorageMetadata".
std::string_view class_of(const PickleValue& v) {
    if (!v.is(K::Object)) return {};
    std::string_view full = v.as_string();
    const auto dot = full.rfind('.');
    return dot == std::string_view::npos ? full : full.substr(dot + 1);
}

Status bad(const std::string& display, const std::string& key, const std::string& what) {
    Status s = Status::corrupt(what).in_file(display);
    return key.empty() ? s : s.in_tensor(key);
}

// torch.Size (unpickled as a tuple) or a list of non-negative ints.
Result<Shape> shape_of(const PickleValue* v, const std::string& display, const std::string& key, const char* field) {
    if (!v || (!v->is(K::Tuple) && !v->is(K::List)))
        return bad(display, key, std::string("'") + field + "' is not a torch.Size");
    Shape s;
    for (const auto& d : v->items()) {
        if (!d.is(K::Int) || d.as_int() < 0)
            return bad(display, key, std::string("'") + field + "' holds a negative or non-integer dim");
        s.push_back(static_cast<uint64_t>(d.as_int()));
    }
    return s;
}

Result<uint64_t> uint_of(const PickleValue* v, const std::string& display, const std::string& key, const char* field) {
    if (!v || !v->is(K::Int) || v->as_int() < 0)
        return bad(display, key, std::string("'") + field + "' is not a non-negative integer");
    return static_cast<uint64_t>(v->as_int());
}

// TensorProperties.dtype from either pickled form.
Result<DType> dtype_of(const PickleValue* props, const std::string& display, const std::string& key) {
    if (!props || class_of(*props) != "TensorProperties")
        return bad(display, key, "'properties' is not a TensorProperties");
    const PickleValue* dt = props->get("dtype");
    if (const PickleValue* state = props->get("__state__")) {
        if (!state->is(K::Tuple) || state->items().size() < 5 || state->items().size() > 6)
            return bad(display, key, "TensorProperties state is not a 5- or 6-tuple");
        dt = &state->items()[0];
    }
    if (!dt || !dt->is(K::Global) || dt->module() != "torch")
        return bad(display, key, "TensorProperties has no torch dtype");
    const std::string name = dt->as_string().substr(6);
    auto dtype = dtype_from_torch_name(name);
    if (!dtype) return Status::unsupported("dtype torch." + name + " is not supported").in_file(display).in_tensor(key);
    return *dtype;
}

Result<StorageRef> storage_of(const PickleValue& info, const std::string& display, const std::string& key) {
    if (class_of(info) != "_StorageInfo") return bad(display, key, "storage_data value is not a _StorageInfo");
    StorageRef r;
    const PickleValue* path = info.get("relative_path");
    if (!path || !path->is(K::String)) return bad(display, key, "_StorageInfo.relative_path is not a string");
    r.relative_path = path->as_string();
    STRATA_TRY(r.offset, uint_of(info.get("offset"), display, key, "offset"));
    STRATA_TRY(r.length, uint_of(info.get("length"), display, key, "length"));
    if (const PickleValue* t = info.get("transform_descriptors"); t && !t->is(K::None) && !t->items().empty())
        return Status::unsupported(
                   "item is stored with transforms (compression or extensions); Strata reads plain items")
            .in_file(display)
            .in_tensor(key);
    return r;
}

// storage_data key: "fqn" for objects, "fqn@[offsets]" for tensor chunks.
std::string index_key(const std::string& fqn, const Shape* offsets) {
    return offsets ? fqn + "@" + shape_to_string(*offsets) : fqn;
}

Result<std::map<std::string, StorageRef>> storage_index(const PickleValue& md, const std::string& display) {
    const PickleValue* data = md.get("storage_data");
    if (!data || !data->is(K::Dict)) return bad(display, "", "Metadata has no storage_data dict");
    std::map<std::string, StorageRef> index;
    for (const auto& [k, v] : data->entries()) {
        if (class_of(k) != "MetadataIndex") return bad(display, "", "storage_data key is not a MetadataIndex");
        const PickleValue* fqn = k.get("fqn");
        if (!fqn || !fqn->is(K::String)) return bad(display, "", "MetadataIndex.fqn is not a string");
        const std::string& key = fqn->as_string();
        const PickleValue* off = k.get("offset");
        std::string ikey = key;
        if (off && !off->is(K::None)) {
            STRATA_TRY(Shape offsets, shape_of(off, display, key, "offset"));
            ikey = index_key(key, &offsets);
        }
        STRATA_TRY(StorageRef ref, storage_of(v, display, key));
        if (!index.emplace(ikey, ref).second) return bad(display, key, "storage_data lists the same item twice");
    }
    return index;
}

Result<TensorMeta> tensor_of(const std::string& key, const PickleValue& v,
                             const std::map<std::string, StorageRef>& index, const std::string& display) {
    TensorMeta t;
    t.key = key;
    STRATA_TRY(t.dtype, dtype_of(v.get("properties"), display, key));
    STRATA_TRY(t.size, shape_of(v.get("size"), display, key, "size"));
    const PickleValue* chunks = v.get("chunks");
    if (!chunks || !chunks->is(K::List)) return bad(display, key, "'chunks' is not a list");
    for (const auto& c : chunks->items()) {
        if (class_of(c) != "ChunkStorageMetadata") return bad(display, key, "chunk is not a ChunkStorageMetadata");
        ChunkMeta chunk;
        STRATA_TRY(chunk.offsets, shape_of(c.get("offsets"), display, key, "offsets"));
        STRATA_TRY(chunk.sizes, shape_of(c.get("sizes"), display, key, "sizes"));
        if (chunk.offsets.size() != t.size.size() || chunk.sizes.size() != t.size.size())
            return bad(display, key,
                       "chunk at " + shape_to_string(chunk.offsets) + " of size " + shape_to_string(chunk.sizes) +
                           " has a different rank than the tensor " + shape_to_string(t.size));
        auto it = index.find(index_key(key, &chunk.offsets));
        if (it == index.end())
            return bad(display, key, "no storage_data entry for the chunk at " + shape_to_string(chunk.offsets));
        chunk.storage = it->second;
        t.chunks.push_back(std::move(chunk));
    }
    return t;
}

}  // namespace

Result<Metadata> parse_metadata(std::span<const std::byte> bytes, const std::string& display) {
    STRATA_TRY(PickleValue md, torch_pt::unpickle(bytes, display, 0, torch_pt::PickleGlobals::DcpMetadata));
    Metadata m;
    m.class_name = md.is(K::Object) ? md.as_string() : std::string();
    // Megatron <= 0.15 pickles its own subclass (MCoreMetadata) with the same fields.
    const bool torch_class = m.class_name == std::string(kMetadataModule) + "Metadata";
    if (!torch_class && (!md.is(K::Object) || !md.get("state_dict_metadata")))
        return bad(display, "",
                   "not a DCP Metadata pickle (top object is " +
                       (md.is(K::Object) ? "'" + m.class_name + "'" : std::string("not an object")) + ")");
    if (const PickleValue* v = md.get("version"); v && v->is(K::String)) m.version = v->as_string();
    m.has_local_plans = md.get("all_local_plans") != nullptr;
    STRATA_TRY(auto index, storage_index(md, display));
    const PickleValue* sdm = md.get("state_dict_metadata");
    if (!sdm || !sdm->is(K::Dict)) return bad(display, "", "Metadata has no state_dict_metadata dict");
    for (const auto& [k, v] : sdm->entries()) {
        if (!k.is(K::String)) return bad(display, "", "state_dict_metadata key is not a string");
        const std::string& key = k.as_string();
        const auto cls = class_of(v);
        if (cls == "BytesStorageMetadata") {
            auto it = index.find(key);
            if (it == index.end()) return bad(display, key, "no storage_data entry for this object");
            m.objects.push_back({key, it->second});
        } else if (cls == "TensorStorageMetadata") {
            STRATA_TRY(TensorMeta t, tensor_of(key, v, index, display));
            m.tensors.push_back(std::move(t));
        } else {
            return bad(display, key,
                       "state_dict_metadata value is neither TensorStorageMetadata nor BytesStorageMetadata");
        }
    }
    return m;
}

}  // namespace strata::dcp
