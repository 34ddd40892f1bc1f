// Layout construction: match canonical tensors to registry rules, group them by
// layout name, and let each rule's kind expand the group into stored tensors and pieces.
#include "strata/mapping/layout.h"

#include <algorithm>
#include <map>

#include "strata/mapping/mapping_registry.h"
#include "strata/mapping/param_mapping.h"
#include "strata/megatron/megatron_rules.h"

namespace strata {

const char* layout_kind_name(LayoutKind kind) {
    switch (kind) {
        case LayoutKind::Hf:
            return "hf";
        case LayoutKind::HfFused:
            return "hf-fused";
        case LayoutKind::HfFusedV5:
            return "hf-fused-v5";
        case LayoutKind::Megatron:
            return "megatron";
    }
    return "?";
}

std::optional<LayoutKind> parse_layout_kind(std::string_view name) {
    for (auto k : {LayoutKind::Hf, LayoutKind::HfFused, LayoutKind::HfFusedV5, LayoutKind::Megatron})
        if (name == layout_kind_name(k)) return k;
    return std::nullopt;
}

const char* expert_layout_name(ExpertLayout layout) {
    switch (layout) {
        case ExpertLayout::Grouped:
            return "grouped";
        case ExpertLayout::LegacyGrouped:
            return "legacy-grouped";
        case ExpertLayout::Sequential:
            return "sequential";
    }
    return "?";
}

std::optional<ExpertLayout> parse_expert_layout(std::string_view name) {
    for (auto k : {ExpertLayout::Grouped, ExpertLayout::LegacyGrouped, ExpertLayout::Sequential})
        if (name == expert_layout_name(k)) return k;
    return std::nullopt;
}

const char* norm_layout_name(NormLayout layout) { return layout == NormLayout::Te ? "te" : "local"; }

std::optional<NormLayout> parse_norm_layout(std::string_view name) {
    if (name == "te") return NormLayout::Te;
    if (name == "local") return NormLayout::Local;
    return std::nullopt;
}

uint64_t Box::numel() const {
    uint64_t n = 1;
    for (uint64_t e : extent) n *= e;
    return n;
}

std::optional<Box> intersect(const Box& a, const Box& b) {
    if (a.start.size() != b.start.size()) return std::nullopt;
    Box r;
    for (size_t d = 0; d < a.start.size(); ++d) {
        const uint64_t lo = std::max(a.start[d], b.start[d]);
        const uint64_t hi = std::min(a.start[d] + a.extent[d], b.start[d] + b.extent[d]);
        if (hi <= lo) return std::nullopt;
        r.start.push_back(lo);
        r.extent.push_back(hi - lo);
    }
    return r;
}

std::string box_to_string(const Box& box) {
    std::string s = "[";
    for (size_t d = 0; d < box.start.size(); ++d) {
        if (d) s += ", ";
        s += std::to_string(box.start[d]) + ":" + std::to_string(box.start[d] + box.extent[d]);
    }
    return s + "]";
}

const TensorEntry* Layout::find_canonical(std::string_view name) const {
    for (const auto& e : canonical)
        if (e.name == name) return &e;
    return nullptr;
}

std::vector<std::vector<uint32_t>> Layout::pieces_by_canonical() const {
    std::vector<std::vector<uint32_t>> out(canonical.size());
    for (uint32_t p = 0; p < pieces.size(); ++p) out[pieces[p].canonical].push_back(p);
    return out;
}

Result<uint64_t> megatron_padded_vocab(uint64_t vocab, const ParallelPlan& plan, bool padding) {
    if (!padding) {
        if (vocab % static_cast<uint64_t>(plan.tp) != 0)
            return Status::invalid_argument("vocab " + std::to_string(vocab) + " is not divisible by TP " +
                                            std::to_string(plan.tp) + "; keep vocab padding on");
        return vocab;
    }
    return megatron_padded_vocab_size(vocab, plan.make_vocab_size_divisible_by, plan.tp);
}

Result<std::vector<int>> megatron_stage_layers(int layers, const ParallelPlan& plan) {
    STRATA_TRY(std::vector<int> counts, megatron_stage_layer_counts(layers, plan));
    std::vector<int> starts{0};
    for (int c : counts) {
        if (c <= 0) return Status::invalid_argument("a pipeline stage would hold no layers");
        starts.push_back(starts.back() + c);
    }
    return starts;
}

std::string megatron_rank_dir(const RankCoord& rank, const ParallelPlan& plan) {
    return megatron_rank_folder(rank.tp, rank.pp, rank.ep, plan.pp, plan.ep);
}

namespace {

struct Pending {
    size_t rule = SIZE_MAX;  // SIZE_MAX = identity (HF layouts: tensors no rule touches)
    MappingGroup group;
};

constexpr const char* kWordEmbeddings = "embedding.word_embeddings.weight";

// Tied embeddings with PP > 1: the last stage allocates output_layer.weight as its own copy
// of the word embeddings (Megatron-LM LanguageModule.setup_embeddings_and_output_layer; with
// one stage it is skipped) and saves it, so the embedding also expands through the rule that
// would place an untied lm_head. Readers take the first stage's copy (the same boxes).
Status add_tied_output_copy(const MappingRegistry& registry, const LayoutOptions& options,
                            std::vector<Pending>& groups) {
    const auto embedding = std::find_if(groups.begin(), groups.end(),
                                        [](const Pending& g) { return g.group.layout_name == kWordEmbeddings; });
    if (embedding == groups.end() || embedding->group.members.size() != 1)
        return Status::invalid_argument("tied embeddings, but no word embedding tensor to copy to the last stage");
    const MappingMember& member = embedding->group.members.front();
    // The lm_head name that sits beside this embedding (VL wrappers keep lm_head top-level).
    auto m = registry.match_canonical(options, "lm_head.weight");
    if (!m)
        return Status::unsupported("tied embeddings with PP > 1: no output layer rule for " + registry.model_type());
    Pending copy;
    copy.rule = m->rule;
    copy.group.layout_name = registry.rules()[m->rule].layout.fill(m->captures);
    copy.group.placement = registry.rules()[m->rule].placement;
    copy.group.members.push_back({m->role, member.canonical, m->captures});
    groups.push_back(std::move(copy));
    return Status::ok();
}

Status check_plan(const ModelSpec& spec, const LayoutOptions& o) {
    const ParallelPlan& p = o.plan;
    if (o.kind != LayoutKind::Megatron) {
        if (p.tp != 1 || p.pp != 1 || p.ep != 1 || p.expert_tp() != 1)
            return Status::invalid_argument(std::string(layout_kind_name(o.kind)) +
                                            " layouts are unsharded; --tp/--pp/--ep/--etp apply to megatron");
        return Status::ok();
    }
    auto bad = [](const std::string& m) { return Status::invalid_argument(m); };
    if (p.tp < 1 || p.pp < 1 || p.ep < 1 || p.expert_tp() < 1) return bad("parallel sizes must be >= 1");
    if (p.vpp < 1) return bad("VPP must be >= 1");
    if (p.vpp > 1 && p.pp < 2) return bad("VPP > 1 needs PP > 1");
    if (p.vpp > 1 && (p.first_stage_layers || p.last_stage_layers))
        return Status::unsupported("virtual pipeline stages with first/last-stage layer counts are not written yet");
    const int etp = p.expert_tp();
    if (etp > p.tp || p.tp % etp != 0)
        return Status::unsupported("legacy Megatron checkpoints name files by TP rank, so ETP " + std::to_string(etp) +
                                   " must divide TP " + std::to_string(p.tp));
    if (spec.heads % p.tp || spec.kv_heads % p.tp)
        return bad("TP " + std::to_string(p.tp) + " must divide the " + std::to_string(spec.heads) +
                   " attention heads and " + std::to_string(spec.kv_heads) + " query groups");
    if (spec.is_moe()) {
        if (spec.experts % p.ep)
            return bad("EP " + std::to_string(p.ep) + " must divide " + std::to_string(spec.experts) + " experts");
        if (spec.expert_ffn % etp)
            return bad("ETP " + std::to_string(etp) + " must divide expert FFN " + std::to_string(spec.expert_ffn));
    } else if (p.ep != 1) {
        return bad("EP applies to MoE models only");
    }
    if (spec.ffn && spec.ffn % p.tp && !spec.is_moe())
        return bad("TP " + std::to_string(p.tp) + " must divide FFN " + std::to_string(spec.ffn));
    return Status::ok();
}

// Tensors in file order (stable), mapping order kept inside a file; pieces follow.
void sort_by_file(Layout& layout) {
    std::vector<uint32_t> order(layout.tensors.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return layout.tensors[a].file < layout.tensors[b].file; });
    std::vector<uint32_t> where(order.size());
    std::vector<LayoutTensor> sorted;
    sorted.reserve(order.size());
    for (uint32_t i = 0; i < order.size(); ++i) {
        where[order[i]] = i;
        sorted.push_back(std::move(layout.tensors[order[i]]));
    }
    layout.tensors = std::move(sorted);
    for (auto& piece : layout.pieces) piece.tensor = where[piece.tensor];
    std::stable_sort(layout.pieces.begin(), layout.pieces.end(),
                     [](const Piece& a, const Piece& b) { return a.tensor < b.tensor; });
}

void add_rank_files(Layout& layout) {
    const ParallelPlan& p = layout.options.plan;
    for (int s = 0; s < p.pp; ++s)
        for (int t = 0; t < p.tp; ++t)
            for (int e = 0; e < p.ep; ++e) {
                const RankCoord r{t, s, e};
                layout.files.push_back({megatron_rank_dir(r, p) + "/model_optim_rng.pt", r});
            }
}

// Megatron's interleaved pipeline (legacy format): the layers split evenly into PP·VPP chunks,
// chunk c on stage c % PP as its model chunk v = c / PP, saved under "model<v>" in that stage's
// rank file with layers numbered from 0 inside the chunk (megatron/training/checkpointing.py
// generate_state_dict; the embedding sits in stage 0's model0, the final norm and output layer in
// the last stage's last chunk). `virtual_stages` is the layout built with PP·VPP stages and
// VPP 1; its stage c becomes (stage c % PP, "model<c / PP>." before every name).
Layout fold_virtual_stages(Layout virtual_stages, const LayoutOptions& options) {
    Layout layout = std::move(virtual_stages);
    const ParallelPlan& p = options.plan;
    layout.options = options;
    std::vector<LayoutFile> virtual_files = std::move(layout.files);
    layout.files.clear();
    add_rank_files(layout);
    auto file_of = [&](const RankCoord& r) { return static_cast<uint32_t>((r.pp * p.tp + r.tp) * p.ep + r.ep); };
    for (LayoutTensor& t : layout.tensors) {
        const int chunk = virtual_files[t.file].rank.pp;
        t.rank.pp = chunk % p.pp;
        t.name = "model" + std::to_string(chunk / p.pp) + "." + t.name;
        t.file = file_of(t.rank);
    }
    sort_by_file(layout);
    return layout;
}

}  // namespace

Result<Layout> build_layout(const ModelSpec& spec, const std::vector<TensorEntry>& canonical,
                            const MappingRegistry& registry, const LayoutOptions& options) {
    STRATA_RETURN_IF_ERROR(check_plan(spec, options));
    if (options.kind == LayoutKind::Megatron && options.plan.vpp > 1) {
        LayoutOptions virtual_stages = options;
        virtual_stages.plan.pp = options.plan.pp * options.plan.vpp;
        virtual_stages.plan.vpp = 1;
        STRATA_TRY(Layout built, build_layout(spec, canonical, registry, virtual_stages));
        return fold_virtual_stages(std::move(built), options);
    }
    Layout layout;
    layout.options = options;
    layout.spec = spec;
    layout.canonical = canonical;
    const ParallelPlan& p = options.plan;
    if (options.kind == LayoutKind::Megatron) {
        STRATA_TRY(layout.padded_vocab, megatron_padded_vocab(spec.vocab, p, options.vocab_padding));
        if (options.padded_vocab) {
            if (options.padded_vocab < spec.vocab || options.padded_vocab % static_cast<uint64_t>(p.tp) != 0)
                return Status::invalid_argument("padded vocab " + std::to_string(options.padded_vocab) +
                                                " must be >= the vocab " + std::to_string(spec.vocab) +
                                                " and divisible by TP");
            layout.padded_vocab = options.padded_vocab;
        }
        STRATA_TRY(layout.stage_layers, megatron_stage_layers(static_cast<int>(spec.layers), p));
        add_rank_files(layout);
    } else {
        layout.stage_layers = {0, static_cast<int>(spec.layers)};
        layout.files.push_back({"", {}});
    }

    // Group canonical tensors by (rule, global layout name), in order of first appearance.
    std::vector<Pending> groups;
    std::map<std::pair<size_t, std::string>, size_t> index;
    for (uint32_t c = 0; c < canonical.size(); ++c) {
        const auto& name = canonical[c].name;
        auto m = options.kind == LayoutKind::Hf ? std::nullopt : registry.match_canonical(options, name);
        Pending pending;
        std::string layout_name = name;
        if (m) {
            pending.rule = m->rule;
            layout_name = registry.rules()[m->rule].layout.fill(m->captures);
            pending.group.placement = registry.rules()[m->rule].placement;
        } else if (options.kind == LayoutKind::Megatron) {
            return Status::not_found("no " + registry.model_type() + " mapping rule for '" + name + "' in the " +
                                     std::string(layout_kind_name(options.kind)) + " layout")
                .in_tensor(name);
        }
        const auto key = std::make_pair(pending.rule, layout_name);
        auto it = index.find(key);
        if (it == index.end()) {
            pending.group.layout_name = layout_name;
            it = index.emplace(key, groups.size()).first;
            groups.push_back(std::move(pending));
        }
        groups[it->second].group.members.push_back({m ? m->role : "", c, m ? m->captures : std::vector<std::string>{}});
    }

    if (options.kind == LayoutKind::Megatron && spec.tied_embeddings && p.pp > 1)
        STRATA_RETURN_IF_ERROR(add_tied_output_copy(registry, options, groups));

    MappingContext ctx(layout);
    static const MappingPtr kIdentity = direct();
    for (const auto& g : groups) {
        const ParamMapping& kind = g.rule == SIZE_MAX ? *kIdentity : *registry.rules()[g.rule].kind;
        auto st = kind.expand(g.group, ctx);
        if (!st) return st.in_tensor(canonical[g.group.members.front().canonical].name);
    }

    sort_by_file(layout);
    return layout;
}

}  // namespace strata
