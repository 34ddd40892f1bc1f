// HF tensors of the Qwen3.5 / Qwen3.5-MoE VL wrappers' vision tower (model.visual.*), in
// state-dict order. Source: transformers models/qwen3_5/modeling_qwen3_5.py
// (Qwen3_5VisionModel: patch_embed.proj Conv3d with bias, pos_embed, blocks.{i}.{norm1, norm2,
// attn.qkv, attn.proj, mlp.linear_fc1, mlp.linear_fc2}, merger.{norm, linear_fc1, linear_fc2};
// no deepstack mergers) and Qwen3_5VisionConfig field names; models/qwen3_5_moe is the same.
// Strata does not convert these (the language model only); synth writes them so the VL
// wrapper checkpoints it makes look like the hub's.
#include <string>

#include "strata/model/hf_layout.h"

namespace strata {
namespace {

using nlohmann::json;

Result<uint64_t> vision_dim(const json& v, const char* key, int64_t fallback) {
    if (!v.contains(key)) return static_cast<uint64_t>(fallback);
    if (!v[key].is_number_integer() || v[key].get<int64_t>() <= 0)
        return Status::invalid_argument(std::string("config.json vision_config: '") + key +
                                        "' must be a positive integer");
    return v[key].get<uint64_t>();
}

}  // namespace

Result<std::vector<TensorEntry>> vision_tower_tensor_entries(const json& config, DType dtype) {
    std::vector<TensorEntry> out;
    if (!config.is_object() || !config.contains("vision_config") || !config["vision_config"].is_object()) return out;
    const json& v = config["vision_config"];
    // Defaults: Qwen3_5VisionConfig.
    STRATA_TRY(uint64_t depth, vision_dim(v, "depth", 27));
    STRATA_TRY(uint64_t hidden, vision_dim(v, "hidden_size", 1152));
    STRATA_TRY(uint64_t ffn, vision_dim(v, "intermediate_size", 4304));
    STRATA_TRY(uint64_t channels, vision_dim(v, "in_channels", 3));
    STRATA_TRY(uint64_t patch, vision_dim(v, "patch_size", 16));
    STRATA_TRY(uint64_t temporal, vision_dim(v, "temporal_patch_size", 2));
    STRATA_TRY(uint64_t merge, vision_dim(v, "spatial_merge_size", 2));
    STRATA_TRY(uint64_t out_hidden, vision_dim(v, "out_hidden_size", 3584));
    STRATA_TRY(uint64_t positions, vision_dim(v, "num_position_embeddings", 2304));
    const auto e = [&](const std::string& name, Shape shape) { out.push_back({name, dtype, std::move(shape)}); };
    const std::string m = "model.visual.";
    e(m + "patch_embed.proj.weight", {hidden, channels, temporal, patch, patch});
    e(m + "patch_embed.proj.bias", {hidden});
    e(m + "pos_embed.weight", {positions, hidden});
    for (uint64_t b = 0; b < depth; ++b) {
        const std::string p = m + "blocks." + std::to_string(b) + ".";
        e(p + "norm1.weight", {hidden});
        e(p + "norm1.bias", {hidden});
        e(p + "norm2.weight", {hidden});
        e(p + "norm2.bias", {hidden});
        e(p + "attn.qkv.weight", {3 * hidden, hidden});
        e(p + "attn.qkv.bias", {3 * hidden});
        e(p + "attn.proj.weight", {hidden, hidden});
        e(p + "attn.proj.bias", {hidden});
        e(p + "mlp.linear_fc1.weight", {ffn, hidden});
        e(p + "mlp.linear_fc1.bias", {ffn});
        e(p + "mlp.linear_fc2.weight", {hidden, ffn});
        e(p + "mlp.linear_fc2.bias", {hidden});
    }
    // Qwen3_5VisionPatchMerger(use_postshuffle_norm=False): LayerNorm over the vision width,
    // then two linears over the merged (merge^2 x wider) patch.
    const uint64_t merged = hidden * merge * merge;
    e(m + "merger.norm.weight", {hidden});
    e(m + "merger.norm.bias", {hidden});
    e(m + "merger.linear_fc1.weight", {merged, merged});
    e(m + "merger.linear_fc1.bias", {merged});
    e(m + "merger.linear_fc2.weight", {out_hidden, merged});
    e(m + "merger.linear_fc2.bias", {out_hidden});
    return out;
}

}  // namespace strata
