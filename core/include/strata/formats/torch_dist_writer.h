// TorchDistWriter: writes a Megatron torch_dist checkpoint (facts torch-dist.md §1.1-§1.6),
// the format torch_dist.h reads:
//   latest_checkpointed_iteration.txt, <iter>/metadata.json (the 4-field form every core reads),
//   <iter>/__R_0.distcp  one per rank: each chunk a torch.save(tensor) zip, each `_extra_state`
//                        object torch.save([None]), rank 0 also `common_state/shard_0_1`
//                        (torch.save([common]), read by core >= 0.19)
//   <iter>/.metadata     the DCP Metadata pickle (dcp::write_metadata), written last
//   <iter>/common.pt     {args, checkpoint_version 3.0, iteration} (required by core <= 0.18)
// Every item is laid out in begin(), so tensors are pwritten in any order from any thread.
// Usage: TorchDistWriter tw(root, args, 1);
//        STRATA_TRY(auto w, tw.rank_file("iter_0000001/__0_0.distcp", chunks, extra_states, true));
//        w->begin(entries); w->write(i, bytes)...; w->finish(); ...; tw.finish();
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint_writer.h"
#include "strata/status.h"
#include "strata/tensor_info.h"

namespace strata {

// Where one chunk goes: its DCP key, the key's global shape, the chunk's offsets in it (its
// sizes are the shape of the tensor written).
struct TorchDistChunk {
    std::string key;
    Shape global_shape;
    Shape offsets;
};

class TorchDistWriter {
public:
    // `args`: Megatron's args Namespace for the common state; iteration 0 writes "release".
    TorchDistWriter(std::filesystem::path root, nlohmann::json args, int64_t iteration);
    ~TorchDistWriter();

    std::string iteration_folder() const;  // "iter_0000001" or "release"
    // The writer of one rank's .distcp (`relative` under root): entry i of its begin() is
    // chunks[i]; the `_extra_state` objects, and in one file the common state, go before them.
    Result<std::unique_ptr<CheckpointWriter>> rank_file(const std::string& relative, std::vector<TorchDistChunk> chunks,
                                                        std::vector<std::string> extra_states, bool common_state);
    // .metadata, common.pt, metadata.json and the tracker, once every rank file is finished.
    Status finish() const;

    struct Shared;  // the metadata the rank files fill in (internal)

private:
    std::filesystem::path root_;
    nlohmann::json args_;
    int64_t iteration_ = 0;
    std::shared_ptr<Shared> shared_;
};

}  // namespace strata
