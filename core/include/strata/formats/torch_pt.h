// torch .pt: what torch.save writes (facts formats-gui.md §2). A zip of stored records
// under one folder <root>/: data.pkl (a protocol-2 pickle), byteorder ("little"),
// data/<key> (raw storage bytes, each 64-byte aligned), version ("3\n").
// The reader maps records zero-copy and runs data.pkl through a restricted,
// non-executing unpickler (allow-listed globals only); the writer produces the same
// container byte for byte, planning every offset in begin() so write() can pwrite.
// Usage: STRATA_TRY(auto ckpt, open_torch_pt("model_optim_rng.pt"));
//        TorchPtWriterOptions o; o.extra = megatron_extra_entries(args, 10);
//        TorchPtWriter w(path, o); w.begin(entries); w.write(i, bytes)...; w.finish();
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/formats/checkpoint_writer.h"
#include "strata/formats/format_registry.h"
#include "strata/formats/pickle_value.h"
#include "strata/io/output_file.h"

namespace strata {

namespace torch_pt {
class PtArchive;
}

// Reader. Which pickle entries become Checkpoint::tensors:
// - a top-level dict with a "model" dict (Megatron's model_optim_rng.pt): that dict's
//   tensors, names as stored (no "model." prefix); with "model0", "model1"... (virtual
//   pipeline stages) each stage's tensors keep their "modelK." prefix, since stages reuse
//   layer numbers. `args` becomes Checkpoint::config (JSON; a Namespace as an object);
//   iteration, checkpoint_version and the list of top-level keys go to metadata.
// - anything else (a state dict, nested dicts, lists): every tensor, names joined by '.'.
// Tensors elsewhere (optimizer state...) are validated but not listed. Views keep their
// storage offset and strides: TensorInfo.location points into the mapped record.
FormatHandler torch_pt_format();
Result<Checkpoint> open_torch_pt(const std::filesystem::path& path);

// The parsed pickle of a .pt file (tensors as PickleTensorRef), after the same checks.
Result<PickleValue> read_torch_pt_pickle(const std::filesystem::path& path);

struct TorchPtWriterOptions {
    // Top-level key whose OrderedDict holds the tensors. Empty: the file *is* that
    // OrderedDict (what torch.save(model.state_dict()) writes) and `extra` must be empty.
    std::string tensors_key = "model";
    // Other top-level entries, written first, in order (Megatron: args, checkpoint_version,
    // iteration). A PickleValue::tensor with PickleTensorRef::entry = i places entry i
    // there instead of under tensors_key (dtype and shape come from the entry).
    std::vector<std::pair<std::string, PickleValue>> extra;
    // torch.load(weights_only=True) on torch >= 1.13 accepts the file: Namespaces are
    // written as plain dicts, floats as ints when integral and otherwise as their shortest
    // decimal string (torch 1.13 rejects BINFLOAT), dtype globals as their name
    // ("torch.bfloat16": 1.13 rejects those too), bytes values are refused.
    bool weights_only_safe = false;
    // Archive folder name; default: the file name without extension (as torch.save does).
    std::string archive_name;
    // torch >= 2.0 writes <root>/byteorder; torch 1.13 did not.
    bool write_byteorder = true;
    // Megatron's interleaved pipeline: a tensor named "model<v>.<name>" goes into the top-level
    // OrderedDict "model<v>" as <name> (such a rank file holds model0, model1 ... and no
    // tensors_key entry when every tensor is in a chunk).
    bool model_chunks = false;
};

// Writes one .pt file (not atomic by itself: write into an AtomicOutput's temporary).
// Tensors are stored contiguous, one storage each; dtypes without a legacy torch storage
// class (U16/U32/U64, FP8) use UntypedStorage + _rebuild_tensor_v3 (torch >= 2.1).
class TorchPtWriter final : public CheckpointWriter {
public:
    explicit TorchPtWriter(std::filesystem::path file, TorchPtWriterOptions options = {});
    ~TorchPtWriter() override;
    Status begin(const std::vector<TensorEntry>& entries) override;
    Status write(size_t index, std::span<const std::byte> bytes) override;  // thread-safe across indices
    Status finish() override;
    // Planned size of the whole file (valid after begin()).
    uint64_t file_size() const { return file_size_; }

private:
    std::filesystem::path file_;
    TorchPtWriterOptions options_;
    std::unique_ptr<torch_pt::PtArchive> archive_;  // the zip's layout, planned in begin()
    std::optional<OutputFile> out_;
    uint64_t file_size_ = 0;
};

}  // namespace strata
