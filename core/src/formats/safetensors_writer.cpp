// Writer side of safetensors: plans every file up front, then accepts tensors in
// any order (pwrite into their planned offsets), then writes the index.
#include <algorithm>

#include "strata/formats/safetensors.h"
#include "strata/formats/hf_config_files.h"

namespace strata {
namespace fs = std::filesystem;

uint64_t TensorEntry::byte_size() const {
    auto n = numel(shape);
    if (!n) return 0;
    auto b = bytes_for(dtype, *n);
    return b ? *b : 0;
}

namespace {

std::string shard_name(const std::string& base, size_t i, size_t n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "-%05zu-of-%05zu.safetensors", i + 1, n);
    return base + buf;
}

Status plan_file(const std::vector<TensorEntry>& entries, const SafetensorsWriterOptions& options,
                 SafetensorsFilePlan& plan) {
    // Reference writer order (safetensors tensor.rs `prepare`): descending alignment, then name.
    std::stable_sort(plan.entries.begin(), plan.entries.end(), [&](size_t a, size_t b) {
        const auto ba = dtype_bits(entries[a].dtype), bb = dtype_bits(entries[b].dtype);
        return ba != bb ? ba > bb : entries[a].name < entries[b].name;
    });
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!options.metadata.empty()) {
        auto& meta = header["__metadata__"];
        for (const auto& [k, v] : options.metadata) meta[k] = v;
    }
    uint64_t offset = 0;
    for (size_t i : plan.entries) {
        const auto& e = entries[i];
        if (e.name == "__metadata__")
            return Status::invalid_argument("a tensor may not be named __metadata__").in_tensor(e.name);
        STRATA_TRY(uint64_t count, numel(e.shape));
        auto bytes = bytes_for(e.dtype, count);
        if (!bytes) return bytes.status().in_tensor(e.name);
        plan.data_offsets.push_back(offset);
        header[e.name] = {{"dtype", std::string(dtype_name(e.dtype))},
                          {"shape", e.shape},
                          {"data_offsets", {offset, offset + *bytes}}};
        offset += *bytes;
    }
    plan.header = header.dump();
    plan.header.append((8 - plan.header.size() % 8) % 8, ' ');
    if (plan.header.size() > kSafetensorsMaxHeader)
        return Status::invalid_argument("header would exceed 100000000 bytes").in_file(plan.file_name);
    plan.data_start = 8 + plan.header.size();
    plan.file_size = plan.data_start + offset;
    return Status::ok();
}

}  // namespace

Result<std::vector<SafetensorsFilePlan>> plan_safetensors(const std::vector<TensorEntry>& entries,
                                                          const SafetensorsWriterOptions& options) {
    std::vector<std::vector<size_t>> groups;
    uint64_t current = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const uint64_t size = entries[i].byte_size();
        if (groups.empty() || (current > 0 && current + size > options.max_shard_bytes)) {
            groups.emplace_back();
            current = 0;
        }
        groups.back().push_back(i);
        current += size;
    }
    if (groups.empty()) groups.emplace_back();
    std::vector<SafetensorsFilePlan> plans(groups.size());
    for (size_t g = 0; g < groups.size(); ++g) {
        plans[g].file_name =
            groups.size() == 1 ? options.base_name + ".safetensors" : shard_name(options.base_name, g, groups.size());
        plans[g].entries = std::move(groups[g]);
        STRATA_RETURN_IF_ERROR(plan_file(entries, options, plans[g]));
    }
    return plans;
}

SafetensorsWriter::SafetensorsWriter(fs::path folder, SafetensorsWriterOptions options)
    : folder_(std::move(folder)), options_(std::move(options)) {}

Status SafetensorsWriter::begin(const std::vector<TensorEntry>& entries) {
    entries_ = entries;
    STRATA_TRY(plans_, plan_safetensors(entries_, options_));
    slots_.assign(entries_.size(), {});
    written_.assign(entries_.size(), 0);
    files_.clear();
    for (size_t f = 0; f < plans_.size(); ++f) {
        const auto& plan = plans_[f];
        STRATA_TRY(auto out, OutputFile::create(folder_ / plan.file_name));
        std::string prefix(8, '\0');
        const uint64_t n = plan.header.size();
        for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((n >> (8 * i)) & 0xff);
        prefix += plan.header;
        STRATA_RETURN_IF_ERROR(out.write_at(0, std::as_bytes(std::span(prefix))));
        STRATA_RETURN_IF_ERROR(out.truncate(plan.file_size));
        for (size_t k = 0; k < plan.entries.size(); ++k) {
            const size_t i = plan.entries[k];
            slots_[i] = {f, plan.data_start + plan.data_offsets[k], entries_[i].byte_size()};
        }
        files_.push_back(std::move(out));
    }
    return Status::ok();
}

Status SafetensorsWriter::write(size_t index, std::span<const std::byte> bytes) {
    if (index >= slots_.size()) return Status::internal("tensor index out of range");
    const Slot& slot = slots_[index];
    if (bytes.size() != slot.size)
        return Status::internal("tensor has " + std::to_string(bytes.size()) + " bytes, planned " +
                                std::to_string(slot.size))
            .in_tensor(entries_[index].name);
    STRATA_RETURN_IF_ERROR(files_[slot.file].write_at(slot.offset, bytes));
    std::lock_guard lock(mutex_);
    written_[index] = 1;
    return Status::ok();
}

Status SafetensorsWriter::finish() {
    if (!options_.sparse)
        for (size_t i = 0; i < entries_.size(); ++i)
            if (!written_[i]) return Status::internal("tensor was never written").in_tensor(entries_[i].name);
    for (auto& f : files_) STRATA_RETURN_IF_ERROR(f.close());
    if (plans_.size() <= 1) return Status::ok();
    uint64_t total_size = 0, total_parameters = 0;
    nlohmann::json weight_map = nlohmann::json::object();  // sorted by name, as HF writes it
    for (const auto& plan : plans_)
        for (size_t i : plan.entries) {
            weight_map[entries_[i].name] = plan.file_name;
            total_size += entries_[i].byte_size();
            total_parameters += *numel(entries_[i].shape);
        }
    nlohmann::ordered_json index;
    index["metadata"] = {{"total_parameters", total_parameters}, {"total_size", total_size}};
    index["weight_map"] = weight_map;
    return write_json_file(folder_ / (options_.base_name + ".safetensors.index.json"), nlohmann::json(index));
}

}  // namespace strata
