// Megatron legacy ("torch" ckpt-format) checkpoints (facts mamba-megatron.md §2.6):
//   <save>/latest_checkpointed_iteration.txt       iteration number, or "release"
//   <save>/iter_0000010/ (or release/)
//       mp_rank_TT[_PPP][_EEE]/model_optim_rng.pt  _PPP when PP > 1, _EEE when EP > 1
// The reader takes the save root, an iter_*/release folder, checks that exactly the
// expected TP x PP x EP rank folders exist, and lists every rank's model tensors with
// TensorInfo::rank set. config = args (JSON); metadata = {tp, pp, ep, vpp, iteration...}.
// Usage: STRATA_TRY(auto ckpt, open_megatron("checkpoints/"));
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/pickle_value.h"
#include "strata/megatron/megatron_rules.h"  // megatron_rank_folder, megatron_iteration_folder

namespace strata {

FormatHandler megatron_format();
Result<Checkpoint> open_megatron(const std::filesystem::path& path);

// The top-level entries Megatron's generate_state_dict writes before "model": args
// (an argparse.Namespace built from a JSON object), checkpoint_version 3.0, iteration.
// Pass them as TorchPtWriterOptions::extra to write a model_optim_rng.pt.
std::vector<std::pair<std::string, PickleValue>> megatron_extra_entries(const nlohmann::json& args, int64_t iteration);

}  // namespace strata
