// Plan checks. Each check mirrors one rule of NVIDIA/Megatron-LM (file cited in `source`);
// alternatives are found by re-running the same predicate over candidate values.
#include "strata/parallel/checks.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include "strata/megatron/megatron_rules.h"
#include "strata/model/architecture.h"

namespace strata {
namespace {

constexpr int kMaxCandidate = 1024;

std::string u(uint64_t v) { return std::to_string(v); }

// Values 1..kMaxCandidate for which pred holds.
std::vector<int> candidates(const std::function<bool(int)>& pred) {
    std::vector<int> out;
    for (int v = 1; v <= kMaxCandidate; ++v)
        if (pred(v)) out.push_back(v);
    return out;
}

std::string list_text(const std::vector<int>& v, size_t max_items = 12) {
    std::string s = "{";
    for (size_t i = 0; i < v.size() && i < max_items; ++i) s += (i ? "," : "") + std::to_string(v[i]);
    if (v.size() > max_items) s += ",...";
    return s + "}";
}

ParallelPlan with_axis(ParallelPlan p, PlanAxis axis, int v) {
    switch (axis) {
        case PlanAxis::Tp:
            p.tp = v;
            break;
        case PlanAxis::Pp:
            p.pp = v;
            break;
        case PlanAxis::Ep:
            p.ep = v;
            break;
        case PlanAxis::Etp:
            p.etp = v;
            break;
        case PlanAxis::Cp:
            p.cp = v;
            break;
        case PlanAxis::Vpp:
            p.vpp = v;
            break;
        case PlanAxis::Dp:
            p.dp = v;
            break;
        case PlanAxis::World:
            p.world = v;
            break;
        case PlanAxis::SequenceParallel:
            p.sequence_parallel = v != 0;
            break;
        case PlanAxis::None:
            break;
    }
    return p;
}

// "<name>: <what> <value> % <AXIS> <n> ..." for a plain divisibility rule.
PlanCheck divisible(std::string name, const std::string& what, uint64_t value, PlanAxis axis, int n,
                    std::string source) {
    PlanCheck c;
    c.name = std::move(name);
    c.axis = axis;
    c.source = std::move(source);
    c.ok = n > 0 && value % static_cast<uint64_t>(n) == 0;
    c.alternatives = candidates([&](int v) { return value % static_cast<uint64_t>(v) == 0; });
    const std::string ax = plan_axis_name(axis);
    if (c.ok)
        c.message = what + " " + u(value) + " / " + ax + " " + std::to_string(n) + " = " + u(value / n) + " per rank";
    else
        c.message = what + " " + u(value) + " is not divisible by " + ax + "=" + std::to_string(n) + "; " + ax + " ∈ " +
                    list_text(c.alternatives);
    return c;
}

bool pattern_has(const std::optional<LayerPattern>& p, char c) {
    return p && (p->layers.find(c) != std::string::npos || p->mtp.find(c) != std::string::npos);
}

int decoder_layers(const ModelSpec& spec, const std::optional<LayerPattern>& pattern) {
    return pattern ? pattern->num_layers() : static_cast<int>(spec.layers);
}

std::string stage_summary(const std::vector<StageLayers>& stages, int n, bool hybrid, bool chunks) {
    std::vector<int> counts;
    for (const auto& s : stages) counts.push_back(s.count);
    const bool even = std::all_of(counts.begin(), counts.end(), [&](int c) { return c == counts.front(); });
    const std::string what = std::to_string(n) + (hybrid ? " hybrid layers" : " layers");
    const std::string unit = chunks ? " chunk" : " stage";
    if (even)
        return std::to_string(counts.front()) + " layers per" + unit + " × " + u(stages.size()) + unit + "s (" + what +
               ")";
    std::string s;
    for (size_t i = 0; i < counts.size(); ++i) s += (i ? "," : "") + std::to_string(counts[i]);
    return unit.substr(1) + "s hold [" + s + "] layers (" + what + ")";
}

}  // namespace

const char* severity_name(Severity s) {
    switch (s) {
        case Severity::Info:
            return "info";
        case Severity::Warning:
            return "warning";
        case Severity::Error:
            return "error";
    }
    return "?";
}

const char* plan_axis_name(PlanAxis a) {
    switch (a) {
        case PlanAxis::None:
            return "-";
        case PlanAxis::Tp:
            return "TP";
        case PlanAxis::Pp:
            return "PP";
        case PlanAxis::Ep:
            return "EP";
        case PlanAxis::Etp:
            return "ETP";
        case PlanAxis::Cp:
            return "CP";
        case PlanAxis::Vpp:
            return "VPP";
        case PlanAxis::Dp:
            return "DP";
        case PlanAxis::World:
            return "world";
        case PlanAxis::SequenceParallel:
            return "SP";
    }
    return "?";
}

PlanSizes plan_sizes(const ParallelPlan& plan) {
    PlanSizes s;
    s.etp = plan.expert_tp();
    const int dense = plan.tp * plan.pp * plan.cp;
    const int expert = s.etp * plan.ep * plan.pp;
    if (plan.world > 0)
        s.world = plan.world;
    else if (plan.dp > 0)
        s.world = dense * plan.dp;
    else  // the smallest world both grids fold into
        s.world = std::lcm(plan.tp * plan.cp, s.etp * plan.ep) * plan.pp;
    if (dense > 0 && s.world % dense == 0) s.dp = s.world / dense;
    if (expert > 0 && s.world % expert == 0) s.expert_dp = s.world / expert;
    return s;
}

uint64_t padded_vocab_size(uint64_t vocab, int divisible_by, int tp) {
    return megatron_padded_vocab_size(vocab, divisible_by, tp);
}

Result<std::vector<StageLayers>> pipeline_layout(const ModelSpec& spec, const std::optional<LayerPattern>& pattern,
                                                 const ParallelPlan& plan, MegatronVersion version) {
    const int n = decoder_layers(spec, pattern);
    const int pp = plan.pp, vpp = plan.vpp;
    if (pp < 1 || vpp < 1) return Status::invalid_argument("PP and VPP must be at least 1");
    const bool modern = !uses_ratio_override_rule(version);
    std::vector<StageLayers> out;
    auto slice = [&](int first, int count) { return pattern ? pattern->layers.substr(first, count) : std::string(); };

    if (pattern && pattern->has_pipes()) {
        // hybrid_layer_allocation.py select_pipeline_segment: segment = vp_stage·pp + pp_rank.
        const int segs = static_cast<int>(pattern->segment_lengths.size());
        if (plan.first_stage_layers || plan.last_stage_layers)
            return Status::invalid_argument(
                "num_layers_in_first/last_pipeline_stage cannot be used when the pattern has '|' separators: the "
                "segments already define the pipeline layout");
        if (segs % pp != 0)
            return Status::invalid_argument("the pattern has " + std::to_string(segs) +
                                            " '|' segments, not divisible by PP=" + std::to_string(pp));
        if (vpp > 1 && segs != pp * vpp)
            return Status::invalid_argument("PP=" + std::to_string(pp) + " × VPP=" + std::to_string(vpp) + " needs " +
                                            std::to_string(pp * vpp) + " '|' segments, the pattern has " +
                                            std::to_string(segs));
        int first = 0;
        for (int s = 0; s < segs; ++s) {
            out.push_back({s % pp, s / pp, first, pattern->segment_lengths[static_cast<size_t>(s)],
                           pattern->segment(static_cast<size_t>(s))});
            first += pattern->segment_lengths[static_cast<size_t>(s)];
        }
        return out;
    }
    if (pattern && vpp > 1)
        return Status::invalid_argument(
            modern ? "virtual pipeline parallelism needs '|' separators in the hybrid pattern (Megatron 0.17+: "
                     "\"Add '|' separators to define explicit pipeline/virtual-pipeline stage boundaries\")"
                   : "the hybrid MambaStack of Megatron <=0.16 has no virtual pipeline parallelism");
    if (pattern && !modern && (plan.first_stage_layers || plan.last_stage_layers))
        return Status::invalid_argument(
            "the hybrid MambaStack of Megatron <=0.16 splits num_layers / PP evenly; first/last-stage counts need "
            "0.17+");
    if (pp == 1 && vpp > 1) return Status::invalid_argument("VPP > 1 needs PP > 1");

    // Per-stage counts: even split, or first/last overrides with the middle split evenly.
    STRATA_TRY(std::vector<int> per_stage, megatron_stage_layer_counts(n, plan));
    // GPT with VPP: every stage's layers split into vpp chunks; chunk v of rank r is model
    // chunk v·pp + r in layer order (interleaved schedule).
    for (int r = 0; r < pp; ++r)
        if (per_stage[static_cast<size_t>(r)] % vpp != 0)
            return Status::invalid_argument("stage " + std::to_string(r) + " holds " +
                                            std::to_string(per_stage[static_cast<size_t>(r)]) +
                                            " layers, not divisible by VPP=" + std::to_string(vpp));
    int first = 0;
    for (int v = 0; v < vpp; ++v)
        for (int r = 0; r < pp; ++r) {
            const int count = per_stage[static_cast<size_t>(r)] / vpp;
            out.push_back({r, v, first, count, slice(first, count)});
            first += count;
        }
    return out;
}

std::vector<PlanCheck> check(const ModelSpec& spec, const std::optional<LayerPattern>& pattern,
                             const ParallelPlan& plan, MegatronVersion version) {
    std::vector<PlanCheck> out;
    const ParallelPlan& p = plan;
    const int etp = p.expert_tp();
    const std::pair<const char*, int> values[] = {{"TP", p.tp}, {"PP", p.pp}, {"EP", p.ep},
                                                  {"ETP", etp}, {"CP", p.cp}, {"VPP", p.vpp}};
    for (const auto& [name, v] : values) {
        if (v < 1) {
            out.push_back({"plan values",
                           false,
                           Severity::Error,
                           std::string(name) + " must be at least 1, got " + std::to_string(v),
                           PlanAxis::None,
                           {},
                           ""});
            return out;
        }
    }
    const bool hybrid = pattern.has_value();
    const bool has_attention = hybrid ? (pattern_has(pattern, symbol::kAttention) ||
                                         pattern_has(pattern, symbol::kDsa) || pattern_has(pattern, symbol::kMla))
                                      : spec.has_mixer(MixerKind::Attention);
    const bool has_mamba = hybrid ? pattern_has(pattern, symbol::kMamba) : spec.has_mixer(MixerKind::Mamba2);
    const bool has_gdn = pattern_has(pattern, symbol::kGdn) || spec.has_mixer(MixerKind::GatedDeltaNet);
    const bool has_dense = hybrid ? pattern_has(pattern, symbol::kMlp) && !spec.is_moe() : spec.has_mlp(MlpKind::Dense);

    if (hybrid) {
        PlanCheck c{"pattern vs model", true, Severity::Error, "", PlanAxis::None, {}, ""};
        std::string problems;
        if (pattern_has(pattern, symbol::kMoE) && !spec.is_moe())
            problems += "'E' (MoE) but the model has no experts; ";
        if (pattern_has(pattern, symbol::kGdn) && spec.gdn.key_heads == 0)
            problems += "'G' (GDN) but the model has no GDN dims; ";
        c.ok = problems.empty();
        // The model's family says how its HF layers sit on the pattern (Nemotron-H: one per symbol).
        const HfLayerConvention convention = hf_layer_convention_for(spec);
        const bool one_each = convention == HfLayerConvention::OnePerSymbol;
        auto hf = hf_layers_from_pattern(pattern->layers, convention);
        if (!c.ok) {
            c.message = "the pattern has " + problems.substr(0, problems.size() - 2);
        } else if (hf && hf->size() != spec.layers) {
            c.ok = false;
            c.severity = Severity::Warning;
            c.message = "the pattern has " + u(hf->size()) +
                        (one_each ? " layers (HF layers, one each)" : " mixer layers (HF layers)") +
                        " but the model has " + u(spec.layers);
        } else {
            c.message = u(pattern->num_layers()) + " Megatron layers" +
                        (hf ? " = " + u(hf->size()) + " HF layers" : std::string()) + (one_each ? " (one each)" : "");
        }
        out.push_back(c);
    }

    // Attention: divide(num_attention_heads, tp) and divide(num_query_groups, tp)
    // (megatron/core/transformer/attention.py Attention.__init__).
    if (has_attention) {
        out.push_back(divisible("attention heads % TP", "attention heads", spec.heads, PlanAxis::Tp, p.tp,
                                "megatron/core/transformer/attention.py"));
        out.push_back(divisible("KV groups % TP", "KV groups", spec.kv_heads, PlanAxis::Tp, p.tp,
                                "megatron/core/transformer/attention.py"));
    }
    // Mamba: asserts nheads % tp, ngroups % tp, nheads % ngroups (megatron/core/ssm/mamba_mixer.py).
    if (has_mamba) {
        if (spec.mamba.n_heads == 0 || spec.mamba.n_groups == 0) {
            out.push_back({"Mamba dims",
                           false,
                           Severity::Warning,
                           "the pattern has Mamba layers but the model has no Mamba dims (pass --mamba-heads and "
                           "--mamba-groups)",
                           PlanAxis::None,
                           {},
                           ""});
        } else {
            out.push_back(divisible("Mamba heads % TP", "Mamba heads", spec.mamba.n_heads, PlanAxis::Tp, p.tp,
                                    "megatron/core/ssm/mamba_mixer.py"));
            out.push_back(divisible("Mamba groups % TP", "Mamba groups", spec.mamba.n_groups, PlanAxis::Tp, p.tp,
                                    "megatron/core/ssm/mamba_mixer.py"));
            PlanCheck g{"Mamba heads % groups",
                        spec.mamba.n_heads % spec.mamba.n_groups == 0,
                        Severity::Error,
                        "Mamba heads " + u(spec.mamba.n_heads) + " / groups " + u(spec.mamba.n_groups),
                        PlanAxis::None,
                        {},
                        "megatron/core/ssm/mamba_mixer.py"};
            if (!g.ok) g.message += " is not whole";
            out.push_back(g);
        }
    }
    // GDN: q/k heads and v heads are TP-sharded by head (megatron/core/ssm/gated_delta_net.py).
    if (has_gdn) {
        out.push_back(divisible("GDN key heads % TP", "GDN key heads", spec.gdn.key_heads, PlanAxis::Tp, p.tp,
                                "megatron/core/ssm/gated_delta_net.py"));
        out.push_back(divisible("GDN value heads % TP", "GDN value heads", spec.gdn.value_heads, PlanAxis::Tp, p.tp,
                                "megatron/core/ssm/gated_delta_net.py"));
    }
    // Experts: num_moe_experts % expert_model_parallel_size (megatron/training/arguments.py).
    if (spec.is_moe()) {
        auto c =
            divisible("experts % EP", "experts", spec.experts, PlanAxis::Ep, p.ep, "megatron/training/arguments.py");
        if (c.ok)
            c.message = u(spec.experts) + " experts / EP " + std::to_string(p.ep) + " = " + u(spec.experts / p.ep) +
                        " local experts per EP rank";
        out.push_back(c);
        out.push_back(divisible("expert FFN % ETP", "expert FFN", spec.expert_ffn, PlanAxis::Etp, etp,
                                "megatron/core/transformer/moe/experts.py"));
        if (spec.shared_expert_ffn > 0)
            out.push_back(divisible("shared expert FFN % TP", "shared expert FFN", spec.shared_expert_ffn, PlanAxis::Tp,
                                    p.tp, "megatron/core/transformer/moe/shared_experts.py"));
    } else if (p.ep > 1) {
        out.push_back({"experts % EP",
                       false,
                       Severity::Error,
                       "EP=" + std::to_string(p.ep) + " needs an MoE model (num_experts must be set)",
                       PlanAxis::Ep,
                       {1},
                       "megatron/training/arguments.py"});
    }
    if (has_dense && spec.ffn > 0)
        out.push_back(
            divisible("dense FFN % TP", "dense FFN", spec.ffn, PlanAxis::Tp, p.tp, "megatron/core/transformer/mlp.py"));

    // Vocab: _vocab_size_with_padding pads to make_vocab_size_divisible_by × TP
    // (megatron/training/tokenizer/tokenizer.py).
    {
        const uint64_t padded = padded_vocab_size(spec.vocab, p.make_vocab_size_divisible_by, p.tp);
        const uint64_t m = static_cast<uint64_t>(p.make_vocab_size_divisible_by) * static_cast<uint64_t>(p.tp);
        PlanCheck c{"vocab padding",
                    padded == spec.vocab,
                    Severity::Warning,
                    "",
                    PlanAxis::Tp,
                    {},
                    "megatron/training/tokenizer/tokenizer.py"};
        c.alternatives = candidates(
            [&](int v) { return padded_vocab_size(spec.vocab, p.make_vocab_size_divisible_by, v) == spec.vocab; });
        c.message = "vocab " + u(spec.vocab) + " → padded " + u(padded) + " (multiple of " +
                    std::to_string(p.make_vocab_size_divisible_by) + "×" + std::to_string(p.tp) + "=" + u(m) + ")";
        if (!c.ok)
            c.message += ": embedding and output layer get " + u(padded - spec.vocab) +
                         " extra rows (or pass --make-vocab-size-divisible-by 1 --padded-vocab-size " + u(spec.vocab) +
                         "); no padding with TP ∈ " + list_text(c.alternatives);
        out.push_back(c);
    }

    // Pipeline stages (hybrid_layer_allocation.py select_pipeline_segment / transformer_config.py).
    {
        const int n = decoder_layers(spec, pattern);
        auto layout = pipeline_layout(spec, pattern, p, version);
        const char* src =
            hybrid ? (uses_ratio_override_rule(version) ? "megatron/core/ssm/mamba_block.py"
                                                        : "megatron/core/models/hybrid/hybrid_layer_allocation.py")
                   : "megatron/core/transformer/transformer_block.py";
        PlanCheck c{"layers per pipeline stage", layout.is_ok(), Severity::Error, "", PlanAxis::Pp, {}, src};
        c.alternatives = candidates(
            [&](int v) { return pipeline_layout(spec, pattern, with_axis(p, PlanAxis::Pp, v), version).is_ok(); });
        c.message = layout ? "PP=" + std::to_string(p.pp) + (p.vpp > 1 ? " VPP=" + std::to_string(p.vpp) : "") + ": " +
                                 stage_summary(*layout, n, hybrid, layout->size() > static_cast<size_t>(p.pp))
                           : layout.status().message() + "; PP ∈ " + list_text(c.alternatives);
        out.push_back(c);
        if (p.vpp > 1 || (pattern && pattern->has_pipes())) {
            PlanCheck v{"virtual pipeline", layout.is_ok(), Severity::Error, "", PlanAxis::Vpp, {}, src};
            v.alternatives = candidates(
                [&](int x) { return pipeline_layout(spec, pattern, with_axis(p, PlanAxis::Vpp, x), version).is_ok(); });
            v.message = layout ? "VPP=" + std::to_string(layout->back().vp_stage + 1) + " chunks per stage"
                               : "VPP ∈ " + list_text(v.alternatives);
            out.push_back(v);
        }
    }

    // MTP (megatron/core/transformer/multi_token_prediction.py): the MTP block is built on the
    // last pipeline stage (post_process), after that stage's decoder layers, with the decoder's
    // TP/EP sharding; a stage that also carries MTP is the heaviest one.
    if (spec.mtp_layers > 0) {
        PlanCheck c{"MTP placement",
                    true,
                    Severity::Info,
                    "",
                    PlanAxis::Pp,
                    {},
                    "megatron/core/transformer/multi_token_prediction.py"};
        int last = -1;  // decoder layers on the last stage; -1 while the stages do not split
        if (auto stages = pipeline_layout(spec, pattern, p, version); stages.is_ok()) {
            last = 0;
            for (const auto& s : *stages)
                if (s.pp_rank == p.pp - 1) last += s.count;
        }
        c.message = u(spec.mtp_layers) + " MTP layer" + (spec.mtp_layers > 1 ? "s" : "") +
                    " (embedding/hidden fc, attention, " + (spec.is_moe() ? "MoE" : "MLP") +
                    ") on the last pipeline stage (PP rank " + std::to_string(p.pp - 1) + ")" +
                    (last >= 0 ? " after its " + std::to_string(last) + " decoder layers" : "");
        // A lighter last stage that still splits the rest evenly, e.g. 60 layers, PP 4: 12 + 3 x 16.
        const int n = static_cast<int>(spec.layers);
        for (int k = last - 1; p.pp > 1 && !p.last_stage_layers && k > 0; --k)
            if ((n - k) % (p.pp - 1) == 0) {
                c.message += "; --last-stage-layers " + std::to_string(k) + " (" +
                             std::to_string((n - k) / (p.pp - 1)) + " on each other stage) makes room for it";
                break;
            }
        out.push_back(c);
    }

    // World and expert folding (megatron/core/parallel_state.py initialize_model_parallel):
    // world % (tp·pp·cp) == 0 gives dp; world % (etp·ep·pp) == 0 gives the expert dp.
    const PlanSizes sizes = plan_sizes(p);
    {
        const int dense = p.tp * p.pp * p.cp;
        PlanCheck c{
            "world size", sizes.dp > 0, Severity::Error, "", PlanAxis::World, {}, "megatron/core/parallel_state.py"};
        if (c.ok && p.dp > 0 && p.world > 0 && sizes.dp != p.dp) c.ok = false;
        for (int k = 1; k <= 8; ++k) c.alternatives.push_back(std::lcm(dense, etp * p.ep * p.pp) * k);
        c.message = c.ok ? "world " + std::to_string(sizes.world) + " = TP " + std::to_string(p.tp) + " × PP " +
                               std::to_string(p.pp) + " × CP " + std::to_string(p.cp) + " × DP " +
                               std::to_string(sizes.dp) +
                               (p.world == 0 && p.dp == 0 ? " (smallest world that fits; DP not given)" : "")
                         : "world " + std::to_string(sizes.world) + " is not TP·PP·CP = " + std::to_string(dense) +
                               " × DP" + (p.dp > 0 ? " " + std::to_string(p.dp) : std::string()) + "; world ∈ " +
                               list_text(c.alternatives, 8);
        out.push_back(c);
    }
    if (spec.is_moe() || p.ep > 1 || p.etp > 0) {
        const int expert = etp * p.ep * p.pp;
        PlanCheck c{"expert folding",
                    sizes.expert_dp > 0,
                    Severity::Error,
                    "",
                    PlanAxis::Ep,
                    {},
                    "megatron/core/parallel_state.py"};
        c.alternatives = candidates(
            [&](int v) { return spec.experts % static_cast<uint64_t>(v) == 0 && sizes.world % (etp * v * p.pp) == 0; });
        c.message = c.ok ? "world " + std::to_string(sizes.world) + " = ETP " + std::to_string(etp) + " × EP " +
                               std::to_string(p.ep) + " × PP " + std::to_string(p.pp) + " × expert DP " +
                               std::to_string(sizes.expert_dp) +
                               " (EP·ETP folds into TP·CP·DP = " + std::to_string(sizes.world / p.pp) + ")"
                         : "world " + std::to_string(sizes.world) +
                               " is not divisible by ETP·EP·PP = " + std::to_string(expert) + "; EP ∈ " +
                               list_text(c.alternatives);
        out.push_back(c);
    }

    // Sequence parallel: Megatron turns it off at TP=1 (megatron/training/arguments.py). With
    // EP>1 and TP>1 and no SP, megatron/core/model_parallel_config.py __post_init__ raises
    // ValueError up to core 0.14 (0.13.1, 0.14.0 read) and only warns from 0.15.0 through main
    // d98e8a6. The "<=0.15" version setting covers both, so it keeps the error.
    if (p.sequence_parallel && p.tp == 1)
        out.push_back({"sequence parallel", false, Severity::Warning,
                       "sequence parallel needs TP > 1 (Megatron disables it at TP=1)", PlanAxis::Tp,
                       candidates([](int v) { return v > 1; }), "megatron/training/arguments.py"});
    else if (!p.sequence_parallel && p.tp > 1 && p.ep > 1 && version == MegatronVersion::V0_15)
        out.push_back({"sequence parallel",
                       false,
                       Severity::Error,
                       "with EP > 1 and TP > 1 sequence parallelism must be used (--sequence-parallel): megatron-core "
                       "<= 0.14 stops with ValueError (0.15 and later only warn)",
                       PlanAxis::SequenceParallel,
                       {},
                       "megatron/core/model_parallel_config.py"});
    else if (!p.sequence_parallel && p.tp > 1 && p.ep > 1)
        out.push_back({"sequence parallel",
                       false,
                       Severity::Warning,
                       "with EP > 1 and TP > 1 Megatron warns that sequence parallelism must be used "
                       "(--sequence-parallel); the job starts without it",
                       PlanAxis::SequenceParallel,
                       {},
                       "megatron/core/model_parallel_config.py"});
    else
        out.push_back({"sequence parallel",
                       true,
                       Severity::Error,
                       p.sequence_parallel ? "on (TP " + std::to_string(p.tp) + ")" : "off",
                       PlanAxis::SequenceParallel,
                       {},
                       "megatron/core/transformer/transformer_config.py"});
    return out;
}

bool plan_passes(const std::vector<PlanCheck>& checks) {
    return std::none_of(checks.begin(), checks.end(),
                        [](const PlanCheck& c) { return !c.ok && c.severity == Severity::Error; });
}

std::vector<int> passing_values(const ModelSpec& spec, const std::optional<LayerPattern>& pattern,
                                const ParallelPlan& plan, PlanAxis axis, MegatronVersion version, int max_value) {
    std::vector<int> out;
    if (axis == PlanAxis::None) return out;
    for (int v = 1; v <= max_value; ++v) {
        const auto checks = check(spec, pattern, with_axis(plan, axis, v), version);
        const bool ok = std::none_of(checks.begin(), checks.end(), [&](const PlanCheck& c) {
            return !c.ok && c.severity == Severity::Error && c.axis == axis;
        });
        if (ok) out.push_back(v);
    }
    return out;
}

}  // namespace strata
