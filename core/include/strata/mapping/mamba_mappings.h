// Mapping kinds of hybrid Mamba2 models (facts/mamba-megatron.md §1.6, §2.1, §2.2, §5b):
// Mamba in_proj and conv1d row blocks split per TP rank, and the two wrappers that place an HF
// layer's tensors in its Megatron slot (mixer 2i, MLP/MoE 2i+1). Used by the m1_hybrid table;
// the standard Mamba2 kinds by nemotron_h.
// Usage: r.add(mg, "decoder.layers.*.mixer.in_proj.weight", {{"", L + "mamba.in_proj.weight"}},
//              hybrid_slot(mamba_in_proj(), HybridSlot::Mixer));
#pragma once

#include "strata/mapping/param_mapping.h"

namespace strata {

// Mamba in_proj [z | x | B | C | dt] (M1 row order). Each TP rank r stores
// [z_r | x_r | B_r | C_r | dt_r], each a contiguous 1/t chunk of its block (Megatron
// MambaMixer partition_sizes). LayoutOptions::mamba picks the stored x/B: M1 (KV-sized, as
// M1 holds them) or Exact (ngroups = heads: the KV group of head h repeated per head).
MappingPtr mamba_in_proj();
// Mamba conv1d weight [C, 1, k] or bias [C], channels [x | B | C], split per rank like in_proj.
// Stored as mixer.conv1d_weight / conv1d_bias when LayoutOptions::conv1d_params (core >= v0.19).
MappingPtr mamba_conv1d();

// The standard Mamba2 layout (Megatron MambaMixer, Nemotron-H): in_proj [z | x | B | C | dt] with
// x d_inner and B/C n_groups * d_state rows, conv1d [x | B | C]; every block split per TP rank
// in whole heads (z, x) or groups (B, C), as Megatron-Bridge MambaInProjMapping / MambaConv1dMapping.
MappingPtr mamba2_in_proj();
MappingPtr mamba2_conv1d();

enum class HybridSlot { Mixer, Mlp };
// Renames the group's layer index from HF layer i to Megatron layer 2i (Mixer) or 2i+1 (Mlp),
// then expands `inner`; pipeline stages and local indices follow the renamed index.
MappingPtr hybrid_slot(MappingPtr inner, HybridSlot slot);
// input_layernorm of HF layer i, named by the layer's mixer and the norm layout:
// TE: self_attention.linear_qkv.layer_norm_weight / mixer.in_proj.layer_norm_weight;
// local: input_layernorm.weight / norm.weight. Replicated, in the mixer slot.
MappingPtr hybrid_input_norm();

}  // namespace strata
