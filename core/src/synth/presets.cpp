// synth presets: each architecture family brings its own (core/src/architectures/<family>/
// presets.cpp); this collects them in registration order.
#include "strata/model/architecture.h"
#include "strata/synth/synth.h"

namespace strata {

const std::vector<SynthPreset>& synth_presets() {
    static const std::vector<SynthPreset> kPresets = [] {
        std::vector<SynthPreset> out;
        for (const Architecture* a : architectures()) a->add_synth_presets(out);
        return out;
    }();
    return kPresets;
}

const SynthPreset* find_synth_preset(const std::string& name) {
    for (const auto& p : synth_presets())
        if (p.name == name) return &p;
    return nullptr;
}

}  // namespace strata
