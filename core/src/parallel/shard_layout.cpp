// ShardLayout: Megatron layout pieces summed per rank.
#include "strata/parallel/shard_layout.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "strata/convert/megatron_args.h"
#include "strata/formats/format_registry.h"
#include "strata/mapping/canonical_view.h"
#include "strata/mapping/mapping_registry.h"
#include "strata/model/hf_layout.h"
#include "strata/synth/synth.h"

namespace strata {

uint64_t ShardLayout::max_rank_bytes() const {
    uint64_t m = 0;
    for (const auto& r : ranks) m = std::max(m, r.bytes);
    return m;
}

Result<ShardLayout> shard_layout(const nlohmann::json& hf_config, const ShardLayoutOptions& options) {
    STRATA_TRY(ModelSpec spec, mapping_spec_from_hf_config(hf_config));
    STRATA_TRY(const MappingRegistry* registry, mapping_registry_for(spec.model_type));
    auto dtype = parse_dtype_loose(hf_config.value("torch_dtype", std::string("bfloat16")));
    STRATA_TRY(auto canonical, hf_tensor_entries(hf_config, dtype.value_or(DType::BF16)));
    LayoutOptions lo = options.layout;
    lo.kind = LayoutKind::Megatron;
    STRATA_TRY(Layout layout, build_layout(spec, canonical, *registry, lo));
    return shard_layout_of(std::move(layout), options.dp);
}

ShardLayout shard_layout_of(Layout layout, int dp_size) {
    ShardLayout sl;
    sl.layout = std::move(layout);
    const Layout& l = sl.layout;
    for (const auto& f : l.files) sl.ranks.push_back({f.rank, f.path, 0, 0, 0, {}, {}, {}});
    for (uint32_t t = 0; t < l.tensors.size(); ++t) {
        const auto& lt = l.tensors[t];
        uint64_t n = 1;
        for (auto d : lt.shape) n *= d;
        auto& r = sl.ranks[lt.file];
        r.parameters += n;
        if (lt.name.find(".experts.") != std::string::npos) r.expert_parameters += n;
        r.bytes += n * std::max<uint64_t>(1, dtype_size(lt.dtype));
    }
    for (const auto& p : l.pieces) sl.ranks[l.tensors[p.tensor].file].slices.push_back({p.canonical, p.box, p.tensor});
    const auto& plan = l.options.plan;
    const uint64_t dp = static_cast<uint64_t>(std::max(1, dp_size));
    // Expert data parallel = dp * tp / (ep * etp) (Megatron's expert grid over the same ranks).
    const uint64_t edp =
        std::max<uint64_t>(1, dp * static_cast<uint64_t>(plan.tp) / static_cast<uint64_t>(plan.ep * plan.expert_tp()));
    for (auto& r : sl.ranks) {
        const uint64_t dense = r.parameters - r.expert_parameters;
        r.memory = {r.bytes, 4 * r.parameters, 12 * r.parameters};
        r.memory_distributed = {r.bytes, 4 * r.parameters, 12 * dense / dp + 12 * r.expert_parameters / edp};
    }
    return sl;
}

Result<nlohmann::json> model_hf_config(const std::string& model) {
    if (const SynthPreset* preset = find_synth_preset(model)) return preset->config;
    STRATA_TRY(Checkpoint ckpt, open_checkpoint(model));
    STRATA_TRY(DetectedLayout detected, detect_layout(ckpt));
    return detected.hf_config;
}

Result<ShardLayout> shard_layout_for(const std::string& model, const ShardLayoutOptions& options) {
    STRATA_TRY(nlohmann::json config, model_hf_config(model));
    return shard_layout(config, options);
}

std::string shard_layout_text(const ShardLayout& sl) {
    std::ostringstream os;
    char line[256];
    std::snprintf(line, sizeof line, "%-26s %14s %12s %12s %14s %14s\n", "rank file", "params", "expert", "MB",
                  "train MB", "train MB (dist)");
    os << line;
    for (const auto& r : sl.ranks) {
        std::snprintf(line, sizeof line, "%-26s %14llu %12llu %12.1f %14.1f %14.1f\n",
                      r.file.substr(0, r.file.find('/')).c_str(), static_cast<unsigned long long>(r.parameters),
                      static_cast<unsigned long long>(r.expert_parameters), static_cast<double>(r.bytes) / 1e6,
                      static_cast<double>(r.memory.total()) / 1e6,
                      static_cast<double>(r.memory_distributed.total()) / 1e6);
        os << line;
    }
    return os.str();
}

nlohmann::json shard_layout_json(const ShardLayout& sl, bool slices) {
    using nlohmann::json;
    json j = json::array();
    for (const auto& r : sl.ranks) {
        json jr{{"rank", {{"tp", r.rank.tp}, {"pp", r.rank.pp}, {"ep", r.rank.ep}}},
                {"file", r.file},
                {"parameters", r.parameters},
                {"expert_parameters", r.expert_parameters},
                {"bytes", r.bytes},
                {"memory",
                 {{"weights", r.memory.weights},
                  {"grads", r.memory.grads},
                  {"optimizer", r.memory.optimizer},
                  {"total", r.memory.total()}}},
                {"memory_distributed_optimizer",
                 {{"optimizer", r.memory_distributed.optimizer}, {"total", r.memory_distributed.total()}}}};
        if (slices) {
            jr["slices"] = json::array();
            for (const auto& s : r.slices)
                jr["slices"].push_back({{"canonical", sl.layout.canonical[s.canonical].name},
                                        {"start", s.box.start},
                                        {"extent", s.box.extent},
                                        {"stored", sl.layout.tensors[s.tensor].name}});
        }
        j.push_back(std::move(jr));
    }
    return {{"ranks", j}, {"max_rank_bytes", sl.max_rank_bytes()}};
}

}  // namespace strata
