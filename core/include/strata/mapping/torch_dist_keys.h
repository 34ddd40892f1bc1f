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
// Usage: if (is_megatron_torch_dist(ckpt)) { STRATA_TRY(Checkpoint v, legacy_view_of_torch_dist(ckpt)); }
#pragma once

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

}  // namespace strata
