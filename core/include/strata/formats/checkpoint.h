// Checkpoint: any opened checkpoint, whatever its format: the files it spans
// (memory-mapped, read-only), every stored tensor as a TensorInfo, and its
// configuration (HF config.json, or Megatron args) as JSON. Readers validate
// everything at open, so a Checkpoint that exists is safe to read from.
// Usage: STRATA_TRY(auto ckpt, open_checkpoint(path));
//        const TensorInfo* t = ckpt.find("model.norm.weight"); ckpt.read(*t, buffer);
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/io/mapped_file.h"
#include "strata/status.h"
#include "strata/tensor_info.h"

namespace strata {

struct CheckpointFile {
    std::filesystem::path path;
    std::string display_name;  // path relative to the checkpoint root, for tables and errors
    std::shared_ptr<MappedFile> map;
};

class Checkpoint {
public:
    std::string format;          // format handler name: "safetensors", "torch", "megatron", "torch_dist"
    std::filesystem::path path;  // what the user opened
    std::vector<CheckpointFile> files;
    std::vector<TensorInfo> tensors;
    nlohmann::json config;    // HF config.json or Megatron args; null when absent
    nlohmann::json metadata;  // format-specific: safetensors __metadata__, Megatron parallel sizes...

    // Builds the name index; readers call it once tensors are complete.
    // Fails on duplicate (name, rank) pairs.
    Status finalize();

    // First tensor with that name (for Megatron: rank 0,0,0 before others). Null if absent.
    const TensorInfo* find(std::string_view name) const;
    const TensorInfo* find(std::string_view name, const RankCoord& rank) const;

    uint64_t total_bytes() const;
    uint64_t total_parameters() const;

    // The tensor's bytes in place when it is contiguous; Unsupported when strided or chunked.
    Result<std::span<const std::byte>> contiguous_bytes(const TensorInfo& info) const;
    // Copies the tensor into out (size byte_size()), gathering strided layouts and
    // assembling chunked ones into the full row-major tensor.
    Status read(const TensorInfo& info, std::span<std::byte> out) const;
    // Reads the tensor into a fresh buffer.
    Result<std::vector<std::byte>> read(const TensorInfo& info) const;
    const CheckpointFile& file_of(const TensorInfo& info) const { return files.at(info.location.file); }

private:
    std::unordered_map<std::string, std::vector<size_t>> index_;
};

}  // namespace strata
