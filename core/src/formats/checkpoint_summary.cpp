#include "strata/formats/checkpoint_summary.h"

namespace strata {

CheckpointSummary summarize(const Checkpoint& ckpt) {
    CheckpointSummary s;
    s.format = ckpt.format;
    s.file_count = ckpt.files.size();
    s.tensor_count = ckpt.tensors.size();
    for (const auto& t : ckpt.tensors) {
        const uint64_t n = t.element_count();
        s.parameter_count += n;
        s.total_bytes += t.byte_size();
        s.parameters_by_dtype[std::string(dtype_name(t.dtype))] += n;
    }
    s.config_summary = nlohmann::json::object();
    if (ckpt.config.is_object()) {
        static const char* kKeys[] = {"model_type", "architectures", "hidden_size", "num_hidden_layers",
                                      "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
                                      "moe_intermediate_size", "num_experts", "num_experts_per_tok", "vocab_size",
                                      "torch_dtype", "tensor_model_parallel_size", "pipeline_model_parallel_size",
                                      "expert_model_parallel_size", "num_layers", "num_moe_experts",
                                      "hybrid_override_pattern", "hybrid_layer_pattern"};
        // VL wrappers (Qwen3_5(Moe)ForConditionalGeneration) keep the language model's dims in text_config.
        const auto text = ckpt.config.find("text_config");
        const bool vl = text != ckpt.config.end() && text->is_object();
        for (const char* k : kKeys)
            if (ckpt.config.contains(k))
                s.config_summary[k] = ckpt.config[k];
            else if (vl && text->contains(k))
                s.config_summary[k] = (*text)[k];
    }
    return s;
}

bool glob_match(std::string_view p, std::string_view t) {
    size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
    while (ti < t.size()) {
        if (pi < p.size() && p[pi] == '[') {
            const size_t close = p.find(']', pi + 1);
            if (close != std::string_view::npos) {
                const auto set = p.substr(pi + 1, close - pi - 1);
                if (set.find(t[ti]) != std::string_view::npos) {
                    pi = close + 1;
                    ++ti;
                    continue;
                }
            }
        } else if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
            ++pi;
            ++ti;
            continue;
        } else if (pi < p.size() && p[pi] == '*') {
            star = pi++;
            mark = ti;
            continue;
        }
        if (star == std::string_view::npos) return false;
        pi = star + 1;
        ti = ++mark;
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

nlohmann::json inspect_json(const Checkpoint& ckpt, const std::string& filter) {
    const auto s = summarize(ckpt);
    nlohmann::json j;
    j["format"] = s.format;
    j["path"] = ckpt.path.string();
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : ckpt.files) files.push_back({{"name", f.display_name}, {"bytes", f.map->size()}});
    j["files"] = files;
    j["tensor_count"] = s.tensor_count;
    j["parameter_count"] = s.parameter_count;
    j["total_bytes"] = s.total_bytes;
    j["dtypes"] = s.parameters_by_dtype;
    j["config"] = s.config_summary;
    if (!ckpt.metadata.is_null()) j["metadata"] = ckpt.metadata;
    nlohmann::json tensors = nlohmann::json::array();
    const bool ranked = ckpt.format == "megatron";
    for (const auto& t : ckpt.tensors) {
        if (!filter.empty() && !glob_match(filter, t.name)) continue;
        nlohmann::json row{{"name", t.name},
                           {"dtype", std::string(dtype_name(t.dtype))},
                           {"shape", t.shape},
                           {"bytes", t.byte_size()},
                           {"file", ckpt.file_of(t).display_name}};
        if (ranked) row["rank"] = {{"tp", t.rank.tp}, {"pp", t.rank.pp}, {"ep", t.rank.ep}};
        if (t.location.is_chunked()) {  // torch_dist: each chunk's box and file
            nlohmann::json chunks = nlohmann::json::array();
            for (const auto& c : t.location.chunks)
                chunks.push_back({{"offsets", c.offsets}, {"sizes", c.sizes}, {"file", ckpt.files.at(c.file).display_name}});
            row["chunks"] = std::move(chunks);
        }
        tensors.push_back(std::move(row));
    }
    j["tensors"] = std::move(tensors);
    return j;
}

}  // namespace strata
