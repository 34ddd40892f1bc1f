#include "strata/synth/synth.h"

#include <cmath>
#include <cstring>

#include "strata/formats/safetensors.h"
#include "strata/io/atomic_output.h"
#include "strata/kernels/bulk_convert.h"
#include "strata/model/hf_config.h"
#include "strata/model/hf_layout.h"

namespace strata {
namespace {

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

bool is_norm(const std::string& name) { return name.find("norm") != std::string::npos; }

}  // namespace

void synth_values(uint64_t seed, const std::string& name, float std, bool norm, std::span<float> out) {
    uint64_t state = seed ^ fnv1a(name);
    for (size_t i = 0; i < out.size(); i += 2) {
        // Box-Muller on two uniforms in (0, 1].
        const double u1 = (static_cast<double>(splitmix64(state) >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double z0 = r * std::cos(2.0 * M_PI * u2), z1 = r * std::sin(2.0 * M_PI * u2);
        out[i] = norm ? static_cast<float>(1.0 + 0.1 * z0) : static_cast<float>(std * z0);
        if (i + 1 < out.size()) out[i + 1] = norm ? static_cast<float>(1.0 + 0.1 * z1) : static_cast<float>(std * z1);
    }
}

Status synthesize(const SynthOptions& options, ProgressSink& progress, const CancelToken& cancel) {
    const SynthPreset* preset = find_synth_preset(options.preset);
    if (!preset) {
        std::string names;
        for (const auto& p : synth_presets()) names += (names.empty() ? "" : ", ") + p.name;
        return Status::invalid_argument("unknown preset '" + options.preset + "' (presets: " + names + ")");
    }
    if (options.dtype != DType::BF16 && options.dtype != DType::F32)
        return Status::invalid_argument("synth writes bf16 or f32, not " + std::string(dtype_name(options.dtype)));
    nlohmann::json config = preset->config;
    if (options.layers > 0) {
        // VL wrappers keep the language model's depth in text_config.
        nlohmann::json& lm = config.contains("text_config") ? config["text_config"] : config;
        const int full = lm["num_hidden_layers"].get<int>();
        if (options.layers > full)
            return Status::invalid_argument("--layers " + std::to_string(options.layers) + " exceeds the preset's " +
                                            std::to_string(full));
        lm["num_hidden_layers"] = options.layers;
        if (lm.contains("max_window_layers")) lm["max_window_layers"] = options.layers;
        if (lm.contains("layer_types") && lm["layer_types"].is_array())
            lm["layer_types"].get_ref<nlohmann::json::array_t&>().resize(static_cast<size_t>(options.layers));
    }
    config["torch_dtype"] = options.dtype == DType::BF16 ? "bfloat16" : "float32";
    // VL wrappers: the vision tower first (Qwen3_5Model registers visual before language_model).
    STRATA_TRY(auto entries, vision_tower_tensor_entries(config, options.dtype));
    STRATA_TRY(auto lm_entries, hf_tensor_entries(config, options.dtype));
    entries.insert(entries.end(), lm_entries.begin(), lm_entries.end());

    STRATA_TRY(auto out, AtomicOutput::create(options.out, AtomicOutput::Kind::Directory, options.overwrite));
    for (const std::string& line : out.swept()) progress.log(line);
    SafetensorsWriterOptions wopts;
    wopts.max_shard_bytes = options.max_shard_bytes;
    wopts.sparse = options.sparse;
    SafetensorsWriter writer(out.temp_path(), wopts);
    STRATA_RETURN_IF_ERROR(writer.begin(entries));
    STRATA_RETURN_IF_ERROR(write_json_file(out.temp_path() / "config.json", config));

    if (!options.sparse) {
        uint64_t total = 0;
        for (const auto& e : entries) total += e.byte_size();
        progress.begin("synth " + options.preset, total);
        const float std = config.value("initializer_range", 0.02f);
        std::vector<float> values;
        std::vector<std::byte> bytes;
        for (size_t i = 0; i < entries.size(); ++i) {
            STRATA_RETURN_IF_ERROR(cancel.check());
            const auto& e = entries[i];
            values.resize(e.byte_size() / dtype_size(e.dtype));
            synth_values(options.seed, e.name, std, is_norm(e.name), values);
            bytes.resize(e.byte_size());
            if (e.dtype == DType::F32) {
                std::memcpy(bytes.data(), values.data(), bytes.size());
            } else {
                auto* dst = reinterpret_cast<uint16_t*>(bytes.data());
                kernels::f32_to_bf16(values.data(), dst, values.size());
            }
            STRATA_RETURN_IF_ERROR(writer.write(i, bytes));
            progress.advance(bytes.size());
        }
    }
    STRATA_RETURN_IF_ERROR(writer.finish());
    // Verify before the rename: the folder must open and hold exactly the planned tensors.
    auto check = open_safetensors(out.temp_path());
    if (!check) return check.status();
    if (check->tensors.size() != entries.size())
        return Status::internal("written checkpoint has " + std::to_string(check->tensors.size()) + " tensors, planned " +
                                std::to_string(entries.size()));
    return out.commit();
}

}  // namespace strata
