// MegatronWriter: writes a Megatron legacy checkpoint, the format megatron.h reads:
// <iter>/mp_rank_TT[_PPP][_EEE]/model_optim_rng.pt, each a torch.save of {args,
// checkpoint_version, iteration, model} (TorchPtWriter with megatron_extra_entries), then
// latest_checkpointed_iteration.txt. Rank folder names follow megatron/megatron_rules.h.
// Usage: MegatronWriter mw(root, args, 1); STRATA_TRY(auto w, mw.rank_file(path)); ...; mw.finish();
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint_writer.h"
#include "strata/status.h"

namespace strata {

class MegatronWriter {
public:
    // `args`: the Namespace every rank file carries; iteration 0 writes a "release" checkpoint.
    MegatronWriter(std::filesystem::path root, nlohmann::json args, int64_t iteration);

    // The folder the rank files of this iteration go in ("iter_0000001" or "release").
    std::string iteration_folder() const;
    // The writer of one rank file (`relative` under root, e.g. "iter_0000001/mp_rank_00/model_optim_rng.pt"),
    // its folders created.
    Result<std::unique_ptr<CheckpointWriter>> rank_file(const std::string& relative) const;
    // latest_checkpointed_iteration.txt, once every rank file is finished.
    Status finish() const;

private:
    std::filesystem::path root_;
    nlohmann::json args_;
    int64_t iteration_ = 0;
};

}  // namespace strata
