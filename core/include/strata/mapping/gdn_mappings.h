// Mapping kinds of the Gated DeltaNet hybrids (Qwen3-Next, Qwen3.5; facts bridge-mappings
// §1.8, §3.2-3.6): GDN in_proj and conv1d row blocks per TP rank, gated attention's
// [q heads; gate heads; k; v] groups, and a wrapper that names a layer's tensor by its kind
// (GDN vs attention mixer, MoE vs dense MLP). Used by the qwen3_next and qwen3_5 tables.
// Usage: r.add(mg, "decoder.layers.*.self_attention.in_proj.weight",
//              {{"qkvz", A + "in_proj_qkvz.weight"}, {"ba", A + "in_proj_ba.weight"}}, gdn_in_proj_grouped());
#pragma once

#include <string>

#include "strata/mapping/param_mapping.h"

namespace strata {

// [GDNLinearMapping] Qwen3-Next in_proj_qkvz [2qk+2v, H] and in_proj_ba [2nv, H], both grouped by
// key head ([q_h; k_h; v_h; z_h] and [b_h; a_h], r = nv/nk value heads per key head). TP rank t
// stores [Q_t; K_t; V_t; Z_t; B_t; A_t], each the t-th of TP equal head blocks of the flat
// head-major tensor (Megatron-Core gated_delta_net.py). Roles "qkvz", "ba".
MappingPtr gdn_in_proj_grouped();
// [GDNLinearMappingSeparate] Qwen3.5 in_proj_qkv [2qk+v, H] (flat [Q; K; V]), in_proj_z [v, H],
// in_proj_b / in_proj_a [nv, H]; same per-rank layout. Roles "qkv", "z", "b", "a".
MappingPtr gdn_in_proj_separate();
// [GDNConv1dMapping] conv1d weight [2qk+v, 1, k] (or a bias [2qk+v]), channels flat [Q; K; V];
// TP rank t stores [q_t; k_t; v_t].
MappingPtr gdn_conv1d();
// [QKVMapping with attention_output_gate] HF q_proj [2·nh·hd, H] per head [q; gate], k/v
// [ng·hd, H] -> Megatron linear_qkv rows per query group [q heads; gate heads; k; v], ranks
// holding whole groups. Roles "q", "k", "v".
MappingPtr gated_qkv();

// Which layers a layer_named() rule renames.
enum class LayerSelect { GdnMixer, MoeMlp };
// Expands `inner` under the rule's layout name, with `from` replaced by `to` in layers of the
// selected kind (ModelSpec::layer_kinds of the layer index in the name): e.g. the layer input
// norm is linear_qkv.layer_norm_weight in attention layers, in_proj.layer_norm_weight in GDN
// layers; the pre-MLP norm is fused into linear_fc1 in dense layers, pre_mlp_layernorm in MoE.
MappingPtr layer_named(MappingPtr inner, LayerSelect select, std::string from, std::string to);

}  // namespace strata
