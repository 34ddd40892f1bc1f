// Internal: the pieces of the .pt reader the Megatron reader reuses: load and check
// one archive, then turn its pickle into TensorInfos for a given file index and rank.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "formats/torch_pt/zip.h"
#include "strata/formats/checkpoint.h"
#include "strata/formats/pickle_value.h"

namespace strata::torch_pt {

struct LoadedPt {
    std::shared_ptr<MappedFile> map;
    std::string display;  // file name used in errors
    std::string root;     // archive folder, without '/'
    ZipArchive zip;
    PickleValue data;     // the unpickled data.pkl
};

// Maps the file, checks the zip and its torch records, and unpickles data.pkl.
Result<LoadedPt> load_pt(const std::filesystem::path& path, const std::string& display);
// The same for a torch.save archive stored at [offset, offset + length) of an already
// mapped file (each tensor item of a DCP .distcp file is one); offsets stay file-relative.
Result<LoadedPt> load_pt_at(std::shared_ptr<MappedFile> map, uint64_t offset, uint64_t length,
                            const std::string& display);

// What a .pt contributes to a Checkpoint (see torch_pt.h for the rules).
struct PtContents {
    std::vector<TensorInfo> tensors;
    nlohmann::json config;    // args, or null
    nlohmann::json metadata;  // iteration, checkpoint_version, vpp, keys
};

// Validates every tensor in the pickle against its record and lists the model's.
Result<PtContents> pt_contents(const LoadedPt& pt, uint32_t file_index, const RankCoord& rank);

// The archive's one tensor (what torch.save(tensor) writes), checked against its record
// and named `name`; Corrupt when the pickle is anything else.
Result<TensorInfo> pt_single_tensor(const LoadedPt& pt, const std::string& name, uint32_t file_index);

}  // namespace strata::torch_pt
