// PyTorch Distributed Checkpoints (DCP) and Megatron `torch_dist` checkpoints
// (facts torch-dist.md §1):
//   <dir>/.metadata          pickle of DCP Metadata: keys, dtypes, global shapes, chunk boxes,
//                            and where each item's bytes are (file, offset, length)
//   <dir>/__R_K.distcp       items back to back; a tensor item is a whole torch.save zip
// Megatron adds <save>/latest_checkpointed_iteration.txt -> iter_NNNNNNN/ or release/,
// metadata.json ({"sharded_backend": "torch_dist", ...}) and, up to core 0.18, common.pt.
// The reader lists every tensor under its DCP key with its global shape; a tensor saved in
// several chunks carries them in TensorInfo::location.chunks and Checkpoint::read()
// assembles it. Object items are not tensors: `_extra_state` and `rng_state` are skipped,
// optimizer state (keys "optimizer." / "optim.") is counted in metadata and not read.
// config = Megatron args (common.pt, else common_state), metadata = what the folder says.
// Usage: STRATA_TRY(auto ckpt, open_torch_dist("checkpoints/"));
#pragma once

#include <filesystem>

#include "strata/formats/checkpoint.h"
#include "strata/formats/format_registry.h"

namespace strata {

FormatHandler torch_dist_format();
Result<Checkpoint> open_torch_dist(const std::filesystem::path& path);

}  // namespace strata
