// hybridize: jingshenghang/M1 transformer_to_mamba2.py (branch Qwen3-30B-A3B-Mamba2) as a
// streaming transform: one output tensor at a time, straight from the mapped source.
#include "strata/hybrid/hybridize.h"

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "strata/formats/format_registry.h"
#include "strata/formats/safetensors.h"
#include "strata/io/atomic_output.h"
#include "strata/kernels/bulk_convert.h"
#include "strata/model/architecture.h"
#include "strata/model/hf_config.h"
#include "strata/model/hf_layout.h"
#include "strata/pattern/layer_pattern.h"

namespace strata {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string layer_prefix(int layer) { return "model.layers." + std::to_string(layer) + "."; }

// The HF layer index of "model.layers.N.…", or -1.
int layer_of(const std::string& name) {
    static const std::string kPrefix = "model.layers.";
    if (name.rfind(kPrefix, 0) != 0) return -1;
    size_t i = kPrefix.size();
    int v = 0;
    bool any = false;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9' && v < 1'000'000) v = v * 10 + (name[i++] - '0'), any = true;
    return any && i < name.size() && name[i] == '.' ? v : -1;
}

bool encodable(DType d) { return d == DType::BF16 || d == DType::F16 || d == DType::F32; }

// Rounds float values into `out` (size numel * dtype_size) as the tensor's dtype.
void encode(std::span<const float> values, DType dtype, std::byte* out) {
    switch (dtype) {
        case DType::F32: std::memcpy(out, values.data(), values.size() * sizeof(float)); break;
        case DType::BF16: kernels::f32_to_bf16(values.data(), reinterpret_cast<uint16_t*>(out), values.size()); break;
        case DType::F16: kernels::f32_to_f16(values.data(), reinterpret_cast<uint16_t*>(out), values.size()); break;
        default: break;  // plan_hybridize admits only the three above
    }
}

ordered_json value_or_null(const json& config, const char* key) {
    if (!config.contains(key)) return nullptr;
    return ordered_json::parse(config[key].dump());
}

// M1's MambaConfig dataclass, dumped in field order (mamba2/hybrid_mamba_config.py;
// transformer_to_mamba2.py main()). ssm_cfg carries d_state / d_conv only when they differ
// from Mamba2's ctor defaults (128 / 4), so M1's own loader rebuilds the same shapes.
ordered_json m1_mamba_config(const json& config, const M1Dims& d, const std::vector<int>& attn_layers,
                             uint64_t num_layers) {
    ordered_json ssm = {{"expand", d.expand}, {"ngroups", d.ngroups()}};
    if (d.d_state != 128) ssm["d_state"] = d.d_state;
    if (d.d_conv != 4) ssm["d_conv"] = d.d_conv;
    ordered_json mc;
    mc["d_model"] = d.hidden;
    mc["ssm_cfg"] = ssm;
    mc["rms_norm_eps"] = value_or_null(config, "rms_norm_eps");
    mc["vocab_size"] = nullptr;
    mc["d_inner"] = d.d_inner;
    mc["d_xb"] = d.d_xb;
    mc["intermediate_size"] = value_or_null(config, "intermediate_size");
    mc["hidden_act"] = value_or_null(config, "hidden_act");
    mc["n_layer"] = num_layers;
    mc["attn_layers"] = attn_layers;
    mc["num_experts"] = value_or_null(config, "num_experts");
    mc["norm_topk_prob"] = value_or_null(config, "norm_topk_prob");
    mc["hidden_size"] = d.hidden;
    mc["moe_intermediate_size"] = value_or_null(config, "moe_intermediate_size");
    mc["num_experts_per_tok"] = value_or_null(config, "num_experts_per_tok");
    return mc;
}

Status check_attn_layers(const HybridizeOptions& options, int num_layers, HybridizePlan& plan) {
    if (options.attn_layers.empty())
        return Status::invalid_argument("--attn-layers is required (e.g. \"0,2,4,...," + std::to_string(num_layers - 1) +
                                        "\")");
    auto parsed = parse_index_list(options.attn_layers, num_layers);
    if (!parsed) return Status::invalid_argument("--attn-layers: " + parsed.status().message());
    plan.attn_layers = *parsed;
    for (const PatternMessage& m : validate_attn_layers(plan.attn_layers, num_layers)) {
        const bool end_rule = m.text.find("must stay attention") != std::string::npos;
        if (end_rule && options.allow_mamba_ends)
            plan.warnings.push_back(m.text + "; converting it anyway (--allow-mamba-ends)");
        else if (m.error)
            return Status::invalid_argument("--attn-layers: " + m.text + (end_rule ? " (override: --allow-mamba-ends)" : ""));
        else
            plan.warnings.push_back(m.text);
    }
    return Status::ok();
}

// The Mamba block of one layer, in Mamba2's state-dict order: own parameters (dt_bias, A_log,
// D), then submodules (in_proj, conv1d, norm, out_proj).
void add_mamba_tensors(int layer, const M1Dims& d, DType dtype, const TensorInfo& o_proj, HybridizePlan& plan) {
    const std::string p = layer_prefix(layer) + "mamba.";
    auto fresh = [&](const std::string& name, DType dt, Shape shape, M1Fresh part) {
        plan.tensors.push_back({{p + name, dt, std::move(shape)}, HybridSource::Fresh, "", part, layer});
    };
    fresh("dt_bias", dtype, {d.nheads()}, M1Fresh::DtBias);
    fresh("A_log", dtype, {d.nheads()}, M1Fresh::ALog);
    // M1 creates D without a dtype (torch.ones(nheads)), so it stays float32 in the saved model.
    fresh("D", DType::F32, {d.nheads()}, M1Fresh::D);
    plan.tensors.push_back({{p + "in_proj.weight", dtype, {d.in_proj_rows(), d.hidden}},
                            HybridSource::InProj, layer_prefix(layer), M1Fresh::InProjZ, layer});
    fresh("conv1d.weight", dtype, {d.conv_dim(), 1, d.d_conv}, M1Fresh::ConvWeight);
    fresh("conv1d.bias", dtype, {d.conv_dim()}, M1Fresh::ConvBias);
    fresh("norm.weight", dtype, {d.d_inner}, M1Fresh::NormWeight);
    plan.tensors.push_back({{p + "out_proj.weight", o_proj.dtype, o_proj.shape}, HybridSource::Copy, o_proj.name,
                            M1Fresh::D, layer});
}

}  // namespace

Result<HybridizePlan> plan_hybridize(const Checkpoint& src, const HybridizeOptions& options) {
    const json& config = src.config;
    if (!config.is_object()) return Status::invalid_argument("no config.json beside the source weights");
    if (config.contains("mamba_config"))
        return Status::invalid_argument("the source is already an M1 hybrid (it has mamba_config.json)");
    auto arch = architecture_for_hf_config(config);
    if (!arch || !(*arch)->m1_hybridize_source()) {
        std::string sources;
        for (const Architecture* a : architectures())
            if (a->m1_hybridize_source()) sources += (sources.empty() ? "" : "; ") + a->supported_text();
        auto type = hf_model_type(config);
        return Status::unsupported("config.json: model_type '" + (type ? *type : std::string()) +
                                   "': hybridize supports the M1 recipe for " + sources);
    }
    STRATA_TRY(const ModelSpec source_spec, (*arch)->mapping_spec_from_hf_config(config));
    HybridizePlan plan;
    STRATA_TRY(plan.dims, m1_dims(config, options.mamba));
    const M1Dims& d = plan.dims;
    const int num_layers = config.value("num_hidden_layers", 0);
    if (num_layers <= 0) return Status::invalid_argument("config.json: 'num_hidden_layers' must be a positive integer");
    STRATA_RETURN_IF_ERROR(check_attn_layers(options, num_layers, plan));
    plan.is_mamba.assign(static_cast<size_t>(num_layers), true);
    for (int a : plan.attn_layers) plan.is_mamba[static_cast<size_t>(a)] = false;

    STRATA_TRY(auto canonical, hf_tensor_entries(config, DType::BF16));
    std::set<std::string> covered;
    for (const TensorEntry& e : canonical) {
        const TensorInfo* info = src.find(e.name);
        if (!info)
            return Status::not_found("tensor missing from the source (config.json implies it)").in_tensor(e.name);
        if (info->shape != e.shape)
            return Status::corrupt("shape " + shape_to_string(info->shape) + " but config.json implies " +
                                   shape_to_string(e.shape))
                .in_tensor(e.name);
        covered.insert(e.name);
        const int layer = layer_of(e.name);
        const bool mamba = layer >= 0 && plan.is_mamba[static_cast<size_t>(layer)];
        if (!mamba || e.name.find(".self_attn.") == std::string::npos) {
            plan.tensors.push_back({{info->name, info->dtype, info->shape}, HybridSource::Copy, info->name, M1Fresh::D, layer});
            continue;
        }
        if (e.name != layer_prefix(layer) + "self_attn.q_proj.weight") continue;  // k/v/o used below; q/k_norm dropped
        const std::string a = layer_prefix(layer) + "self_attn.";
        const TensorInfo* k = src.find(a + "k_proj.weight");
        const TensorInfo* v = src.find(a + "v_proj.weight");
        const TensorInfo* o = src.find(a + "o_proj.weight");
        if (!k || !v || !o) return Status::not_found("k_proj, v_proj or o_proj missing").in_tensor(a + "*");
        if (k->dtype != info->dtype || v->dtype != info->dtype)
            return Status::unsupported("q_proj, k_proj and v_proj have different dtypes; M1's in_proj is one tensor")
                .in_tensor(e.name);
        if (!encodable(info->dtype))
            return Status::unsupported("fresh Mamba parameters can be made in BF16, F16 or F32, not " +
                                       std::string(dtype_name(info->dtype)))
                .in_tensor(e.name);
        plan.model_dtype = info->dtype;
        add_mamba_tensors(layer, d, info->dtype, *o, plan);
    }
    // Tensors outside the Qwen3 layout: a converted layer's extra attention tensors go with
    // its attention module (M1 replaces the whole layer); anything else is carried over.
    for (const TensorInfo& t : src.tensors) {
        if (covered.count(t.name)) continue;
        covered.insert(t.name);
        const int layer = layer_of(t.name);
        if (layer >= 0 && layer < num_layers && plan.is_mamba[static_cast<size_t>(layer)] &&
            t.name.find(".self_attn.") != std::string::npos) {
            plan.warnings.push_back("dropped '" + t.name + "' with the attention of layer " + std::to_string(layer));
            continue;
        }
        plan.tensors.push_back({{t.name, t.dtype, t.shape}, HybridSource::Copy, t.name, M1Fresh::D, layer});
    }
    for (const HybridTensor& t : plan.tensors) plan.total_bytes += t.entry.byte_size();

    plan.mamba_config = m1_mamba_config(config, d, plan.attn_layers, static_cast<uint64_t>(num_layers));
    std::vector<LayerKind> kinds;
    for (bool m : plan.is_mamba)
        kinds.push_back({m ? MixerKind::Mamba2 : MixerKind::Attention, source_spec.is_moe() ? MlpKind::MoE : MlpKind::Dense});
    STRATA_TRY(plan.megatron_pattern, megatron_pattern_from_layers(kinds));
    return plan;
}

namespace {

// Builds one output tensor's bytes into `buf` (or points `out` at the source bytes in place).
Status materialize(const Checkpoint& src, const HybridizePlan& plan, const HybridTensor& t, uint64_t seed,
                   std::vector<std::byte>& buf, std::vector<float>& values, std::span<const std::byte>& out) {
    const M1Dims& d = plan.dims;
    if (t.source == HybridSource::Copy) {
        const TensorInfo* info = src.find(t.from);
        if (!info) return Status::internal("planned source tensor vanished").in_tensor(t.from);
        if (auto bytes = src.contiguous_bytes(*info)) {
            out = *bytes;
            return Status::ok();
        }
        buf.resize(info->byte_size());
        STRATA_RETURN_IF_ERROR(src.read(*info, buf));
        out = buf;
        return Status::ok();
    }
    const size_t elem = dtype_size(t.entry.dtype);
    if (t.source == HybridSource::Fresh) {
        values.resize(t.entry.byte_size() / elem);
        m1_fill(t.fresh, seed, t.entry.name, d, values);
        buf.resize(t.entry.byte_size());
        encode(values, t.entry.dtype, buf.data());
        out = buf;
        return Status::ok();
    }
    // InProj: [z fresh | x <- v_proj | B <- k_proj | C <- q_proj | dt fresh].
    const size_t row = d.hidden * elem;
    buf.resize(t.entry.byte_size());
    values.resize(d.d_inner * d.hidden);
    m1_fill(M1Fresh::InProjZ, seed, t.entry.name, d, values);
    encode(values, t.entry.dtype, buf.data() + d.z_begin() * row);
    const struct {
        const char* name;
        uint64_t begin;
    } copies[] = {{"v_proj", d.x_begin()}, {"k_proj", d.b_begin()}, {"q_proj", d.c_begin()}};
    for (const auto& c : copies) {
        const std::string name = t.from + "self_attn." + c.name + ".weight";
        const TensorInfo* info = src.find(name);
        if (!info) return Status::internal("planned source tensor vanished").in_tensor(name);
        STRATA_RETURN_IF_ERROR(src.read(*info, std::span<std::byte>(buf.data() + c.begin * row, info->byte_size())));
    }
    values.resize(d.nheads() * d.hidden);
    m1_fill(M1Fresh::InProjDt, seed, t.entry.name, d, values);
    encode(values, t.entry.dtype, buf.data() + d.dt_begin() * row);
    out = buf;
    return Status::ok();
}

// Small files that travel with a model (M1 saves the tokenizer beside the weights).
constexpr const char* kSideFiles[] = {"config.json",       "generation_config.json", "tokenizer.json",
                                      "tokenizer_config.json", "special_tokens_map.json", "vocab.json",
                                      "merges.txt",        "added_tokens.json",      "chat_template.jinja"};

}  // namespace

std::vector<PlannedOutputFile> hybridize_output_files(const HybridizePlan& plan) {
    return {PlannedOutputFile{"", plan.total_bytes}};  // the safetensors shards, written as one stream
}

Status hybridize(const HybridizeOptions& options, ProgressSink& progress, const CancelToken& cancel) {
    STRATA_TRY(Checkpoint src, open_checkpoint(options.source));
    STRATA_TRY(HybridizePlan plan, plan_hybridize(src, options));
    for (const std::string& w : plan.warnings) progress.log("warning: " + w);
    if (!options.sparse) {  // preflight (io/preflight.h); a sparse skeleton writes headers only
        STRATA_TRY(SpaceVerdict space, check_free_space(options.out, hybridize_output_files(plan)));
        STRATA_RETURN_IF_ERROR(require_free_space(space, options.force_space));
    }

    STRATA_TRY(auto out,
               AtomicOutput::create(options.out, AtomicOutput::Kind::Directory, options.overwrite, {options.source}));
    for (const std::string& line : out.swept()) progress.log(line);
    SafetensorsWriterOptions wopts;
    wopts.max_shard_bytes = options.max_shard_bytes;
    wopts.sparse = options.sparse;
    SafetensorsWriter writer(out.temp_path(), wopts);
    std::vector<TensorEntry> entries;
    entries.reserve(plan.tensors.size());
    for (const HybridTensor& t : plan.tensors) entries.push_back(t.entry);
    STRATA_RETURN_IF_ERROR(writer.begin(entries));

    // config.json stays the source's (M1 saves transformer.config unchanged); side files are copied verbatim.
    const std::filesystem::path folder =
        std::filesystem::is_directory(src.path) ? src.path : src.path.parent_path();
    for (const char* name : kSideFiles) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(folder / name, ec)) continue;
        std::filesystem::copy_file(folder / name, out.temp_path() / name, ec);
        if (ec) return Status::io("cannot copy: " + ec.message()).in_file((folder / name).string());
    }
    {
        const std::filesystem::path mc_path = out.temp_path() / "mamba_config.json";
        std::ofstream f(mc_path, std::ios::binary);
        f << plan.mamba_config.dump(4);
        if (!f.flush()) return Status::io("cannot write").in_file(mc_path.string());
    }

    if (!options.sparse) {
        progress.begin_bytes("hybridize", plan.total_bytes);
        std::vector<std::byte> buf;
        std::vector<float> values;
        for (size_t i = 0; i < plan.tensors.size(); ++i) {
            STRATA_RETURN_IF_ERROR(cancel.check());
            std::span<const std::byte> bytes;
            STRATA_RETURN_IF_ERROR(materialize(src, plan, plan.tensors[i], options.seed, buf, values, bytes));
            STRATA_RETURN_IF_ERROR(writer.write(i, bytes));
            progress.advance(bytes.size());
        }
    }
    STRATA_RETURN_IF_ERROR(writer.finish());
    auto check = open_safetensors(out.temp_path());
    if (!check) return check.status();
    if (check->tensors.size() != entries.size())
        return Status::internal("written hybrid has " + std::to_string(check->tensors.size()) + " tensors, planned " +
                                std::to_string(entries.size()));
    return out.commit();
}

std::string describe_hybridize_plan(const HybridizePlan& plan) {
    const M1Dims& d = plan.dims;
    std::ostringstream s;
    std::vector<int> mamba;
    for (size_t i = 0; i < plan.is_mamba.size(); ++i)
        if (plan.is_mamba[i]) mamba.push_back(static_cast<int>(i));
    s << "M1 hybrid of " << plan.is_mamba.size() << " layers: attention " << format_index_list(plan.attn_layers) << " ("
      << plan.attn_layers.size() << "), Mamba2 " << (mamba.empty() ? "none" : format_index_list(mamba)) << " ("
      << mamba.size() << ")\n";
    s << "Mamba2: d_inner " << d.d_inner << " = " << d.expand << "*" << d.hidden << ", nheads = ngroups " << d.nheads()
      << ", headdim = d_state " << d.d_state << ", d_xb " << d.d_xb << " (" << d.kv_heads << " KV groups), d_conv "
      << d.d_conv << "\n";
    s << "in_proj rows [z " << d.d_inner << " | x<-v_proj " << d.d_xb << " | B<-k_proj " << d.d_xb << " | C<-q_proj "
      << d.d_inner << " | dt " << d.nheads() << "] = " << d.in_proj_rows() << "; conv1d channels [x|B|C] = "
      << d.conv_dim() << "\n";
    s << "Megatron pattern (HF layer = mixer + MLP slot): " << plan.megatron_pattern << "\n";
    int shown = -1;
    for (const HybridTensor& t : plan.tensors) {
        if (t.layer < 0 || !plan.is_mamba[static_cast<size_t>(t.layer)]) continue;
        if (t.entry.name.find(".mamba.") == std::string::npos) continue;
        if (shown >= 0 && t.layer != shown) {
            if (t.entry.name.ends_with("in_proj.weight"))
                s << "  layer " << t.layer << ": mamba.in_proj.weight " << shape_to_string(t.entry.shape) << "\n";
            continue;
        }
        shown = t.layer;
        s << "  " << t.entry.name << " " << shape_to_string(t.entry.shape) << " " << dtype_name(t.entry.dtype) << "  ";
        if (t.source == HybridSource::Copy) s << "<- " << t.from;
        else if (t.source == HybridSource::InProj) s << "z fresh | x <- v_proj | B <- k_proj | C <- q_proj | dt fresh";
        else s << "fresh " << m1_fresh_name(t.fresh);
        s << "\n";
    }
    s << "output: " << plan.tensors.size() << " tensors, " << plan.total_bytes << " bytes\n";
    return s.str();
}

}  // namespace strata
