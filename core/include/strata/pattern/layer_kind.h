// LayerKind: what one HF decoder layer is made of (its token mixer and its channel mixer).
// Shared by the layer-pattern conversions here and ModelSpec (model/ sits above pattern/).
// Usage: LayerKind k{MixerKind::Mamba2, MlpKind::MoE}; mixer_kind_name(k.mixer) == "mamba2"
#pragma once

namespace strata {

// The token mixer of one HF layer (None: an MLP- or MoE-only layer, as Nemotron-H's '-' / 'E').
enum class MixerKind { Attention, Mamba2, GatedDeltaNet, None };
// The channel mixer of one HF layer (None: a mixer-only layer, e.g. pure Mamba2).
enum class MlpKind { Dense, MoE, None };

struct LayerKind {
    MixerKind mixer = MixerKind::Attention;
    MlpKind mlp = MlpKind::Dense;
    bool operator==(const LayerKind&) const = default;
};

const char* mixer_kind_name(MixerKind kind);  // "attention", "mamba2", "gdn", "none"
const char* mlp_kind_name(MlpKind kind);      // "dense", "moe", "none"

}  // namespace strata
