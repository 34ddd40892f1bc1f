// Writer side of torch .pt: the pickle and every record's place are planned in begin()
// (records in torch's order: data.pkl, byteorder, data/0..N-1, version), so write()
// only pwrites a tensor and its data descriptor, and finish() the central directory.
#include <set>

#include "formats/torch_pt/pickle.h"
#include "formats/torch_pt/zip.h"
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

}  // namespace

TorchPtWriter::TorchPtWriter(fs::path file, TorchPtWriterOptions options)
    : file_(std::move(file)), options_(std::move(options)) {
    if (options_.archive_name.empty()) options_.archive_name = file_.stem().string();
    if (options_.archive_name.empty()) options_.archive_name = "archive";
}

Status TorchPtWriter::begin(const std::vector<TensorEntry>& entries) {
    entries_ = entries;
    std::set<std::string> names;
    for (const auto& e : entries_) {
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
        STRATA_TRY(auto bound, bind_extra(value, entries_, used, 0));
        top.emplace_back(PickleValue::string(key), std::move(bound));
    }
    std::vector<PickleValue::Item> state;
    for (size_t i = 0; i < entries_.size(); ++i) {
        if (used.count(i)) continue;
        PickleTensorRef ref;
        ref.entry = i;
        ref.dtype = entries_[i].dtype;
        ref.shape = entries_[i].shape;
        state.emplace_back(PickleValue::string(entries_[i].name), PickleValue::tensor(std::move(ref)));
    }
    PickleValue state_dict = PickleValue::dict(std::move(state), true);
    PickleValue root = state_dict;
    if (!options_.tensors_key.empty()) {
        top.emplace_back(PickleValue::string(options_.tensors_key), std::move(state_dict));
        root = PickleValue::dict(std::move(top));
    }
    STRATA_TRY(auto pickled, torch_pt::pickle(root, options_.weights_only_safe));

    // Plan: data.pkl, byteorder, data/<key> in key order, version (torch's order).
    const std::string& r = options_.archive_name;
    records_.clear();
    records_.push_back({r + "/data.pkl", pickled.bytes.size()});
    if (options_.write_byteorder) records_.push_back({r + "/byteorder", 6});
    entry_record_.assign(entries_.size(), SIZE_MAX);
    for (size_t k = 0; k < pickled.storage_entries.size(); ++k) {
        entry_record_[pickled.storage_entries[k]] = records_.size();
        records_.push_back({r + "/data/" + std::to_string(k), entries_[pickled.storage_entries[k]].byte_size()});
    }
    records_.push_back({r + "/version", 2});
    std::vector<std::string> headers;
    uint64_t cursor = 0;
    for (auto& rec : records_) {
        torch_pt::ZipWriteRecord z{rec.name, rec.size};
        headers.push_back(torch_pt::zip_local_header(z, cursor));
        rec.header_offset = z.header_offset;
        rec.data_offset = z.data_offset;
        rec.end_offset = z.end_offset;
        cursor = z.end_offset;
    }
    central_offset_ = cursor;
    std::vector<torch_pt::ZipWriteRecord> zrecords;
    for (const auto& rec : records_) zrecords.push_back({rec.name, rec.size, rec.header_offset});
    file_size_ = central_offset_ + torch_pt::zip_central_directory(zrecords, central_offset_).size();

    STRATA_TRY(auto out, OutputFile::create(file_));
    out_.emplace(std::move(out));
    STRATA_RETURN_IF_ERROR(out_->truncate(file_size_));
    for (size_t i = 0; i < records_.size(); ++i)
        STRATA_RETURN_IF_ERROR(out_->write_at(records_[i].header_offset, std::as_bytes(std::span(headers[i]))));
    STRATA_RETURN_IF_ERROR(write_small_record(0, pickled.bytes));
    if (options_.write_byteorder) STRATA_RETURN_IF_ERROR(write_small_record(1, "little"));
    STRATA_RETURN_IF_ERROR(write_small_record(records_.size() - 1, "3\n"));
    written_.assign(entries_.size(), 0);
    return Status::ok();
}

Status TorchPtWriter::write_small_record(size_t index, const std::string& bytes) {
    Record& rec = records_[index];
    const auto span = std::as_bytes(std::span(bytes));
    rec.crc = torch_pt::crc32(span);
    STRATA_RETURN_IF_ERROR(out_->write_at(rec.data_offset, span));
    torch_pt::ZipWriteRecord z{rec.name, rec.size, rec.header_offset, rec.data_offset, rec.end_offset, rec.crc};
    const std::string descriptor = torch_pt::zip_data_descriptor(z);
    return out_->write_at(rec.data_offset + rec.size, std::as_bytes(std::span(descriptor)));
}

Status TorchPtWriter::write(size_t index, std::span<const std::byte> bytes) {
    if (!out_ || index >= entries_.size()) return Status::internal("tensor index out of range or writer not begun");
    Record& rec = records_[entry_record_[index]];
    if (bytes.size() != rec.size)
        return Status::internal("tensor has " + std::to_string(bytes.size()) + " bytes, planned " + std::to_string(rec.size))
            .in_tensor(entries_[index].name);
    const uint32_t crc = torch_pt::crc32(bytes);
    STRATA_RETURN_IF_ERROR(out_->write_at(rec.data_offset, bytes));
    torch_pt::ZipWriteRecord z{rec.name, rec.size, rec.header_offset, rec.data_offset, rec.end_offset, crc};
    const std::string descriptor = torch_pt::zip_data_descriptor(z);
    STRATA_RETURN_IF_ERROR(out_->write_at(rec.data_offset + rec.size, std::as_bytes(std::span(descriptor))));
    std::lock_guard lock(mutex_);
    rec.crc = crc;
    written_[index] = 1;
    return Status::ok();
}

Status TorchPtWriter::finish() {
    if (!out_) return Status::internal("finish() before begin()");
    for (size_t i = 0; i < entries_.size(); ++i)
        if (!written_[i]) return Status::internal("tensor was never written").in_tensor(entries_[i].name);
    std::vector<torch_pt::ZipWriteRecord> zrecords;
    for (const auto& rec : records_)
        zrecords.push_back({rec.name, rec.size, rec.header_offset, rec.data_offset, rec.end_offset, rec.crc});
    const std::string tail = torch_pt::zip_central_directory(zrecords, central_offset_);
    STRATA_RETURN_IF_ERROR(out_->write_at(central_offset_, std::as_bytes(std::span(tail))));
    return out_->close();
}

}  // namespace strata
