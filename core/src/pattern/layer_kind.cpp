#include "strata/pattern/layer_kind.h"

namespace strata {

const char* mixer_kind_name(MixerKind kind) {
    switch (kind) {
        case MixerKind::Attention:
            return "attention";
        case MixerKind::Mamba2:
            return "mamba2";
        case MixerKind::GatedDeltaNet:
            return "gdn";
        case MixerKind::None:
            return "none";
    }
    return "?";
}

const char* mlp_kind_name(MlpKind kind) {
    switch (kind) {
        case MlpKind::Dense:
            return "dense";
        case MlpKind::MoE:
            return "moe";
        case MlpKind::None:
            return "none";
    }
    return "?";
}

}  // namespace strata
