// safetensors: one file, or a folder of shards with model.safetensors.index.json.
// File layout (huggingface/safetensors README "Format"):
//   [0, 8)        N, u64 little-endian: header length (<= 100,000,000)
//   [8, 8+N)      UTF-8 JSON object: name -> {dtype, shape, data_offsets:[begin,end)},
//                 plus optional "__metadata__": {string: string}; space-padded
//   [8+N, EOF)    data; offsets are relative to 8+N and tile it exactly, no gaps.
// The reader checks every rule at open (see facts formats-gui.md §1.3, §1.5); the
// writer streams tensors into a pre-planned layout and shards by size.
// Usage: STRATA_TRY(auto ckpt, open_safetensors(path));
//        SafetensorsWriter w(dir, {.max_shard_bytes = 5'000'000'000});
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/formats/checkpoint_writer.h"
#include "strata/formats/format_registry.h"
#include "strata/io/output_file.h"

namespace strata {

constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;
constexpr const char* kSafetensorsIndexName = "model.safetensors.index.json";

FormatHandler safetensors_format();
// A .safetensors file, a model.safetensors.index.json, or a folder holding either.
Result<Checkpoint> open_safetensors(const std::filesystem::path& path);

// Planned layout of one safetensors file.
struct SafetensorsFilePlan {
    std::string file_name;
    std::vector<size_t> entries;         // indices into the writer's entries, in data order
    std::vector<uint64_t> data_offsets;  // begin of each entry within the data region
    std::string header;                  // JSON, space-padded so 8 + size is a multiple of 8
    uint64_t data_start = 0;             // 8 + header.size()
    uint64_t file_size = 0;
};

struct SafetensorsWriterOptions {
    uint64_t max_shard_bytes = 5'000'000'000;  // HF default (decimal); one tensor per shard if larger
    std::string base_name = "model";           // model.safetensors / model-00001-of-00003.safetensors
    std::map<std::string, std::string> metadata{{"format", "pt"}};
    // Tensors never written stay file holes (zeros): for header-only skeletons.
    bool sparse = false;
};

// Splits entries into shards in their given order (as HF save_pretrained does) and
// lays out each file as the reference writer does: descending alignment, then name.
Result<std::vector<SafetensorsFilePlan>> plan_safetensors(const std::vector<TensorEntry>& entries,
                                                          const SafetensorsWriterOptions& options);

class SafetensorsWriter final : public CheckpointWriter {
public:
    SafetensorsWriter(std::filesystem::path folder, SafetensorsWriterOptions options = {});
    Status begin(const std::vector<TensorEntry>& entries) override;
    Status write(size_t index, std::span<const std::byte> bytes) override;
    Status finish() override;
    const std::vector<SafetensorsFilePlan>& plans() const { return plans_; }

private:
    struct Slot {
        size_t file = 0;
        uint64_t offset = 0;  // absolute offset in the file
        uint64_t size = 0;
    };
    std::filesystem::path folder_;
    SafetensorsWriterOptions options_;
    std::vector<TensorEntry> entries_;
    std::vector<SafetensorsFilePlan> plans_;
    std::vector<OutputFile> files_;
    std::vector<Slot> slots_;
    std::vector<char> written_;
    std::mutex mutex_;
};

}  // namespace strata
