// torch_dist keys <-> legacy TP1 PP1 EP1 names (facts torch-dist.md §1.5): reading unstacks the
// layer and expert axes into per-layer, per-expert tensors made of chunk slices; writing names
// each legacy tensor's key, leading offsets and `_extra_state` objects.
#include "strata/mapping/torch_dist_keys.h"

#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <variant>

namespace strata {
namespace {

constexpr std::string_view kLayers = "decoder.layers.";
constexpr std::string_view kExperts = "mlp.experts.experts.";  // the expert module's own "experts."

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// A decoder key: the layer it names (nullopt: a leading layer axis) and the module path after it.
struct DecoderKey {
    std::optional<uint64_t> layer;
    std::string rest;
};

std::optional<DecoderKey> decoder_key(std::string_view key) {
    if (!starts_with(key, kLayers)) return std::nullopt;
    std::string_view tail = key.substr(kLayers.size());
    size_t digits = 0;
    while (digits < tail.size() && std::isdigit(static_cast<unsigned char>(tail[digits]))) ++digits;
    if (digits > 0 && digits < 10 && digits < tail.size() && tail[digits] == '.')
        return DecoderKey{std::stoull(std::string(tail.substr(0, digits))), std::string(tail.substr(digits + 1))};
    return DecoderKey{std::nullopt, std::string(tail)};
}

// The chunks of a tensor, whether it is stored whole or in pieces.
std::vector<TensorChunk> chunks_of(const TensorInfo& info) {
    if (info.location.is_chunked()) return info.location.chunks;
    TensorChunk whole;
    whole.offsets.assign(info.shape.size(), 0);
    whole.sizes = info.shape;
    whole.file = info.location.file;
    whole.offset = info.location.offset;
    whole.nbytes = info.location.nbytes;
    whole.strides = info.location.strides;
    return {whole};
}

// Layers whose MLP is a MoE layer (a router is stored for them), for the local-spec norm name.
struct MoeLayers {
    bool all = false;
    std::set<uint64_t> layers;
    bool has(uint64_t l) const { return all || layers.count(l) > 0; }
};

MoeLayers moe_layers(const Checkpoint& ckpt) {
    MoeLayers m;
    for (const auto& t : ckpt.tensors) {
        auto k = decoder_key(t.name);
        if (!k || k->rest != "mlp.router.weight") continue;
        if (k->layer)
            m.layers.insert(*k->layer);
        else
            m.all = true;
    }
    return m;
}

// The legacy module path of one layer's tensor. The local layer spec stores a MoE layer's
// pre-MLP norm under the dense fused name (facts torch-dist.md §1.5 norm caveat); a legacy
// TE checkpoint and Strata's layouts call it pre_mlp_layernorm.
std::string legacy_rest(const std::string& rest, bool moe_layer) {
    if (moe_layer && rest == "mlp.linear_fc1.layer_norm_weight") return "pre_mlp_layernorm.weight";
    if (moe_layer && rest == "mlp.linear_fc1.layer_norm_bias") return "pre_mlp_layernorm.bias";
    return rest;
}

struct ViewBuilder {
    const Checkpoint& src;
    MoeLayers moe;
    Checkpoint out;

    Status add(TensorInfo info, std::string name) {
        info.name = std::move(name);
        info.rank = RankCoord{};
        out.tensors.push_back(std::move(info));
        return Status::ok();
    }

    // One layer's tensor: split off the expert axis when it has one.
    Status add_layer(const TensorInfo& t, uint64_t layer, const std::string& rest) {
        const std::string prefix = std::string(kLayers) + std::to_string(layer) + ".";
        if (!starts_with(rest, kExperts)) {
            const std::string name = prefix + legacy_rest(rest, moe.has(layer));
            return add(t, name);
        }
        if (t.shape.empty())
            return Status::corrupt("an expert tensor needs an expert axis, found a scalar").in_tensor(t.name);
        const std::string param = "mlp.experts." + rest.substr(kExperts.size());  // TEGroupedMLP: weight{e}
        const uint32_t es = dtype_size(t.dtype);
        for (uint64_t e = 0; e < t.shape[0]; ++e) {
            STRATA_TRY(TensorInfo expert, slice_leading_axis(t, e, es));
            STRATA_RETURN_IF_ERROR(add(std::move(expert), prefix + param + std::to_string(e)));
        }
        return Status::ok();
    }

    Status add_key(const TensorInfo& t) {
        auto k = decoder_key(t.name);
        if (!k) return add(t, t.name);
        if (k->layer) return add_layer(t, *k->layer, k->rest);
        if (t.shape.empty())
            return Status::corrupt("a stacked decoder tensor needs a layer axis, found a scalar").in_tensor(t.name);
        const uint32_t es = dtype_size(t.dtype);
        for (uint64_t l = 0; l < t.shape[0]; ++l) {
            auto layer = slice_leading_axis(t, l, es);
            if (!layer) return layer.status().in_tensor(t.name);
            STRATA_RETURN_IF_ERROR(add_layer(*layer, l, k->rest));
        }
        return Status::ok();
    }
};

// Fused tensors Megatron saves one key per section along dim 0 (TorchDistSection), read back as
// the legacy tensor: the sections' chunks, their rows shifted by the section's start.
struct SectionFamily {
    std::string_view suffix;
    std::vector<std::string_view> names;
};
const SectionFamily kSectionFamilies[] = {{".in_proj.weight", {"z", "x", "B", "C", "dt"}},
                                          {".conv1d.weight", {"x", "B", "C"}},
                                          {".conv1d.bias", {"x", "B", "C"}}};

// (family, section index) of a key "<base><suffix>.<name>"; nullopt for other keys.
std::optional<std::pair<const SectionFamily*, size_t>> section_of(std::string_view key, std::string* base) {
    const size_t dot = key.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view stem = key.substr(0, dot), name = key.substr(dot + 1);
    for (const SectionFamily& f : kSectionFamilies) {
        if (!stem.ends_with(f.suffix)) continue;
        for (size_t i = 0; i < f.names.size(); ++i)
            if (f.names[i] == name) {
                *base = std::string(stem);
                return std::make_pair(&f, i);
            }
    }
    return std::nullopt;
}

Result<TensorInfo> merge_sections(const std::string& base, const std::vector<const TensorInfo*>& parts) {
    TensorInfo out;
    out.name = base;
    out.dtype = parts.front()->dtype;
    uint64_t rows = 0;
    std::vector<TensorChunk> chunks;
    for (const TensorInfo* p : parts) {
        if (p->dtype != out.dtype || p->shape.empty() || p->shape.size() != parts.front()->shape.size() ||
            !std::equal(p->shape.begin() + 1, p->shape.end(), parts.front()->shape.begin() + 1))
            return Status::corrupt("its sections disagree on dtype or trailing shape").in_tensor(p->name);
        for (TensorChunk c : chunks_of(*p)) {
            c.offsets[0] += rows;
            chunks.push_back(std::move(c));
        }
        rows += p->shape[0];
    }
    out.shape = parts.front()->shape;
    out.shape[0] = rows;
    STRATA_TRY(uint64_t count, numel(out.shape));
    STRATA_TRY(out.location.nbytes, bytes_for(out.dtype, count));
    out.location.file = chunks.front().file;
    out.location.offset = chunks.front().offset;
    out.location.chunks = std::move(chunks);
    return out;
}

// The training run's args with the parallel sizes of the view (all 1: the tensors are global).
nlohmann::json view_args(const Checkpoint& ckpt) {
    nlohmann::json a = ckpt.config;
    for (const char* k : {"tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size",
                          "expert_tensor_parallel_size", "context_parallel_size"})
        if (a.contains(k)) a[k] = 1;
    for (const char* k : {"virtual_pipeline_model_parallel_size", "num_layers_per_virtual_pipeline_stage",
                          "decoder_first_pipeline_num_layers", "decoder_last_pipeline_num_layers"})
        a.erase(k);
    // Rows as stored (the training run padded the vocab for its own TP size).
    if (!a.contains("padded_vocab_size"))
        if (const TensorInfo* emb = ckpt.find("embedding.word_embeddings.weight"); emb && !emb->shape.empty())
            a["padded_vocab_size"] = emb->shape[0];
    return a;
}

// "linear_fc1.weight5" (TEGroupedMLP's per-expert name) -> ("linear_fc1.weight", 5).
std::optional<std::pair<std::string, uint64_t>> split_expert_suffix(std::string_view param) {
    size_t digits = 0;
    while (digits < param.size() && std::isdigit(static_cast<unsigned char>(param[param.size() - 1 - digits])))
        ++digits;
    const std::string_view stem = param.substr(0, param.size() - digits);
    if (digits == 0 || digits > 9 || !(stem.ends_with(".weight") || stem.ends_with(".bias"))) return std::nullopt;
    return std::make_pair(std::string(stem), std::stoull(std::string(param.substr(stem.size()))));
}

// The linears Megatron saves an `_extra_state` object for (TE modules and the local spec's
// linears alike; facts torch-dist.md §1.5), by the module's last name.
bool has_extra_state(std::string_view module) {
    for (std::string_view m : {"linear_qkv", "linear_proj", "linear_fc1", "linear_fc2", "in_proj", "out_proj"})
        if (module == m || module.ends_with("." + std::string(m))) return true;
    return false;
}

std::string shard_suffix(const std::vector<uint64_t>& at, const std::vector<uint64_t>& of) {
    auto joined = [](const std::vector<uint64_t>& v) {
        std::string s;
        for (size_t i = 0; i < v.size(); ++i) s += (i ? "." : "") + std::to_string(v[i]);
        return s;
    };
    if (at.empty()) return "shard_0_1";
    return "shard_" + joined(at) + "_" + joined(of);
}

}  // namespace

Result<TorchDistPlace> torch_dist_place_of_legacy(std::string_view legacy_name, const Shape& shape,
                                                  const TorchDistNaming& naming) {
    TorchDistPlace place;
    auto k = decoder_key(legacy_name);
    if (!k) {
        place.key = std::string(legacy_name);
        return place;
    }
    if (!k->layer)
        return Status::invalid_argument("a legacy decoder name without a layer number").in_tensor(std::string(legacy_name));
    const uint64_t layer = *k->layer;
    if (naming.stacked && layer >= naming.layers)
        return Status::invalid_argument("layer " + std::to_string(layer) + " is outside the model's " +
                                        std::to_string(naming.layers) + " layers")
            .in_tensor(std::string(legacy_name));
    std::string param = k->rest;
    std::optional<uint64_t> expert;
    if (starts_with(param, "mlp.experts.")) {
        auto split = split_expert_suffix(param);
        if (!split || split->second >= naming.experts)
            return Status::invalid_argument("not a per-expert name of the grouped expert layout (linear_fc1.weight<e>)")
                .in_tensor(std::string(legacy_name));
        param = std::string(kExperts) + split->first.substr(std::string_view("mlp.experts.").size());
        expert = split->second;
    }
    // Megatron-Core >= 0.19 names the conv parameters conv1d_weight / conv1d_bias; their DCP keys stay.
    for (const char* part : {"weight", "bias"})
        if (param.ends_with(std::string("mixer.conv1d_") + part))
            param = param.substr(0, param.size() - std::string_view("conv1d_").size() - std::strlen(part)) +
                    "conv1d." + part;
    const bool moe = naming.moe_layer && naming.moe_layer(layer);
    if (naming.local_spec && moe && param == "pre_mlp_layernorm.weight") param = "mlp.linear_fc1.layer_norm_weight";
    if (naming.local_spec && moe && param == "pre_mlp_layernorm.bias") param = "mlp.linear_fc1.layer_norm_bias";

    const std::string prefix = naming.stacked ? std::string(kLayers) : std::string(kLayers) + std::to_string(layer) + ".";
    place.key = prefix + param;
    std::vector<uint64_t> shard_at, shard_of;
    if (naming.stacked) {
        place.leading.push_back(layer);
        place.leading_size.push_back(naming.layers);
        shard_at.push_back(layer);
        shard_of.push_back(naming.layers);
    }
    if (expert) {
        place.leading.push_back(*expert);
        place.leading_size.push_back(naming.experts);
        shard_at.push_back(*expert);
        shard_of.push_back(naming.experts);
    }
    if (naming.mamba_d_inner && (param == "mixer.in_proj.weight" || param == "mixer.conv1d.weight" ||
                                 param == "mixer.conv1d.bias")) {
        const uint64_t d = naming.mamba_d_inner, h = naming.mamba_heads;
        const bool in_proj = param == "mixer.in_proj.weight";
        const uint64_t rows = shape.empty() ? 0 : shape[0];
        const uint64_t fixed = in_proj ? 2 * d + h : d;
        if (rows <= fixed || (rows - fixed) % 2 != 0)
            return Status::invalid_argument("a Mamba " + param + " of " + std::to_string(rows) +
                                            " rows is not [" + (in_proj ? "z|x|B|C|dt" : "x|B|C") + "] with d_inner " +
                                            std::to_string(d))
                .in_tensor(std::string(legacy_name));
        const uint64_t groups_state = (rows - fixed) / 2;
        if (in_proj)
            place.sections = {{"z", d}, {"x", d}, {"B", groups_state}, {"C", groups_state}, {"dt", h}};
        else
            place.sections = {{"x", d}, {"B", groups_state}, {"C", groups_state}};
    }
    if (param.ends_with(".weight") && !param.ends_with("layer_norm_weight")) {
        const std::string module = param.substr(0, param.size() - std::string_view(".weight").size());
        if (has_extra_state(module)) {
            const std::string suffix = "._extra_state/" + shard_suffix(shard_at, shard_of);
            place.extra_states.push_back(prefix + module + suffix);
            if (module == "self_attention.linear_qkv")  // TEDotProductAttention (TE spec)
                place.extra_states.push_back(prefix + "self_attention.core_attention" + suffix);
        }
    }
    return place;
}

bool is_megatron_torch_dist(const Checkpoint& ckpt) {
    if (ckpt.format != "torch_dist") return false;
    for (const auto& t : ckpt.tensors)
        if (starts_with(t.name, "decoder.") || starts_with(t.name, "embedding.") || starts_with(t.name, "output_layer."))
            return true;
    return false;
}

Result<TensorInfo> slice_leading_axis(const TensorInfo& info, uint64_t index, uint32_t element_size) {
    if (info.shape.empty() || index >= info.shape[0])
        return Status::invalid_argument("index " + std::to_string(index) + " is outside the leading axis of " +
                                        shape_to_string(info.shape))
            .in_tensor(info.name);
    TensorInfo out;
    out.name = info.name;
    out.dtype = info.dtype;
    out.rank = info.rank;
    out.shape.assign(info.shape.begin() + 1, info.shape.end());
    STRATA_TRY(uint64_t count, numel(out.shape));
    STRATA_TRY(out.location.nbytes, bytes_for(info.dtype, count));
    std::vector<TensorChunk> parts;
    for (const TensorChunk& c : chunks_of(info)) {
        if (index < c.offsets[0] || index >= c.offsets[0] + c.sizes[0]) continue;
        TensorChunk part;
        part.offsets.assign(c.offsets.begin() + 1, c.offsets.end());
        part.sizes.assign(c.sizes.begin() + 1, c.sizes.end());
        STRATA_TRY(uint64_t part_count, numel(part.sizes));
        // Element step of the leading axis inside the chunk: its stored stride, or row-major.
        const uint64_t step = c.strides.empty() ? part_count : static_cast<uint64_t>(c.strides[0]);
        part.file = c.file;
        part.offset = c.offset + (index - c.offsets[0]) * step * element_size;
        STRATA_TRY(part.nbytes, bytes_for(info.dtype, part_count));
        if (!c.strides.empty()) part.strides.assign(c.strides.begin() + 1, c.strides.end());
        parts.push_back(std::move(part));
    }
    if (parts.empty()) return out;  // numel 0
    const TensorChunk& first = parts.front();
    out.location.file = first.file;
    out.location.offset = first.offset;
    const bool whole = parts.size() == 1 && first.sizes == out.shape;
    if (whole)
        out.location.strides = first.strides;
    else
        out.location.chunks = std::move(parts);
    return out;
}

Result<Checkpoint> legacy_view_of_torch_dist(const Checkpoint& ckpt) {
    if (!is_megatron_torch_dist(ckpt))
        return Status::invalid_argument("not a Megatron torch_dist checkpoint").in_file(ckpt.path.string());
    ViewBuilder b{ckpt, moe_layers(ckpt), Checkpoint{}};
    b.out.format = "megatron";
    b.out.path = ckpt.path;
    b.out.files = ckpt.files;
    b.out.config = ckpt.config.is_object() ? view_args(ckpt) : ckpt.config;
    b.out.metadata = ckpt.metadata;
    b.out.metadata["torch_dist_view"] = true;
    // Section keys are gathered and merged where their first section stood.
    std::map<std::string, std::pair<const SectionFamily*, std::vector<const TensorInfo*>>> sections;
    std::vector<std::variant<const TensorInfo*, std::string>> order;
    for (const auto& t : ckpt.tensors) {
        std::string base;
        auto at = section_of(t.name, &base);
        if (!at) {
            order.emplace_back(&t);
            continue;
        }
        auto [it, fresh] = sections.try_emplace(base, at->first, std::vector<const TensorInfo*>(at->first->names.size()));
        if (fresh) order.emplace_back(base);
        it->second.second[at->second] = &t;
    }
    for (const auto& item : order) {
        if (const auto* t = std::get_if<const TensorInfo*>(&item)) {
            STRATA_RETURN_IF_ERROR(b.add_key(**t));
            continue;
        }
        const std::string& base = std::get<std::string>(item);
        const auto& [family, parts] = sections.at(base);
        for (size_t i = 0; i < parts.size(); ++i)
            if (!parts[i])
                return Status::corrupt("section '" + std::string(family->names[i]) + "' of this tensor is missing")
                    .in_tensor(base)
                    .in_file(ckpt.path.string());
        STRATA_TRY(TensorInfo merged, merge_sections(base, parts));
        STRATA_RETURN_IF_ERROR(b.add_key(merged));
    }
    auto st = b.out.finalize();
    if (!st) return st.in_file(ckpt.path.string());
    return std::move(b.out);
}

}  // namespace strata
