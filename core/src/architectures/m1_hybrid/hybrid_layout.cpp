// M1 hybrids in the conversion engine (see hybrid_layout.h). Megatron arg names follow
// megatron/training/arguments.py (--hybrid-override-pattern ≤ v0.16, --hybrid-layer-pattern
// v0.17+, --mamba-num-heads/-head-dim/-state-dim/-num-groups; facts/mamba-megatron.md §1.5,
// §2.1, §2.4); M1's mamba_config.json field order is its MambaConfig dataclass (§1.1, §1.4).
#include "strata/hybrid/hybrid_layout.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <set>

#include "strata/convert/megatron_args.h"
#include "strata/io/bounded_read.h"
#include "strata/model/hf_config.h"
#include "strata/model/hf_layout.h"
#include "strata/pattern/layer_pattern.h"

namespace strata {
namespace {

using nlohmann::json;

int layer_of(const std::string& name) {
    static const std::string kPrefix = "model.layers.";
    if (name.rfind(kPrefix, 0) != 0) return -1;
    size_t i = kPrefix.size(), j = i;
    while (j < name.size() && name[j] >= '0' && name[j] <= '9' && j - i < 7) ++j;
    return j > i && j < name.size() && name[j] == '.' ? std::stoi(name.substr(i, j - i)) : -1;
}

json without_mamba(const json& config) {
    json base = config;
    base.erase("mamba_config");
    return base;
}

std::string pattern_of(const json& args) {
    for (const char* key : {"hybrid_layer_pattern", "hybrid_override_pattern"})
        if (args.contains(key) && args[key].is_string() && !args[key].get<std::string>().empty())
            return args[key].get<std::string>();
    return "";
}

// M1's MambaConfig fields in dataclass order (mamba2/hybrid_mamba_config.py).
constexpr const char* kMambaConfigFields[] = {"d_model", "ssm_cfg", "rms_norm_eps", "vocab_size", "d_inner",
                                              "d_xb", "intermediate_size", "hidden_act", "n_layer", "attn_layers",
                                              "num_experts", "norm_topk_prob", "hidden_size",
                                              "moe_intermediate_size", "num_experts_per_tok"};

}  // namespace

const char* mamba_layout_name(MambaLayout layout) { return layout == MambaLayout::Exact ? "exact" : "m1"; }

std::optional<MambaLayout> parse_mamba_layout(std::string_view name) {
    if (name == "m1") return MambaLayout::M1;
    if (name == "exact") return MambaLayout::Exact;
    return std::nullopt;
}

bool is_m1_hybrid_config(const json& config) {
    return config.is_object() && config.contains("mamba_config") && config["mamba_config"].is_object();
}

Result<std::vector<int>> m1_attn_layers(const json& config) {
    if (!is_m1_hybrid_config(config)) return Status::invalid_argument("not an M1 hybrid (no mamba_config.json)");
    const json& mc = config["mamba_config"];
    const int n = mc.value("n_layer", config.value("num_hidden_layers", 0));
    if (config.value("num_hidden_layers", n) != n)
        return Status::invalid_argument("mamba_config.json: n_layer " + std::to_string(n) +
                                        " differs from config.json num_hidden_layers");
    if (!mc.contains("attn_layers") || !mc["attn_layers"].is_array())
        return Status::invalid_argument("mamba_config.json: 'attn_layers' must be a list of layer indices");
    std::vector<int> out;
    for (const json& v : mc["attn_layers"]) {
        if (!v.is_number_integer() || v.get<int>() < 0 || v.get<int>() >= n)
            return Status::invalid_argument("mamba_config.json: attn_layers entry " + v.dump() + " is not in 0.." +
                                            std::to_string(n - 1));
        if (!out.empty() && v.get<int>() <= out.back())
            return Status::invalid_argument("mamba_config.json: attn_layers must be sorted and unique");
        out.push_back(v.get<int>());
    }
    return out;
}

std::vector<TensorEntry> m1_mamba_layer_entries(int layer, const M1Dims& d, DType dtype) {
    const std::string p = "model.layers." + std::to_string(layer) + ".mamba.";
    return {
        {p + "dt_bias", dtype, {d.nheads()}},
        {p + "A_log", dtype, {d.nheads()}},
        {p + "D", DType::F32, {d.nheads()}},
        {p + "in_proj.weight", dtype, {d.in_proj_rows(), d.hidden}},
        {p + "conv1d.weight", dtype, {d.conv_dim(), 1, d.d_conv}},
        {p + "conv1d.bias", dtype, {d.conv_dim()}},
        {p + "norm.weight", dtype, {d.d_inner}},
        {p + "out_proj.weight", dtype, {d.hidden, d.d_inner}},
    };
}

Result<std::vector<TensorEntry>> m1_hybrid_tensor_entries(const json& config, DType dtype) {
    STRATA_TRY(M1Dims d, m1_dims_from_hybrid_config(config));
    STRATA_TRY(std::vector<int> attn, m1_attn_layers(config));
    const json base = without_mamba(config);
    STRATA_TRY(M1Dims q, m1_dims(base, {.expand = d.expand, .d_conv = d.d_conv, .d_state = d.d_state}));
    if (q.d_inner != d.d_inner || q.d_xb != d.d_xb || q.hidden != d.hidden)
        return Status::invalid_argument("mamba_config.json (d_model " + std::to_string(d.hidden) + ", d_inner " +
                                        std::to_string(d.d_inner) + ", d_xb " + std::to_string(d.d_xb) +
                                        ") does not match config.json's attention dims");
    STRATA_TRY(auto qwen, hf_tensor_entries(base, dtype));
    const std::set<int> keep(attn.begin(), attn.end());
    std::vector<TensorEntry> out;
    for (TensorEntry& e : qwen) {
        const int layer = layer_of(e.name);
        if (layer < 0 || keep.count(layer) || e.name.find(".self_attn.") == std::string::npos) {
            out.push_back(std::move(e));
        } else if (e.name.ends_with(".self_attn.q_proj.weight")) {
            for (auto& m : m1_mamba_layer_entries(layer, d, dtype)) out.push_back(std::move(m));
        }
    }
    return out;
}

Result<ModelSpec> m1_hybrid_mapping_spec(const json& config) {
    STRATA_TRY(M1Dims d, m1_dims_from_hybrid_config(config));
    STRATA_TRY(std::vector<int> attn, m1_attn_layers(config));
    STRATA_TRY(ModelSpec s, mapping_spec_from_hf_config(without_mamba(config)));
    if (!s.is_moe())
        return Status::unsupported("dense M1 hybrids have no Megatron mapping table yet (M1 itself builds MoE "
                                   "hybrids only)");
    const auto hf_layers = static_cast<int>(s.layers);
    s.model_type = kM1HybridModelType;
    s.layer_kinds.assign(s.layers, LayerKind{MixerKind::Mamba2, MlpKind::MoE});
    for (int a : attn) s.layer_kinds[static_cast<size_t>(a)].mixer = MixerKind::Attention;
    s.layers = 2 * static_cast<uint64_t>(hf_layers);  // Megatron decoder layers
    s.mamba.d_inner = d.d_inner;
    s.mamba.n_heads = d.nheads();
    s.mamba.head_dim = d.head_dim;
    s.mamba.n_groups = d.ngroups();
    s.mamba.d_state = d.d_state;
    s.mamba.d_conv = d.d_conv;
    s.mamba.x_db = d.d_xb;
    STRATA_TRY(s.megatron_pattern, megatron_pattern_from_layers(s.layer_kinds));
    return s;
}

Result<std::string> m1_hybrid_pattern(const ModelSpec& spec, const LayoutOptions& options) {
    PatternOptions po;
    po.version = options.moe_symbol_e ? MegatronVersion::V0_16 : MegatronVersion::V0_15;
    return megatron_pattern_from_layers(spec.layer_kinds, po);
}

void add_m1_hybrid_megatron_args(const json& hf, const Layout& layout, json& a) {
    const ModelSpec& s = layout.spec;
    // The spec was built from these layer kinds, so the pattern exists.
    const std::string pattern = m1_hybrid_pattern(s, layout.options).value();
    const bool exact = layout.options.mamba == MambaLayout::Exact;
    a["num_layers"] = pattern.size();
    a["is_hybrid_model"] = true;
    a["hybrid_override_pattern"] = pattern;  // ≤ v0.16
    a["hybrid_layer_pattern"] = pattern;     // v0.17+
    // Ratios 0: the ≤ v0.16 override rule then accepts any pattern (§2.4).
    a["hybrid_attention_ratio"] = 0.0;
    a["hybrid_mlp_ratio"] = 0.0;
    a["mamba_num_heads"] = s.mamba.n_heads;
    a["mamba_head_dim"] = s.mamba.head_dim;
    a["mamba_state_dim"] = s.mamba.d_state;
    // exact: stock MambaMixer with one B/C group per head; m1: the source workflow's
    // mamba2_n_groups = KV groups (x/B groups of M1's mixer).
    a["mamba_num_groups"] = exact ? s.mamba.n_heads : s.mamba.x_db / s.mamba.head_dim;
    a["mamba_expand"] = s.mamba.d_inner / s.hidden;
    a["mamba_d_conv"] = s.mamba.d_conv;
    a["strata_mamba_layout"] = mamba_layout_name(layout.options.mamba);
    if (is_m1_hybrid_config(hf)) a["strata_m1_mamba_config"] = hf["mamba_config"].dump();
}

bool is_m1_hybrid_megatron_args(const json& args) {
    if (!args.is_object()) return false;
    if (args.contains("strata_m1_mamba_config")) return true;
    return pattern_of(args).find('M') != std::string::npos;
}

Result<json> m1_hybrid_config_from_megatron_args(const json& args) {
    const std::string text = pattern_of(args);
    if (text.empty()) return Status::invalid_argument("Megatron args: hybrid checkpoint without a layer pattern");
    STRATA_TRY(LayerPattern pattern, parse_layer_pattern(text, MegatronVersion::Main));
    const bool moe = args.contains("num_experts") && args["num_experts"].is_number_integer() &&
                     args["num_experts"].get<int64_t>() > 0;
    STRATA_TRY(auto kinds, layers_from_megatron_pattern(pattern.layers, moe ? MlpKind::MoE : MlpKind::Dense));
    std::vector<int> attn;
    for (size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i].mixer == MixerKind::Attention) attn.push_back(static_cast<int>(i));
        else if (kinds[i].mixer != MixerKind::Mamba2)
            return Status::unsupported("hybrid pattern '" + text + "' has a mixer other than '*' and 'M'");
    }
    json gpt = args;
    for (const char* key : {"hybrid_layer_pattern", "hybrid_override_pattern", "strata_m1_mamba_config"}) gpt.erase(key);
    gpt["num_layers"] = kinds.size();
    STRATA_TRY(json config, hf_config_from_megatron_args(gpt));
    if (args.contains("strata_m1_mamba_config") && args["strata_m1_mamba_config"].is_string()) {
        auto mc = parse_json_bounded(args["strata_m1_mamba_config"].get<std::string>());
        if (!mc) return Status::corrupt("Megatron args: strata_m1_mamba_config is not JSON: " + mc.status().message());
        config["mamba_config"] = std::move(*mc);
    } else {
        // A hybrid Strata did not write: M1's geometry must hold (nheads = attention heads,
        // headdim = d_state = head_dim); x/B are KV-sized as M1 holds them.
        const auto heads = config["num_attention_heads"].get<uint64_t>(), hd = config["head_dim"].get<uint64_t>();
        const auto nh = args.value("mamba_num_heads", heads), p = args.value("mamba_head_dim", uint64_t{64}),
                   n = args.value("mamba_state_dim", uint64_t{128});
        if (nh != heads || p != hd || n != hd)
            return Status::unsupported("hybrid Mamba geometry (heads " + std::to_string(nh) + ", head_dim " +
                                       std::to_string(p) + ", state " + std::to_string(n) +
                                       ") is not M1's (heads = attention heads, head_dim = d_state = kv_channels)");
        const auto hidden = config["hidden_size"].get<uint64_t>();
        json ssm = {{"expand", nh * p / hidden}, {"ngroups", nh}};
        if (n != 128) ssm["d_state"] = n;
        json mc = {{"d_model", hidden}, {"ssm_cfg", ssm}, {"rms_norm_eps", config["rms_norm_eps"]},
                   {"vocab_size", nullptr}, {"d_inner", nh * p},
                   {"d_xb", config["num_key_value_heads"].get<uint64_t>() * hd},
                   {"intermediate_size", config["intermediate_size"]}, {"hidden_act", "silu"},
                   {"n_layer", kinds.size()}, {"attn_layers", attn}, {"hidden_size", hidden}};
        for (const char* k : {"num_experts", "norm_topk_prob", "moe_intermediate_size", "num_experts_per_tok"})
            mc[k] = config.contains(k) ? config[k] : json(nullptr);
        config["mamba_config"] = mc;
    }
    STRATA_TRY(std::vector<int> stored_attn, m1_attn_layers(config));
    if (stored_attn != attn)
        return Status::corrupt("Megatron args: the hybrid pattern's attention layers differ from mamba_config's "
                               "attn_layers");
    return config;
}

Status detect_m1_hybrid_options(const Checkpoint& ckpt, LayoutOptions& o) {
    const json& args = ckpt.config;
    auto any = [&](std::string_view needle) {
        for (const auto& t : ckpt.tensors)
            if (t.name.find(needle) != std::string::npos) return true;
        return false;
    };
    if (args.contains("strata_mamba_layout") && args["strata_mamba_layout"].is_string()) {
        auto l = parse_mamba_layout(args["strata_mamba_layout"].get<std::string>());
        if (!l) return Status::corrupt("Megatron args: unknown strata_mamba_layout " + args["strata_mamba_layout"].dump());
        o.mamba = *l;
    } else {
        o.mamba = args.value("mamba_num_groups", 0) == args.value("mamba_num_heads", -1) ? MambaLayout::Exact
                                                                                          : MambaLayout::M1;
    }
    o.moe_symbol_e = pattern_of(args).find('E') != std::string::npos;
    if (any(".mixer.in_proj.layer_norm_weight") || any(".linear_qkv.layer_norm_weight")) o.norms = NormLayout::Te;
    else if (any(".input_layernorm.weight")) o.norms = NormLayout::Local;
    else {
        for (const auto& t : ckpt.tensors)
            if (t.name.ends_with(".norm.weight") && t.name.find(".mixer.") == std::string::npos &&
                t.name.rfind("decoder.layers.", 0) == 0)
                o.norms = NormLayout::Local;
    }
    return Status::ok();
}

std::vector<std::string> m1_hybrid_layout_messages(const Layout& layout) {
    const ModelSpec& s = layout.spec;
    const LayoutOptions& o = layout.options;
    std::vector<std::string> out;
    if (o.kind != LayoutKind::Megatron || s.model_type != kM1HybridModelType) return out;
    const MambaDims& d = s.mamba;
    if (auto p = m1_hybrid_pattern(s, o)) {
        const uint64_t rows = o.mamba == MambaLayout::Exact ? 4 * d.d_inner + d.n_heads : 2 * d.d_inner + 2 * d.x_db + d.n_heads;
        out.push_back("hybrid pattern (" + std::to_string(p->size()) + " Megatron layers): " + *p + "; Mamba layout " +
                      mamba_layout_name(o.mamba) + ", in_proj " + std::to_string(rows) + " rows (" +
                      std::to_string(rows / static_cast<uint64_t>(o.plan.tp)) + " per TP rank), conv1d keys " +
                      (o.conv1d_params ? "conv1d_weight/conv1d_bias" : "conv1d.weight/conv1d.bias"));
    }
    if (o.mamba == MambaLayout::M1) {
        const uint64_t g = d.x_db / d.head_dim;
        out.push_back("warning: --mamba-layout m1 keeps M1's in_proj rows [z " + std::to_string(d.d_inner) + " | x " +
                      std::to_string(d.x_db) + " | B " + std::to_string(d.x_db) + " | C " + std::to_string(d.d_inner) +
                      " | dt " + std::to_string(d.n_heads) + "]; stock Megatron with mamba_num_groups " +
                      std::to_string(g) + " reads the same " + std::to_string(2 * d.d_inner + 2 * d.x_db + d.n_heads) +
                      " rows as [z | x " + std::to_string(d.d_inner) + " | B " + std::to_string(g * d.d_state) +
                      " | C " + std::to_string(g * d.d_state) + " | dt]: its " + std::to_string(g) +
                      " C groups cannot hold M1's " + std::to_string(d.n_heads) +
                      " distinct q_proj heads and its gated-norm group becomes " + std::to_string(d.d_inner / g) +
                      " instead of " + std::to_string(d.head_dim) +
                      ". Only an M1-style mixer loads it as is; --mamba-layout exact is function-preserving in stock "
                      "Megatron (mamba_num_groups " + std::to_string(d.n_heads) + ")");
    }
    return out;
}

Status apply_megatron_version(std::string_view text, LayoutOptions& o) {
    std::string t(text);
    for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (t == "main") {
        o.conv1d_params = o.moe_symbol_e = true;
        o.megatron_minor = 99;
        return Status::ok();
    }
    const size_t at = t.find("0.");
    int minor = -1;
    if (at != std::string::npos) {
        size_t i = at + 2, j = i;
        while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
        if (j > i) minor = std::stoi(t.substr(i, j - i));
    }
    if (minor < 0)
        return Status::invalid_argument("--megatron-version '" + std::string(text) +
                                        "': expected 0.N (0.14 ... 0.20), core_v0.N.0 or main");
    o.megatron_minor = minor;
    o.conv1d_params = minor >= 19;  // core_v0.19.0 commit 35992ba: mixer.conv1d_weight
    o.moe_symbol_e = minor >= 16;   // 'E' MoE layers from v0.16
    return Status::ok();
}

Status check_m1_tied_replicas(const CanonicalView& view) {
    const Layout& layout = view.layout();
    if (layout.options.kind != LayoutKind::Megatron || layout.spec.model_type != kM1HybridModelType ||
        layout.options.mamba != MambaLayout::Exact)
        return Status::ok();
    const Checkpoint& ckpt = view.checkpoint();
    const auto by_canonical = layout.pieces_by_canonical();
    for (size_t c = 0; c < layout.canonical.size(); ++c) {
        const std::string& name = layout.canonical[c].name;
        if (name.find(".mamba.in_proj.") == std::string::npos && name.find(".mamba.conv1d.") == std::string::npos)
            continue;
        for (uint32_t p : by_canonical[c]) {
            const Piece& piece = layout.pieces[p];
            const Piece* primary = nullptr;
            for (uint32_t q : view.primary_pieces()[c])
                if (layout.pieces[q].box == piece.box) primary = &layout.pieces[q];
            if (!primary || primary == &piece) continue;
            const TensorInfo& a = ckpt.tensors[view.binding()[primary->tensor]];
            const TensorInfo& b = ckpt.tensors[view.binding()[piece.tensor]];
            // In place where stored whole; assembled where chunked (a torch_dist source).
            std::vector<std::byte> owned_a, owned_b;
            auto bytes_of = [&](const TensorInfo& t, std::vector<std::byte>& owned) -> Result<std::span<const std::byte>> {
                if (t.location.is_contiguous()) return ckpt.contiguous_bytes(t);
                STRATA_TRY(owned, ckpt.read(t));
                return std::span<const std::byte>(owned);
            };
            STRATA_TRY(auto abytes, bytes_of(a, owned_a));
            STRATA_TRY(auto bbytes, bytes_of(b, owned_b));
            const uint64_t es = dtype_size(a.dtype);
            if (es == 0 || es != dtype_size(b.dtype)) continue;
            // Boxes here are whole rows: [rows, ...] at row-major strides, so each box is one run.
            uint64_t run = 1;
            for (auto e : piece.box.extent) run *= e;
            const auto* pa = abytes.data() + primary->offset * es;
            const auto* pb = bbytes.data() + piece.offset * es;
            if (primary->offset * es + run * es > abytes.size() || piece.offset * es + run * es > bbytes.size())
                return Status::internal("tied-copy check past the stored tensor").in_tensor(b.name);
            if (std::memcmp(pa, pb, run * es) != 0) {
                const uint64_t head = piece.offset / std::max<uint64_t>(1, run);
                return Status::invalid_argument(
                           "exact-layout x/B rows " + box_to_string(piece.box) + " stored at row block " +
                           std::to_string(head) + " differ from their copy in '" + a.name +
                           "': the per-head x/B blocks are no longer tied (trained as a stock Mamba2), and M1's "
                           "layout holds one block per KV group, so converting would drop weights")
                    .in_tensor(b.name)
                    .in_file(ckpt.file_of(b).display_name);
            }
        }
    }
    return Status::ok();
}

Status write_hf_config_files(const std::filesystem::path& folder, const json& config) {
    if (!is_m1_hybrid_config(config)) return write_json_file(folder / "config.json", config);
    STRATA_RETURN_IF_ERROR(write_json_file(folder / "config.json", without_mamba(config)));
    const json& mc = config["mamba_config"];
    nlohmann::ordered_json ordered;
    for (const char* k : kMambaConfigFields)
        if (mc.contains(k)) ordered[k] = nlohmann::ordered_json::parse(mc[k].dump());
    for (const auto& [k, v] : mc.items())
        if (!ordered.contains(k)) ordered[k] = nlohmann::ordered_json::parse(v.dump());
    const auto path = folder / "mamba_config.json";
    std::ofstream f(path, std::ios::binary);
    f << ordered.dump(4);
    if (!f.flush()) return Status::io("cannot write").in_file(path.string());
    return Status::ok();
}

}  // namespace strata
