// Internal: the `.metadata` file of a PyTorch Distributed Checkpoint (DCP), as plain data.
// It is a pickle of torch.distributed.checkpoint.metadata.Metadata (facts torch-dist.md §1.3):
//   state_dict_metadata: {key: TensorStorageMetadata(properties, size, chunks) | BytesStorageMetadata()}
//   storage_data:        {MetadataIndex(fqn, offset, index): _StorageInfo(relative_path, offset, length)}
// where each chunk is a box (offsets, sizes) of the global tensor and its _StorageInfo says
// which .distcp file holds it, at which byte offset, and how many bytes (a torch.save zip).
// The pickle runs in the restricted unpickler with the DCP allow-list; nothing is executed.
// write_metadata is the inverse, in the form every torch from 2.1 and megatron-core 0.13 ... 0.19
// load (facts torch-dist.md §1.6): protocol 2, the 5-tuple TensorProperties state of
// torch.distributed._shard.sharded_tensor.metadata, planner_data None, no storage_meta.
// Usage: STRATA_TRY(dcp::Metadata m, dcp::parse_metadata(bytes, ".metadata"));
//        std::string bytes = dcp::write_metadata(m);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "strata/status.h"
#include "strata/tensor_info.h"

namespace strata::dcp {

// Where one item's bytes are: _StorageInfo.
struct StorageRef {
    std::string relative_path;  // "__0_0.distcp"
    uint64_t offset = 0;
    uint64_t length = 0;
};

struct ChunkMeta {
    Shape offsets;
    Shape sizes;
    StorageRef storage;
};

struct TensorMeta {
    std::string key;
    DType dtype = DType::F32;
    Shape size;  // global shape
    std::vector<ChunkMeta> chunks;
};

// A BytesStorageMetadata item: a pickled Python object (Megatron: torch.save([obj])).
struct ObjectMeta {
    std::string key;
    StorageRef storage;
};

struct Metadata {
    std::string class_name;           // "torch.distributed.checkpoint.metadata.Metadata" or Megatron's subclass
    std::string version;              // Metadata.version ("1.0.0"), empty when absent
    bool has_local_plans = false;     // Megatron's all_local_plans attribute
    std::vector<TensorMeta> tensors;  // state_dict_metadata order
    std::vector<ObjectMeta> objects;
};

// Parses and checks the structure: every chunk has a storage entry, ranks agree, dtypes
// are known. Errors name `display` and the key. Bounds against the .distcp files and the
// tiling of chunks are the reader's to check.
Result<Metadata> parse_metadata(std::span<const std::byte> bytes, const std::string& display);

// The pickle of `md` (its tensors and objects; class_name, version and local plans are not
// written: a plain Metadata without them). Chunks must carry their storage.
std::string write_metadata(const Metadata& md);

}  // namespace strata::dcp
