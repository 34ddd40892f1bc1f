// Megatron legacy checkpoint writer (formats/megatron_writer.h).
#include "strata/formats/megatron_writer.h"


#include "strata/formats/megatron.h"
#include "strata/formats/torch_pt.h"
#include "strata/io/small_file.h"
#include "strata/megatron/megatron_rules.h"

namespace strata {
namespace fs = std::filesystem;

MegatronWriter::MegatronWriter(fs::path root, nlohmann::json args, int64_t iteration)
    : root_(std::move(root)), args_(std::move(args)), iteration_(iteration) {}

std::string MegatronWriter::iteration_folder() const {
    return megatron_checkpoint_folder(iteration_);
}

Result<std::unique_ptr<CheckpointWriter>> MegatronWriter::rank_file(const std::string& relative) const {
    const fs::path file = root_ / relative;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) return Status::io("cannot create folder: " + ec.message()).in_file(file.parent_path().string());
    TorchPtWriterOptions wo;
    wo.extra = megatron_extra_entries(args_, iteration_);
    wo.model_chunks = true;  // VPP layouts name tensors model0.*, model1.* (mapping/layout.cpp)
    return std::unique_ptr<CheckpointWriter>(std::make_unique<TorchPtWriter>(file, std::move(wo)));
}

Status MegatronWriter::finish() const {
    return write_small_file(root_ / kMegatronTracker, megatron_tracker_text(iteration_));
}

}  // namespace strata
