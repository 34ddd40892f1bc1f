// Internal: the restricted unpickler and the protocol-2 pickler behind .pt files.
// The unpickler is symbolic: it never imports or calls anything. GLOBAL names are
// looked up in an allow-list (torch rebuild functions, storage classes, dtypes,
// OrderedDict, argparse.Namespace, Megatron enums, numpy RNG pieces as opaque
// objects); anything else is rejected with its "module.name". A DCP .metadata file
// gets a few more (see PickleGlobals).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "strata/formats/pickle_value.h"
#include "strata/status.h"

namespace strata::torch_pt {

// Which globals a pickle may name. TorchSave: the torch.save allow-list above.
// DcpMetadata: that list plus the records of a PyTorch DCP `.metadata` file (Metadata,
// TensorStorageMetadata, ChunkStorageMetadata, ... as attribute-holding Objects; their
// planner records and any megatron.core.dist_checkpointing class as opaque Objects).
enum class PickleGlobals { TorchSave, DcpMetadata };

// Runs the pickle in `data` (the bytes of <root>/data.pkl, or of a DCP .metadata).
// Errors name `display` and the byte offset base_offset + position of the failing opcode.
Result<PickleValue> unpickle(std::span<const std::byte> data, const std::string& display, uint64_t base_offset,
                             PickleGlobals globals = PickleGlobals::TorchSave);

struct PickleWriteResult {
    std::string bytes;
    std::vector<size_t> storage_entries;  // storage key k holds TensorEntry storage_entries[k]
};

// Pickles `top` the way Python's protocol-2 pickler does for torch.save. Tensors must
// carry PickleTensorRef::entry; each entry becomes one storage, keys "0", "1"... in
// first-seen order. weights_only_safe writes Namespaces as dicts and floats without
// BINFLOAT (integral -> int, else their shortest decimal string), globals such as
// torch.bfloat16 as their name (torch 1.13 refuses them), and refuses bytes.
Result<PickleWriteResult> pickle(const PickleValue& top, bool weights_only_safe);

}  // namespace strata::torch_pt
