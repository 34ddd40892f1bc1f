// Writer side of torch .pt: the pickle and every record's place are planned in begin()
// (records in torch's order: data.pkl, byteorder, data/0..N-1, version), so write()
// only pwrites a tensor and its data descriptor, and finish() the central directory.
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "formats/torch_pt/pickle.h"
#include "formats/torch_pt/pt_archive.h"
#include "strata/formats/torch_pt.h"

namespace strata {
namespace fs = std::filesystem;
namespace {

using K = PickleValue::Kind;

// Copies an `extra` value, filling each tensor's dtype and shape from its entry.
Result<PickleValue> bind_extra(const PickleValue& v, const std::vector<TensorEntry>& entries, std::set<size_t>& used, int depth) {
    if (depth > kPickleMaxDepth) return Status::invalid_argument("extra value nested too deep");
    switch (v.kind()) {
        case K::Tensor: {
            PickleTensorRef ref = v.tensor_ref();
            if (ref.entry >= entries.size())
                return Status::invalid_argument("extra tensor value names entry " + std::to_string(ref.entry) +
                                                " but there are " + std::to_string(entries.size()));
            if (!used.insert(ref.entry).second)
                return Status::invalid_argument("entry is placed twice").in_tensor(entries[ref.entry].name);
            ref.dtype = entries[ref.entry].dtype;
            ref.shape = entries[ref.entry].shape;
            return PickleValue::tensor(std::move(ref));
        }
        case K::List:
        case K::Tuple: {
            std::vector<PickleValue> items;
            for (const auto& e : v.items()) {
                STRATA_TRY(auto b, bind_extra(e, entries, used, depth + 1));
                items.push_back(std::move(b));
            }
            return v.is(K::List) ? PickleValue::list(std::move(items)) : PickleValue::tuple(std::move(items));
        }
        case K::Dict:
        case K::Namespace: {
            std::vector<PickleValue::Item> items;
            for (const auto& [k, e] : v.entries()) {
                STRATA_TRY(auto b, bind_extra(e, entries, used, depth + 1));
                items.emplace_back(k, std::move(b));
            }
            PickleValue d = PickleValue::dict(std::move(items), v.is_ordered_dict());
            if (v.is(K::Namespace)) {
                std::vector<std::pair<std::string, PickleValue>> attrs;
                for (auto& [k, e] : d.entries()) attrs.emplace_back(k.as_string(), e);
                return PickleValue::namespace_(std::move(attrs));
            }
            return d;
        }
        default: return v;
    }
}

// "model1.decoder.x" -> ("model1", "decoder.x").
std::optional<std::pair<std::string, std::string>> model_chunk_of(const std::string& name) {
    if (name.rfind("model", 0) != 0) return std::nullopt;
    size_t digits = 5;
    while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
    if (digits == 5 || digits >= name.size() || name[digits] != '.') return std::nullopt;
    return std::make_pair(name.substr(0, digits), name.substr(digits + 1));
}

}  // namespace

TorchPtWriter::TorchPtWriter(fs::path file, TorchPtWriterOptions options)
    : file_(std::move(file)), options_(std::move(options)) {
    if (options_.archive_name.empty()) options_.archive_name = file_.stem().string();
    if (options_.archive_name.empty()) options_.archive_name = "archive";
}

TorchPtWriter::~TorchPtWriter() = default;

Status TorchPtWriter::begin(const std::vector<TensorEntry>& entries) {
    std::set<std::string> names;
    for (const auto& e : entries) {
        if (!names.insert(e.name).second) return Status::invalid_argument("duplicate tensor name").in_tensor(e.name);
        auto count = numel(e.shape);
        if (!count) return count.status().in_tensor(e.name);
        auto bytes = bytes_for(e.dtype, *count);
        if (!bytes) return bytes.status().in_tensor(e.name);
        if (dtype_size(e.dtype) == 0)
            return Status::unsupported("sub-byte dtype " + std::string(dtype_name(e.dtype)) + " cannot be stored in a .pt file")
                .in_tensor(e.name);
    }
    if (options_.tensors_key.empty() && !options_.extra.empty())
        return Status::invalid_argument("extra top-level entries need a tensors_key (the file would be a bare state dict)");

    // The pickled object: {extra..., tensors_key: OrderedDict(name -> tensor)} or the OrderedDict itself.
    std::set<size_t> used;
    std::vector<PickleValue::Item> top;
    for (const auto& [key, value] : options_.extra) {
        if (key == options_.tensors_key) return Status::invalid_argument("extra entry '" + key + "' clashes with tensors_key");
        STRATA_TRY(auto bound, bind_extra(value, entries, used, 0));
        top.emplace_back(PickleValue::string(key), std::move(bound));
    }
    std::vector<PickleValue::Item> state;
    std::vector<std::pair<std::string, std::vector<PickleValue::Item>>> chunks;  // model<v> -> its state
    for (size_t i = 0; i < entries.size(); ++i) {
        if (used.count(i)) continue;
        PickleTensorRef ref;
        ref.entry = i;
        ref.dtype = entries[i].dtype;
        ref.shape = entries[i].shape;
        std::string name = entries[i].name;
        std::vector<PickleValue::Item>* into = &state;
        if (const auto chunk = options_.model_chunks ? model_chunk_of(name) : std::nullopt) {
            auto it = std::find_if(chunks.begin(), chunks.end(), [&](const auto& c) { return c.first == chunk->first; });
            if (it == chunks.end()) it = chunks.insert(chunks.end(), {chunk->first, {}});
            into = &it->second;
            name = chunk->second;
        }
        into->emplace_back(PickleValue::string(name), PickleValue::tensor(std::move(ref)));
    }
    if (!chunks.empty() && options_.tensors_key.empty())
        return Status::invalid_argument("model chunks need a tensors_key (the file is a dict of them)");
    PickleValue state_dict = PickleValue::dict(std::move(state), true);
    PickleValue root = state_dict;
    if (!options_.tensors_key.empty()) {
        if (chunks.empty() || !state_dict.entries().empty())
            top.emplace_back(PickleValue::string(options_.tensors_key), std::move(state_dict));
        for (auto& [key, items] : chunks)
            top.emplace_back(PickleValue::string(key), PickleValue::dict(std::move(items), true));
        root = PickleValue::dict(std::move(top));
    }
    STRATA_TRY(auto archive, torch_pt::PtArchive::plan(root, entries, options_.archive_name,
                                                       {options_.weights_only_safe, options_.write_byteorder}));
    archive_ = std::make_unique<torch_pt::PtArchive>(std::move(archive));
    file_size_ = archive_->size();
    STRATA_TRY(auto out, OutputFile::create(file_));
    out_.emplace(std::move(out));
    STRATA_RETURN_IF_ERROR(out_->truncate(file_size_));
    return archive_->write_start(*out_, 0);
}

Status TorchPtWriter::write(size_t index, std::span<const std::byte> bytes) {
    if (!out_ || !archive_) return Status::internal("writer not begun");
    return archive_->write_tensor(*out_, 0, index, bytes);
}

Status TorchPtWriter::finish() {
    if (!out_ || !archive_) return Status::internal("finish() before begin()");
    STRATA_RETURN_IF_ERROR(archive_->write_end(*out_, 0));
    return out_->close();
}

}  // namespace strata
