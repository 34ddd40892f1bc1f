// Launch flags vs a checkpoint. The defaults and derived values are Megatron-LM's
// (megatron/training/arguments.py validate_args, NVIDIA/Megatron-LM main d98e8a6):
// ffn_hidden_size = 4h (SwiGLU: int(4h·2/3 / 64)·64), kv_channels = h / heads, num_query_groups =
// heads without --group-query-attention, moe_ffn_hidden_size = ffn_hidden_size, use_dist_ckpt =
// ckpt_format != "torch"; check_checkpoint_args and load_args_from_checkpoint are from
// megatron/training/checkpointing.py (which args, under which conditions, which are forced).
#include "strata/parallel/launch_check.h"

#include <cmath>
#include <set>

#include "strata/convert/megatron_args.h"
#include "strata/mapping/layout.h"
#include "strata/megatron/megatron_rules.h"

namespace strata {
namespace {

using nlohmann::json;

// load_args_from_checkpoint: the args --use-checkpoint-args always takes from the checkpoint
// (force=True); the others only when the launch leaves them unset.
const std::set<std::string> kForcedByCheckpointArgs = {"num_query_groups",
                                                       "group_query_attention",
                                                       "position_embedding_type",
                                                       "add_position_embedding",
                                                       "use_rotary_position_embeddings",
                                                       "rotary_base",
                                                       "rotary_percent",
                                                       "add_bias_linear",
                                                       "add_qkv_bias",
                                                       "swiglu",
                                                       "untie_embeddings_and_output_weights",
                                                       "normalization",
                                                       "num_experts",
                                                       "moe_layer_freq",
                                                       "moe_ffn_hidden_size",
                                                       "moe_router_topk",
                                                       "moe_grouped_gemm",
                                                       "moe_shared_expert_intermediate_size",
                                                       "mamba_state_dim",
                                                       "mamba_head_dim",
                                                       "mamba_num_groups",
                                                       "mamba_num_heads"};
const std::set<std::string> kTakenWhenUnset = {
    "num_layers",          "hidden_size", "ffn_hidden_size",         "seq_length",
    "num_attention_heads", "kv_channels", "max_position_embeddings", "hybrid_layer_pattern"};

// Python's str() of a value, as check_checkpoint_args prints it.
std::string py(const json& v) {
    if (v.is_null()) return "None";
    if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_float()) {
        std::string s = v.dump();
        return s;
    }
    return v.dump();
}

bool same(const json& a, const json& b) {
    if (a.is_number() && b.is_number())
        return std::fabs(a.get<double>() - b.get<double>()) <= 1e-12 * std::fabs(a.get<double>());
    return a == b;
}

json typed(const std::string& text, FlagType type) {
    if (type == FlagType::StoreTrue || type == FlagType::StoreFalse) return text == "true";
    if (type == FlagType::Int) return std::stoll(text);
    if (type == FlagType::Float) return std::stod(text);
    return text;
}

// A switch's value; args from a checkpoint may hold anything, so never throw.
bool truthy(const json& v) { return v.is_boolean() && v.get<bool>(); }

int to_int(const json& v, int fallback) {
    return v.is_number_integer() ? static_cast<int>(v.get<int64_t>()) : fallback;
}

// The per-layer MoE list of moe_layer_freq: N -> [1 if i % N == 0 else 0], a list as is;
// a Python expression other than a plain list is not evaluated (nullopt).
std::optional<std::vector<int>> moe_layers(const json& freq, int layers) {
    std::vector<int> out;
    if (layers < 0 || layers > (1 << 20)) return std::nullopt;
    if (freq.is_number_integer()) {
        const int n = static_cast<int>(freq.get<int64_t>());
        if (n <= 0) return std::nullopt;
        for (int i = 0; i < layers; ++i) out.push_back(i % n == 0 ? 1 : 0);
        return out;
    }
    if (freq.is_array()) {
        for (const auto& v : freq) out.push_back(to_int(v, 0));
        return out;
    }
    if (freq.is_string()) {
        const std::string s = freq.get<std::string>();
        try {
            size_t used = 0;
            const long long n = std::stoll(s, &used);
            if (used == s.size()) return moe_layers(json(n), layers);
        } catch (...) {
        }
        auto parsed = json::parse(s, nullptr, false);
        if (!parsed.is_discarded() && parsed.is_array()) return moe_layers(parsed, layers);
    }
    return std::nullopt;
}

std::string pattern_of(const json& args) {
    for (const char* k : {"hybrid_layer_pattern", "hybrid_override_pattern"})
        if (args.contains(k) && args[k].is_string() && !args[k].get<std::string>().empty())
            return args[k].get<std::string>();
    return "";
}

const char* axis_flag(PlanAxis axis) {
    switch (axis) {
        case PlanAxis::Tp:
            return "--tensor-model-parallel-size";
        case PlanAxis::Pp:
            return "--pipeline-model-parallel-size";
        case PlanAxis::Ep:
            return "--expert-model-parallel-size";
        case PlanAxis::Etp:
            return "--expert-tensor-parallel-size";
        case PlanAxis::Cp:
            return "--context-parallel-size";
        case PlanAxis::Vpp:
            return "--num-layers-per-virtual-pipeline-stage";
        case PlanAxis::SequenceParallel:
            return "--sequence-parallel";
        default:
            return "";
    }
}

class Checker {
public:
    Checker(const LaunchFlags& flags, MegatronVersion version, LaunchCheck& out)
        : flags_(flags), version_(version), out_(out) {}

    // The launch's value of `dest` as Megatron holds it after validate_args (null: unset).
    json launch(const std::string& dest) const { return launch_.value(dest, json()); }
    json ckpt(const std::string& dest) const {
        return out_.checkpoint_args.is_object() ? out_.checkpoint_args.value(dest, json()) : json();
    }
    bool has_ckpt(const std::string& dest) const {
        return out_.checkpoint_args.contains(dest) && !out_.checkpoint_args[dest].is_null();
    }

    void add(LaunchFindingKind kind, bool stops, const std::string& dest_or_flag, json launch_value,
             json checkpoint_value, std::string message) {
        LaunchFinding f;
        f.flag = dest_or_flag.rfind("--", 0) == 0 ? dest_or_flag : megatron_flag_for_dest(dest_or_flag);
        if (dest_or_flag.rfind("--", 0) != 0) {
            const std::string written = flags_.flag_of(dest_or_flag);
            if (!written.empty()) f.flag = written;
            f.line = flags_.line_of(dest_or_flag);
        } else if (const LaunchFlag* lf = flags_.find(dest_or_flag)) {
            f.line = lf->line;
        }
        f.launch_value = launch_value.is_null() && !flags_.line_of(dest_or_flag) ? "(not set: None)" : py(launch_value);
        f.checkpoint_value = checkpoint_value.is_null() ? "None" : py(checkpoint_value);
        f.kind = kind;
        f.stops = stops;
        f.message = std::move(message);
        out_.stops = out_.stops || stops;
        out_.findings.push_back(std::move(f));
    }

    void resolve_launch() {
        launch_ = json::object();
        // Typed flag values over Megatron's defaults.
        for (const auto& f : flags_.flags) {
            const MegatronFlagRule* r = megatron_flag_rule(f.flag);
            if (!r) continue;
            auto v = flags_.get(r->dest);
            if (v) launch_[r->dest] = typed(*v, r->type);
        }
        auto dflt = [&](const char* k, json v) {
            if (!launch_.contains(k)) launch_[k] = std::move(v);
        };
        dflt("add_position_embedding", true);
        dflt("position_embedding_type", "learned_absolute");
        dflt("normalization", "LayerNorm");
        for (const char* k : {"swiglu", "qk_layernorm", "untie_embeddings_and_output_weights", "add_qkv_bias",
                              "group_query_attention", "finetune", "use_checkpoint_args", "sequence_parallel"})
            dflt(k, false);
        dflt("add_bias_linear", true);
        dflt("make_vocab_size_divisible_by", 128);
        dflt("ckpt_format", "torch_dist");
        dflt("moe_router_topk", 2);
        dflt("moe_layer_freq", 1);
        dflt("mamba_state_dim", 128);
        dflt("mamba_head_dim", 64);
        dflt("mamba_num_groups", 8);
        dflt("norm_epsilon", 1e-5);
        dflt("rotary_base", 10000);
        for (const char* k : {"tensor_model_parallel_size", "pipeline_model_parallel_size",
                              "expert_model_parallel_size", "context_parallel_size"})
            dflt(k, 1);
        if (launch_.contains("hybrid_override_pattern") && !launch_.contains("hybrid_layer_pattern") &&
            !uses_ratio_override_rule(version_))
            launch_["hybrid_layer_pattern"] = launch_["hybrid_override_pattern"];  // main forwards it
        // --use-checkpoint-args: load_args_from_checkpoint before validate_args.
        if (truthy(launch_["use_checkpoint_args"])) {
            for (const auto& k : kForcedByCheckpointArgs)
                if (has_ckpt(k)) launch_[k] = ckpt(k);
            for (const auto& k : kTakenWhenUnset)
                if (!launch_.contains(k) && has_ckpt(k)) launch_[k] = ckpt(k);
        }
        const std::string pattern = launch_pattern();
        if (!pattern.empty() && !uses_ratio_override_rule(version_)) {
            if (auto p = parse_layer_pattern(pattern, MegatronVersion::Main)) launch_["num_layers"] = p->num_layers();
        }
        // validate_args' derived values.
        const json h = launch("hidden_size"), heads = launch("num_attention_heads");
        if (!launch_.contains("ffn_hidden_size") && h.is_number_integer()) {
            const int64_t hv = h.get<int64_t>();
            launch_["ffn_hidden_size"] =
                truthy(launch("swiglu")) ? static_cast<int64_t>((4.0 * hv * 2 / 3) / 64) * 64 : 4 * hv;
        }
        if (!launch_.contains("kv_channels") && h.is_number_integer() && heads.is_number_integer() &&
            heads.get<int64_t>() > 0)
            launch_["kv_channels"] = h.get<int64_t>() / heads.get<int64_t>();
        if (!truthy(launch("group_query_attention")))
            launch_["num_query_groups"] = heads;
        else if (!launch_.contains("num_query_groups"))
            launch_["num_query_groups"] = 1;
        if (launch("num_experts") == json(0)) launch_["num_experts"] = nullptr;
        if (!launch("num_experts").is_null() && !launch_.contains("moe_ffn_hidden_size"))
            launch_["moe_ffn_hidden_size"] = launch("ffn_hidden_size");
        launch_["use_dist_ckpt"] =
            launch("ckpt_format") != json("torch") || launch_.value("use_dist_ckpt_deprecated", false);
        // MambaMixer: d_inner = expand (2) x hidden unless mamba_num_heads is given.
        if (!launch_.contains("mamba_num_heads") && h.is_number_integer() && to_int(launch("mamba_head_dim"), 0) > 0)
            launch_["mamba_num_heads"] = 2 * h.get<int64_t>() / to_int(launch("mamba_head_dim"), 0);
        // The vocab rows: --vocab-size, else (assumed) the tokenizer's = the checkpoint's vocab.
        const json vocab = launch_.contains("vocab_size") ? launch("vocab_size") : ckpt("vocab_size");
        if (vocab.is_number_unsigned() && vocab.get<uint64_t>() < (uint64_t{1} << 40))
            launch_["padded_vocab_size"] =
                megatron_padded_vocab_size(vocab.get<uint64_t>(), to_int(launch("make_vocab_size_divisible_by"), 128),
                                           to_int(launch("tensor_model_parallel_size"), 1));
    }

    std::string launch_pattern() const {
        for (const char* k : {"hybrid_layer_pattern", "hybrid_override_pattern"})
            if (launch_.contains(k) && launch_[k].is_string()) return launch_[k].get<std::string>();
        return "";
    }

    ParallelPlan plan() const {
        ParallelPlan p;
        p.tp = to_int(launch("tensor_model_parallel_size"), 1);
        p.pp = to_int(launch("pipeline_model_parallel_size"), 1);
        p.ep = to_int(launch("expert_model_parallel_size"), 1);
        p.etp = to_int(launch("expert_tensor_parallel_size"), 0);
        p.cp = to_int(launch("context_parallel_size"), 1);
        p.sequence_parallel = truthy(launch("sequence_parallel"));
        p.make_vocab_size_divisible_by = to_int(launch("make_vocab_size_divisible_by"), 128);
        if (launch("num_virtual_stages_per_pipeline_rank").is_number_integer())
            p.vpp = to_int(launch("num_virtual_stages_per_pipeline_rank"), 1);
        else if (launch("num_layers_per_virtual_pipeline_stage").is_number_integer() &&
                 launch("num_layers").is_number_integer() && p.pp > 0) {
            const int per = to_int(launch("num_layers_per_virtual_pipeline_stage"), 1);
            const int layers = to_int(launch("num_layers"), 0);
            if (per > 0 && layers % (p.pp * per) == 0) p.vpp = layers / p.pp / per;
        }
        if (launch("decoder_first_pipeline_num_layers").is_number_integer())
            p.first_stage_layers = to_int(launch("decoder_first_pipeline_num_layers"), 0);
        if (launch("decoder_last_pipeline_num_layers").is_number_integer())
            p.last_stage_layers = to_int(launch("decoder_last_pipeline_num_layers"), 0);
        return p;
    }

    // Flags Megatron-LM's argparse or validate_args stops on.
    void arguments() {
        for (const auto& f : flags_.flags) {
            const MegatronFlagRule* r = megatron_flag_rule(f.flag);
            if (!r || !r->megatron_name) continue;
            add(LaunchFindingKind::Argument, true, f.flag, f.value ? json(*f.value) : json(true), ckpt(r->dest),
                std::string("Megatron-LM has no ") + f.flag +
                    " (a MindSpeed-LLM name): argparse stops with 'unrecognized arguments'; Megatron-LM's flag: " +
                    r->megatron_name);
        }
        const bool ratio_rule = uses_ratio_override_rule(version_);
        const std::string v = megatron_version_name(version_);
        if (ratio_rule && flags_.find("--hybrid-layer-pattern"))
            add(LaunchFindingKind::Argument, true, "--hybrid-layer-pattern", launch("hybrid_layer_pattern"), json(),
                "Megatron " + v + " has no --hybrid-layer-pattern (added in 0.17): use --hybrid-override-pattern");
        for (const char* flag : {"--hybrid-attention-ratio", "--hybrid-mlp-ratio"})
            if (!ratio_rule && flags_.find(flag))
                add(LaunchFindingKind::Argument, true, flag, json(flags_.find(flag)->value.value_or("")), json(),
                    "Megatron " + v + " has no " + flag + " (removed in 0.17): the pattern alone sets the layers");
        if (!ratio_rule && flags_.find("--hybrid-override-pattern") && flags_.find("--hybrid-layer-pattern"))
            add(LaunchFindingKind::Argument, true, "--hybrid-override-pattern", launch("hybrid_override_pattern"),
                json(), "--hybrid-override-pattern and --hybrid-layer-pattern cannot both be specified");
        const std::string pattern = launch_pattern();
        if (!pattern.empty()) {
            auto p = parse_layer_pattern(pattern, version_);
            if (!p) {
                add(LaunchFindingKind::Argument, true, "hybrid_override_pattern", json(pattern), json(),
                    "Megatron " + v + " rejects the pattern: " + p.status().message());
            } else if (ratio_rule) {
                const json n = launch("num_layers");
                if (n.is_number_integer() && n.get<int64_t>() != static_cast<int64_t>(p->num_layers()))
                    add(LaunchFindingKind::Argument, true, "num_layers", n, json(),
                        "the override pattern has " + std::to_string(p->num_layers()) + " layers but --num-layers is " +
                            py(n) + ": Megatron " + v + " stops in validation");
                const RatioPair ratios{launch_.value("hybrid_attention_ratio", 0.0),
                                       launch_.value("hybrid_mlp_ratio", 0.0)};
                const OverrideVerdict verdict =
                    check_override_pattern(p->layers, ratios.attention, ratios.mlp, version_);
                if (!verdict.ok)
                    add(LaunchFindingKind::Argument, true, "hybrid_override_pattern", json(pattern), json(),
                        "Megatron " + v + " rejects the override pattern for --hybrid-attention-ratio " +
                            py(json(ratios.attention)) + " --hybrid-mlp-ratio " + py(json(ratios.mlp)) + ": " +
                            verdict.message);
            }
        }
        if (launch("add_position_embedding") == json(false) && launch("position_embedding_type") != json("rope"))
            add(LaunchFindingKind::Argument, true, "--no-position-embedding", json(false), json(),
                "validate_args stops: RuntimeError: --no-position-embedding is deprecated, use "
                "--position-embedding-type (it is accepted only with --position-embedding-type rope)");
        const bool from_ckpt = truthy(launch("use_checkpoint_args"));
        for (const char* dest : {"num_layers", "hidden_size", "num_attention_heads"})
            if (launch(dest).is_null() && !from_ckpt)
                add(LaunchFindingKind::Argument, true, dest, json(), ckpt(dest),
                    std::string("not set: Megatron-LM needs ") + megatron_flag_for_dest(dest) +
                        " (or --use-checkpoint-args to take it from the checkpoint)");
        for (const auto& p : flags_.problems) {
            LaunchFinding f;
            f.kind = LaunchFindingKind::Warning;
            f.line = p.line;
            f.message = "not checked: " + p.message;
            out_.findings.push_back(std::move(f));
        }
    }

    // check_checkpoint_args (skipped with --finetune).
    void checkpoint_args() {
        if (truthy(launch("finetune"))) return;
        auto compare = [&](const std::string& dest, json ckpt_default = json(), const std::string& fix = "") {
            json c = has_ckpt(dest) ? ckpt(dest) : ckpt_default;
            if (c.is_null() && !out_.checkpoint_args.contains(dest)) return;  // not in these args
            const json l = launch(dest);
            if (l.is_null() || same(c, l)) return;  // unset: arguments() names it
            reported_.insert(dest);
            add(LaunchFindingKind::CheckpointArgs, true, dest, l, c,
                "megatron-core would stop in check_checkpoint_args: AssertionError: " + dest +
                    " value from checkpoint (" + py(c) + ") is not equal to the input argument value (" + py(l) + ")" +
                    (fix.empty() ? "" : ". Fix: " + fix));
        };
        compare("num_layers");
        compare("hidden_size");
        compare("num_attention_heads");
        const bool want =
            ckpt("add_position_embedding").is_boolean() ? ckpt("add_position_embedding").get<bool>() : true;
        compare("add_position_embedding", true,
                want ? "drop --no-position-embedding" : "pass --no-position-embedding (or --use-checkpoint-args)");
        if (!launch("vocab_file").is_null()) {
            compare("max_position_embeddings");
            compare("make_vocab_size_divisible_by");
            if (!truthy(launch("use_dist_ckpt"))) compare("padded_vocab_size");
            compare("tokenizer_type");
        }
        if (!truthy(launch("use_dist_ckpt"))) {
            compare("tensor_model_parallel_size");
            compare("pipeline_model_parallel_size");
        }
    }

    // Tensors and keys the built model would not find (or would find with another shape).
    void shapes() {
        auto differ = [&](const std::string& dest, const std::string& why, bool stops = true) {
            if (reported_.count(dest) || !has_ckpt(dest)) return;
            const json l = launch(dest), c = ckpt(dest);
            if (l.is_null() || same(l, c)) return;
            reported_.insert(dest);
            add(stops ? LaunchFindingKind::Shape : LaunchFindingKind::Warning, stops, dest, l, c,
                dest + " " + py(l) + " here, " + py(c) + " in the checkpoint: " + why);
        };
        const std::string load = "loading stops (";
        differ("num_layers", load + "decoder.layers.* keys or the stacked layer axis differ)");
        differ("hidden_size", load + "every weight's shape differs)");
        differ("num_attention_heads", load + "linear_qkv / linear_proj shapes differ)");
        differ("kv_channels", load + "linear_qkv rows (heads + 2·groups)·kv_channels differ)");
        differ("num_query_groups", load + "linear_qkv rows (heads + 2·groups)·kv_channels differ)");
        const bool ckpt_moe = ckpt("num_experts").is_number_integer() && ckpt("num_experts").get<int64_t>() > 0;
        const bool launch_moe = launch("num_experts").is_number_integer();
        const int layers = to_int(ckpt("num_layers"), 0);
        auto ckpt_freq = ckpt_moe
                             ? moe_layers(ckpt("moe_layer_freq").is_null() ? json(1) : ckpt("moe_layer_freq"), layers)
                             : std::nullopt;
        const bool ckpt_dense_layers =
            !ckpt_moe || (ckpt_freq && std::count(ckpt_freq->begin(), ckpt_freq->end(), 0) > 0);
        if (ckpt_dense_layers) differ("ffn_hidden_size", load + "dense linear_fc1 / linear_fc2 shapes differ)");
        if (ckpt_moe != launch_moe) {
            add(LaunchFindingKind::Shape, true, "num_experts", launch("num_experts"), ckpt("num_experts"),
                launch_moe ? "the flags build MoE layers; the checkpoint's MLPs are dense: loading stops (router and "
                             "expert keys missing)"
                           : "the flags build dense MLPs; the checkpoint has " + py(ckpt("num_experts")) +
                                 " experts per MoE layer: loading stops (mlp.router / experts keys unexpected, "
                                 "linear_fc1 missing). Fix: --num-experts " +
                                 py(ckpt("num_experts")));
            reported_.insert("num_experts");
        } else if (ckpt_moe) {
            differ("num_experts", load + "the expert axis / experts.* keys differ)");
            differ("moe_ffn_hidden_size", load + "expert linear_fc1 / linear_fc2 shapes differ)");
            differ("moe_router_topk", "the job starts but routes each token to a different number of experts", false);
            auto lf = moe_layers(launch("moe_layer_freq"), layers);
            if (!lf) {
                add(LaunchFindingKind::Warning, false, "moe_layer_freq", launch("moe_layer_freq"),
                    ckpt("moe_layer_freq"),
                    "not checked: Strata reads an integer or a plain list, not this expression");
            } else if (ckpt_freq && *lf != *ckpt_freq) {
                add(LaunchFindingKind::Shape, true, "moe_layer_freq", launch("moe_layer_freq"), ckpt("moe_layer_freq"),
                    "the MoE and dense layers differ from the checkpoint's: " + load +
                        "router/experts keys vs linear_fc1 keys)");
            }
        }
        differ("swiglu", load + "linear_fc1 holds [gate; up], 2·FFN rows, with --swiglu and FFN rows without)");
        differ("qk_layernorm", load + "self_attention.q_layernorm / k_layernorm weights missing or unexpected)");
        differ("untie_embeddings_and_output_weights",
               load + "output_layer.weight missing or unexpected). Fix: " +
                   (ckpt("untie_embeddings_and_output_weights") == json(true)
                        ? std::string("pass --untie-embeddings-and-output-weights")
                        : std::string("drop --untie-embeddings-and-output-weights")));
        differ("add_bias_linear",
               load + "linear biases missing or unexpected). Fix: " +
                   (ckpt("add_bias_linear") == json(false) ? std::string("pass --disable-bias-linear")
                                                           : std::string("drop --disable-bias-linear")));
        if (!reported_.count("add_bias_linear"))
            differ("add_qkv_bias", load + "linear_qkv.bias missing or unexpected)");
        differ("normalization", load + "LayerNorm has layer_norm_bias keys that RMSNorm lacks). Fix: --normalization " +
                                    py(ckpt("normalization")));
        // Learned absolute position embeddings (Megatron's default type) are a tensor of their own;
        // megatron-core builds them from the type alone (LanguageModelEmbedding), whatever
        // add_position_embedding says.
        auto learned = [&](const json& type, const json&) { return type == json("learned_absolute"); };
        if (has_ckpt("position_embedding_type") &&
            launch("position_embedding_type") != ckpt("position_embedding_type")) {
            const bool l = learned(launch("position_embedding_type"), launch("add_position_embedding"));
            const bool c = learned(ckpt("position_embedding_type"), ckpt("add_position_embedding"));
            add(l && !c ? LaunchFindingKind::Shape : LaunchFindingKind::Warning, l && !c, "position_embedding_type",
                launch("position_embedding_type"), ckpt("position_embedding_type"),
                l && !c ? "the flags build learned absolute position embeddings (Megatron's default type); the "
                          "checkpoint has none: loading stops (embedding.position_embeddings.weight missing). Fix: "
                          "--position-embedding-type " +
                              py(ckpt("position_embedding_type"))
                        : "the job starts with other position embeddings than the checkpoint was trained with. Fix: "
                          "--position-embedding-type " +
                              py(ckpt("position_embedding_type")));
        }
        if (has_ckpt("padded_vocab_size") && launch("padded_vocab_size").is_number_integer() &&
            !reported_.count("padded_vocab_size") && !same(launch("padded_vocab_size"), ckpt("padded_vocab_size"))) {
            const std::string vocab_source = launch_.contains("vocab_size") && flags_.line_of("vocab_size")
                                                 ? "--vocab-size " + py(launch("vocab_size"))
                                                 : "the tokenizer (assumed " + py(ckpt("vocab_size")) + " tokens)";
            add(LaunchFindingKind::Shape, true, "make_vocab_size_divisible_by", launch("padded_vocab_size"),
                ckpt("padded_vocab_size"),
                "the embedding has " + py(launch("padded_vocab_size")) + " rows (" + vocab_source +
                    " padded to a multiple of " + py(launch("make_vocab_size_divisible_by")) + " x TP " +
                    py(launch("tensor_model_parallel_size")) + "), the checkpoint " + py(ckpt("padded_vocab_size")) +
                    ": " + load + "embedding / output_layer shapes differ)");
        }
        // Hybrid stacks.
        const std::string lp = launch_pattern(), cp = pattern_of(out_.checkpoint_args);
        if (!lp.empty() || !cp.empty()) {
            for (const char* d : {"mamba_num_heads", "mamba_head_dim", "mamba_state_dim", "mamba_num_groups"})
                differ(d, load + "Mamba in_proj / conv1d / A_log shapes differ)");
        }
        if (lp.empty() && !cp.empty()) {
            add(LaunchFindingKind::Shape, true, "--hybrid-override-pattern", json(), json(cp),
                "the flags build a GPT stack; the checkpoint is a hybrid (" + std::to_string(cp.size()) +
                    " layers): loading stops (mixer keys unexpected). Fix: pass the checkpoint's pattern");
        } else if (!lp.empty() && cp.empty()) {
            add(LaunchFindingKind::Shape, true, "--hybrid-override-pattern", json(lp), json(),
                "the flags build a hybrid stack; the checkpoint is a GPT stack: loading stops");
        } else if (!lp.empty()) {
            auto l = parse_layer_pattern(lp, MegatronVersion::Main);
            auto c = parse_layer_pattern(cp, MegatronVersion::Main);
            if (l && c && l->layers != c->layers) {
                const std::string &a = l->layers, &b = c->layers;
                size_t diffs = 0, first = std::string::npos, dash_vs_e = 0;
                for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
                    const char x = i < a.size() ? a[i] : ' ', y = i < b.size() ? b[i] : ' ';
                    if (x == y) continue;
                    ++diffs;
                    if (first == std::string::npos) first = i;
                    if (x == '-' && y == 'E') ++dash_vs_e;
                }
                std::string msg = std::to_string(diffs) + " of " + std::to_string(b.size()) +
                                  " layer symbols differ from the checkpoint's pattern (first at layer " +
                                  std::to_string(first) + ": '" + std::string(1, first < a.size() ? a[first] : ' ') +
                                  "' here, '" + std::string(1, first < b.size() ? b[first] : ' ') + "' there)";
                if (a.size() != b.size())
                    msg += "; " + std::to_string(a.size()) + " layers here, " + std::to_string(b.size()) + " there";
                if (dash_vs_e == diffs)
                    msg +=
                        ": from Megatron 0.16 '-' builds a dense MLP and 'E' the MoE layer the checkpoint holds "
                        "(MindSpeed's pre-'E' scripts wrote '-'): loading stops (experts keys unexpected). Fix: "
                        "write 'E' for the MoE slots";
                else
                    msg += ": loading stops (the layers' keys differ)";
                add(LaunchFindingKind::Shape, true,
                    flags_.find("--hybrid-layer-pattern") ? "--hybrid-layer-pattern" : "--hybrid-override-pattern",
                    json(lp), json(cp), msg);
            }
        }
        // A legacy (torch) checkpoint is not resharded on load.
        if (ckpt("ckpt_format") == json("torch") && truthy(launch("use_dist_ckpt"))) {
            for (const char* d :
                 {"tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size"})
                if (has_ckpt(d) && !same(launch(d), ckpt(d)))
                    add(LaunchFindingKind::Parallel, true, d, launch(d), ckpt(d),
                        "the checkpoint is legacy (ckpt_format torch, one file per rank): megatron-core loads it "
                        "only at its own " +
                            std::string(d) + " " + py(ckpt(d)) +
                            ". Fix: strata reshard it, or convert it to torch_dist");
        }
        // Non-default strictness calls load_tensors_metadata, whose torch.empty(**properties)
        // fails on torch >= 2.15 for any checkpoint (facts torch-dist §1.6 item 7, verified
        // with megatron-core 0.19.2; same code at main): a warning, as it depends on torch.
        const json strictness = launch("dist_ckpt_strictness");
        if (truthy(launch("use_dist_ckpt")) && strictness.is_string() && strictness != json("assume_ok_unexpected"))
            add(LaunchFindingKind::Warning, false, "dist_ckpt_strictness", strictness, json(),
                "with torch >= 2.15 megatron-core's load_tensors_metadata stops on any torch_dist checkpoint "
                "(TypeError: empty() got an unexpected keyword argument 'strides'); the default "
                "assume_ok_unexpected does not call it");
        // Numerics: the job starts, but the model is not the one trained.
        auto eps = ckpt("norm_epsilon").is_null() ? ckpt("layernorm_epsilon") : ckpt("norm_epsilon");
        if (eps.is_number() && !same(launch("norm_epsilon"), eps))
            add(LaunchFindingKind::Warning, false, "norm_epsilon", launch("norm_epsilon"), eps,
                "the job starts with another norm epsilon than the checkpoint's. Fix: --norm-epsilon " + py(eps));
        if (launch("position_embedding_type") == json("rope") && has_ckpt("rotary_base") &&
            !same(launch("rotary_base"), ckpt("rotary_base")))
            add(LaunchFindingKind::Warning, false, "rotary_base", launch("rotary_base"), ckpt("rotary_base"),
                "the job starts with another RoPE base than the checkpoint's. Fix: --rotary-base " +
                    py(ckpt("rotary_base")));
    }

private:
    const LaunchFlags& flags_;
    MegatronVersion version_;
    LaunchCheck& out_;
    json launch_ = json::object();
    std::set<std::string> reported_;
};

}  // namespace

const char* launch_finding_kind_name(LaunchFindingKind kind) {
    switch (kind) {
        case LaunchFindingKind::Shape:
            return "shape";
        case LaunchFindingKind::Parallel:
            return "parallel";
        case LaunchFindingKind::CheckpointArgs:
            return "check_checkpoint_args";
        case LaunchFindingKind::Argument:
            return "argument";
        case LaunchFindingKind::Warning:
            return "warning";
    }
    return "?";
}

Result<LaunchCheck> check_launch_flags(const LaunchFlags& flags, const ModelSpec& spec, const json& config,
                                       bool megatron_args, MegatronVersion version) {
    LaunchCheck out;
    out.file = flags.file;
    Checker c(flags, version, out);
    if (megatron_args) {
        out.checkpoint_args = config;
        out.basis = "the checkpoint's Megatron args";
    }
    c.resolve_launch();
    out.plan = c.plan();
    if (!megatron_args) {
        // What `strata convert --to megatron` writes for this model with the flags' plan.
        Layout layout;
        layout.spec = spec;
        layout.options.kind = LayoutKind::Megatron;
        layout.options.plan = out.plan;
        layout.options.norms = c.launch("transformer_impl") == json("local") ? NormLayout::Local : NormLayout::Te;
        layout.options.moe_symbol_e = version != MegatronVersion::V0_15;
        layout.padded_vocab =
            megatron_padded_vocab_size(spec.vocab, out.plan.make_vocab_size_divisible_by, out.plan.tp);
        out.checkpoint_args = megatron_args_for(config, layout, 0);
        out.basis = "the args strata convert --to megatron writes for this model at TP " + std::to_string(out.plan.tp) +
                    " PP " + std::to_string(out.plan.pp) + " EP " + std::to_string(out.plan.ep);
        c.resolve_launch();  // padded vocab and --use-checkpoint-args see the args now
    }
    out.pattern = c.launch_pattern();
    c.arguments();
    c.checkpoint_args();
    c.shapes();
    // The plan rules on the flags' sizes (the model's pattern when the flags give none).
    std::optional<LayerPattern> pattern;
    if (!out.pattern.empty()) {
        if (auto p = parse_layer_pattern(out.pattern, version)) pattern = *p;
    } else if (!spec.megatron_pattern.empty()) {
        if (auto p = parse_layer_pattern(spec.megatron_pattern, version)) pattern = *p;
    } else if (spec.has_mixer(MixerKind::Mamba2)) {
        if (auto text = megatron_pattern_from_layers(spec.layer_kinds, {version, false}))
            if (auto p = parse_layer_pattern(*text, version)) pattern = *p;
    }
    out.plan_checks = check(spec, pattern, out.plan, version);
    for (const auto& pc : out.plan_checks) {
        if (pc.ok || pc.severity == Severity::Info) continue;
        const bool error = pc.severity == Severity::Error;
        LaunchFinding f;
        f.flag = axis_flag(pc.axis);
        f.kind = error ? LaunchFindingKind::Parallel : LaunchFindingKind::Warning;
        f.stops = error;
        if (const LaunchFlag* lf = f.flag.empty() ? nullptr : flags.find(f.flag)) {
            f.line = lf->line;
            f.launch_value = lf->value.value_or("True");
        }
        f.message = pc.name + ": " + pc.message;
        if (!pc.alternatives.empty() && pc.message.find("∈") == std::string::npos) {
            std::string alt;
            for (size_t i = 0; i < pc.alternatives.size() && i < 16; ++i)
                alt += (alt.empty() ? "" : ",") + std::to_string(pc.alternatives[i]);
            if (pc.alternatives.size() > 16) alt += ",...";
            f.message += std::string("; ") + plan_axis_name(pc.axis) + " ∈ {" + alt + "}";
        }
        out.stops = out.stops || error;
        out.findings.push_back(std::move(f));
    }
    return out;
}

json launch_check_json(const LaunchCheck& c, const LaunchFlags& flags) {
    json j;
    j["file"] = c.file;
    j["basis"] = c.basis;
    const ParallelPlan& p = c.plan;
    j["plan"] = {{"tp", p.tp},
                 {"pp", p.pp},
                 {"ep", p.ep},
                 {"etp", p.expert_tp()},
                 {"cp", p.cp},
                 {"vpp", p.vpp},
                 {"sequence_parallel", p.sequence_parallel}};
    if (!c.pattern.empty()) j["pattern"] = c.pattern;
    j["findings"] = json::array();
    for (const auto& f : c.findings)
        j["findings"].push_back({{"flag", f.flag},
                                 {"launch_value", f.launch_value},
                                 {"checkpoint_value", f.checkpoint_value},
                                 {"kind", launch_finding_kind_name(f.kind)},
                                 {"stops", f.stops},
                                 {"line", f.line},
                                 {"message", f.message}});
    j["problems"] = json::array();
    for (const auto& pr : flags.problems) j["problems"].push_back({{"line", pr.line}, {"message", pr.message}});
    j["stops"] = c.stops;
    return j;
}

}  // namespace strata
