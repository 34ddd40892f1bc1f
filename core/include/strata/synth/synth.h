// strata synth: deterministic, seeded checkpoints in exact HF layouts, for demos,
// tests and benchmarks. A preset is an HF config.json; the tensor list follows
// from the config (hf_layout.h), so presets are data.
// Usage: SynthOptions o; o.preset = "tiny"; o.out = "demo"; synthesize(o, progress, cancel);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/dtype.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

struct SynthPreset {
    std::string name;
    std::string description;
    nlohmann::json config;  // the HF config.json written with the weights
};

const std::vector<SynthPreset>& synth_presets();
const SynthPreset* find_synth_preset(const std::string& name);

struct SynthOptions {
    std::string preset = "tiny";
    std::filesystem::path out;
    int layers = 0;                 // 0 = the preset's depth
    DType dtype = DType::BF16;      // BF16 or F32
    uint64_t seed = 0;
    bool sparse = false;            // valid headers over file holes: no data written
    uint64_t max_shard_bytes = 5'000'000'000;
    bool overwrite = false;
};

// Writes config.json + safetensors (sharded past max_shard_bytes) atomically into options.out.
Status synthesize(const SynthOptions& options, ProgressSink& progress, const CancelToken& cancel);

// The deterministic value generator synth uses for tensor `name` (exposed for tests):
// fills `out` (F32 values) from (seed, name). Norm weights are near 1, others N(0, std).
void synth_values(uint64_t seed, const std::string& name, float std, bool is_norm, std::span<float> out);

}  // namespace strata
