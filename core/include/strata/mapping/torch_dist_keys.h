// Megatron's torch_dist key scheme seen as a legacy TP1 PP1 checkpoint (facts torch-dist.md
// §1.5). torch_dist stores every parameter as its global value: homogeneous decoder stacks as
// one tensor with a leading layer axis ("decoder.layers.self_attention.linear_qkv.weight"
// [L, rows, H]), MoE experts with an expert axis after it
// ("decoder.layers.mlp.experts.experts.linear_fc1.weight" [L, E, 2I, H]); non-homogeneous
// stacks (hybrids, moe_layer_freq lists) keep per-layer keys ("decoder.layers.3.…") and only
// the expert axis. TP, PP and EP show only as chunk boxes, so the global tensors are exactly
// what a legacy checkpoint holds at TP1 PP1 EP1: the view names each layer's (and expert's)
// slice that way ("decoder.layers.3.mlp.experts.linear_fc1.weight5", TEGroupedMLP names),
// zero-copy (slices of the stored chunks), and sets the args' parallel sizes to 1 — so the
// canonical view, convert, diff and forward read torch_dist through the Megatron layout.
// The writer goes the other way: torch_dist_place_of_legacy names the DCP key, the leading
// layer / expert offsets and the module's `_extra_state` objects of one legacy TP1 tensor.
// Usage: if (is_megatron_torch_dist(ckpt)) { STRATA_TRY(Checkpoint v, legacy_view_of_torch_dist(ckpt)); }
//        STRATA_TRY(TorchDistPlace p, torch_dist_place_of_legacy("decoder.layers.3.mlp.router.weight", {8, 64}, naming));
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/status.h"

namespace strata {

// A torch_dist checkpoint holding Megatron model keys (decoder.*, embedding.*, output_layer.*).
bool is_megatron_torch_dist(const Checkpoint& ckpt);

// The legacy TP1 PP1 EP1 view described above; shares the source's file mappings, so the
// source may go away. Stored keys the scheme does not know keep their names (a later
// mapping refuses them by name). Format "megatron"; metadata["torch_dist_view"] says so.
Result<Checkpoint> legacy_view_of_torch_dist(const Checkpoint& ckpt);

// One index of a tensor's leading axis as a tensor of its own (rank - 1 dimensions), made
// of slices of the stored chunks: contiguous when one chunk holds all of it.
Result<TensorInfo> slice_leading_axis(const TensorInfo& info, uint64_t index, uint32_t element_size);

// A fused tensor Megatron saves as one DCP key per section along dim 0, each section split by TP
// on its own ("<key>.<name>"): the Mamba mixer's in_proj.weight z|x|B|C|dt and conv1d x|B|C
// (megatron/core/ssm/mamba_mixer.py, _split_tensor_factory).
struct TorchDistSection {
    std::string name;
    uint64_t rows = 0;
};

// How a model's legacy TP1 names become torch_dist keys when written.
struct TorchDistNaming {
    bool stacked = true;   // one [L, ...] tensor per parameter (homogeneous stacks); else decoder.layers.{i}.*
    uint64_t layers = 0;   // L
    uint64_t experts = 0;  // E
    bool local_spec = false;  // local layer spec: a MoE layer's pre-MLP norm under mlp.linear_fc1.layer_norm_*
    std::function<bool(uint64_t)> moe_layer;  // layer -> its MLP is MoE
    // Mamba2 mixers (stock MambaMixer rows): d_inner and heads give the sections of in_proj and conv1d.
    uint64_t mamba_d_inner = 0;
    uint64_t mamba_heads = 0;
};

// Where one legacy TP1 tensor lives in torch_dist.
struct TorchDistPlace {
    std::string key;                   // DCP key
    std::vector<uint64_t> leading;     // offsets on the leading layer (stacked) and expert axes
    std::vector<uint64_t> leading_size;  // those axes' global sizes (L, E)
    // The `_extra_state` objects of the module this weight belongs to (Megatron saves one per
    // layer, and per expert, for each TE or local linear; the TE attention core too: a superset,
    // since keys the model does not ask for are not read).
    std::vector<std::string> extra_states;
    // Saved as "<key>.<name>" per section (empty: saved whole).
    std::vector<TorchDistSection> sections;
};

// `shape`: the legacy tensor's (the Mamba sections follow from its rows). InvalidArgument for a
// decoder name the scheme does not know.
Result<TorchDistPlace> torch_dist_place_of_legacy(std::string_view legacy_name, const Shape& shape,
                                                  const TorchDistNaming& naming);

}  // namespace strata
