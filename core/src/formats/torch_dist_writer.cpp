// Megatron torch_dist writer (formats/torch_dist_writer.h). Each rank file registers its items'
// places in the shared metadata when it begins; finish() pickles that into .metadata.
#include "strata/formats/torch_dist_writer.h"

#include <map>
#include <mutex>
#include <optional>

#include "formats/dcp/dcp_metadata.h"
#include "formats/torch_pt/pt_archive.h"
#include "strata/formats/megatron.h"
#include "strata/io/output_file.h"
#include "strata/io/small_file.h"
#include "strata/megatron/megatron_rules.h"

namespace strata {
namespace fs = std::filesystem;
using torch_pt::PtArchive;

namespace {

constexpr const char* kCommonStateKey = "common_state/shard_0_1";
// Megatron's object items are torch.save zips whose folder is "archive" (torch.save to a stream).
constexpr const char* kItemArchive = "archive";

// Megatron's common state: what core <= 0.18 saves as common.pt and core >= 0.19 as an object.
PickleValue common_state(const nlohmann::json& args, int64_t iteration) {
    std::vector<PickleValue::Item> items;
    for (auto& [k, v] : megatron_extra_entries(args, iteration)) items.emplace_back(PickleValue::string(k), std::move(v));
    return PickleValue::dict(std::move(items));
}

// One whole archive written at once (objects and common.pt hold no tensors).
Status write_archive(const OutputFile& out, uint64_t base, const PtArchive& archive) {
    STRATA_RETURN_IF_ERROR(archive.write_start(out, base));
    return archive.write_end(out, base);
}

}  // namespace

struct TorchDistWriter::Shared {
    std::mutex mutex;
    dcp::Metadata metadata;
    std::map<std::string, size_t> tensor_index;  // key -> metadata.tensors
    PickleValue common;

    Status add_chunk(const TorchDistChunk& c, const TensorEntry& e, dcp::StorageRef storage) {
        std::lock_guard lock(mutex);
        auto [it, fresh] = tensor_index.emplace(c.key, metadata.tensors.size());
        if (fresh) metadata.tensors.push_back({c.key, e.dtype, c.global_shape, {}});
        dcp::TensorMeta& t = metadata.tensors[it->second];
        if (t.dtype != e.dtype || t.size != c.global_shape)
            return Status::internal("chunks of one key disagree on dtype or global shape").in_tensor(c.key);
        t.chunks.push_back({c.offsets, e.shape, std::move(storage)});
        return Status::ok();
    }
    void add_object(const std::string& key, dcp::StorageRef storage) {
        std::lock_guard lock(mutex);
        metadata.objects.push_back({key, std::move(storage)});
    }
};

namespace {

class DistcpWriter : public CheckpointWriter {
public:
    DistcpWriter(fs::path file, std::vector<TorchDistChunk> chunks, std::vector<std::string> extra_states,
                 const PickleValue* common, std::shared_ptr<TorchDistWriter::Shared> shared)
        : file_(std::move(file)), chunks_(std::move(chunks)), extra_states_(std::move(extra_states)), common_(common),
          shared_(std::move(shared)) {}

    Status begin(const std::vector<TensorEntry>& entries) override {
        if (entries.size() != chunks_.size())
            return Status::internal(std::to_string(entries.size()) + " tensors for " + std::to_string(chunks_.size()) +
                                    " chunks");
        const std::string name = file_.filename().string();
        uint64_t cursor = 0;
        // Objects first, as Megatron's writer puts a bucket's byte items before its tensors.
        std::vector<std::pair<std::string, PickleValue>> objects;
        if (common_) objects.emplace_back(kCommonStateKey, PickleValue::list({*common_}));
        for (const std::string& key : extra_states_) objects.emplace_back(key, PickleValue::list({PickleValue::none()}));
        std::vector<PtArchive> object_archives;  // back to back from offset 0
        for (auto& [key, value] : objects) {
            STRATA_TRY(PtArchive a, PtArchive::plan(value, {}, kItemArchive, {}));
            shared_->add_object(key, {name, cursor, a.size()});
            cursor += a.size();
            object_archives.push_back(std::move(a));
        }
        for (size_t i = 0; i < entries.size(); ++i) {
            PickleTensorRef ref;
            ref.entry = 0;
            ref.dtype = entries[i].dtype;
            ref.shape = entries[i].shape;
            auto a = PtArchive::plan(PickleValue::tensor(std::move(ref)), {entries[i]}, kItemArchive, {});
            if (!a) return a.status().in_tensor(entries[i].name);
            STRATA_RETURN_IF_ERROR(shared_->add_chunk(chunks_[i], entries[i], {name, cursor, a->size()}));
            bases_.push_back(cursor);
            cursor += a->size();
            archives_.push_back(std::move(*a));
        }
        STRATA_TRY(auto out, OutputFile::create(file_));
        out_.emplace(std::move(out));
        STRATA_RETURN_IF_ERROR(out_->truncate(cursor));
        uint64_t base = 0;
        for (const PtArchive& a : object_archives) {
            STRATA_RETURN_IF_ERROR(write_archive(*out_, base, a));
            base += a.size();
        }
        for (size_t i = 0; i < archives_.size(); ++i) STRATA_RETURN_IF_ERROR(archives_[i].write_start(*out_, bases_[i]));
        return Status::ok();
    }

    Status write(size_t index, std::span<const std::byte> bytes) override {
        if (!out_ || index >= archives_.size()) return Status::internal("writer not begun, or no such chunk");
        return archives_[index].write_tensor(*out_, bases_[index], 0, bytes);
    }

    Status finish() override {
        if (!out_) return Status::internal("finish() before begin()");
        for (size_t i = 0; i < archives_.size(); ++i) STRATA_RETURN_IF_ERROR(archives_[i].write_end(*out_, bases_[i]));
        return out_->close();
    }

private:
    fs::path file_;
    std::vector<TorchDistChunk> chunks_;
    std::vector<std::string> extra_states_;
    const PickleValue* common_;
    std::shared_ptr<TorchDistWriter::Shared> shared_;
    std::vector<PtArchive> archives_;
    std::vector<uint64_t> bases_;
    std::optional<OutputFile> out_;
};

}  // namespace

TorchDistWriter::TorchDistWriter(fs::path root, nlohmann::json args, int64_t iteration)
    : root_(std::move(root)), args_(std::move(args)), iteration_(iteration), shared_(std::make_shared<Shared>()) {
    shared_->common = common_state(args_, iteration_);
}

TorchDistWriter::~TorchDistWriter() = default;

std::string TorchDistWriter::iteration_folder() const {
    return megatron_checkpoint_folder(iteration_);
}

Result<std::unique_ptr<CheckpointWriter>> TorchDistWriter::rank_file(const std::string& relative,
                                                                     std::vector<TorchDistChunk> chunks,
                                                                     std::vector<std::string> extra_states,
                                                                     bool with_common_state) {
    const fs::path file = root_ / relative;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) return Status::io("cannot create folder: " + ec.message()).in_file(file.parent_path().string());
    return std::unique_ptr<CheckpointWriter>(std::make_unique<DistcpWriter>(
        file, std::move(chunks), std::move(extra_states), with_common_state ? &shared_->common : nullptr, shared_));
}

Status TorchDistWriter::finish() const {
    const fs::path dir = root_ / iteration_folder();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::io("cannot create folder: " + ec.message()).in_file(dir.string());
    {
        std::lock_guard lock(shared_->mutex);
        STRATA_RETURN_IF_ERROR(write_small_file(dir / ".metadata", dcp::write_metadata(shared_->metadata)));
    }
    STRATA_TRY(PtArchive common, PtArchive::plan(shared_->common, {}, "common", {}));
    STRATA_TRY(auto out, OutputFile::create(dir / "common.pt"));
    STRATA_RETURN_IF_ERROR(out.truncate(common.size()));
    STRATA_RETURN_IF_ERROR(write_archive(out, 0, common));
    STRATA_RETURN_IF_ERROR(out.close());
    // The 4-field form: core <= 0.18 needs the common backend named, core >= 0.19 ignores it.
    const nlohmann::ordered_json meta = {{"sharded_backend", "torch_dist"},
                                         {"sharded_backend_version", 1},
                                         {"common_backend", "torch"},
                                         {"common_backend_version", 1}};
    STRATA_RETURN_IF_ERROR(write_small_file(dir / "metadata.json", meta.dump()));
    return write_small_file(root_ / kMegatronTracker, megatron_tracker_text(iteration_));
}

}  // namespace strata
