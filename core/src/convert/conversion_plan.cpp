// Plan composition: target pieces x source pieces of the same canonical tensor ->
// direct source-box -> output-box copies.
#include "strata/convert/conversion_plan.h"

#include <map>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace strata {
namespace {

nlohmann::json rank_json(const RankCoord& r) { return {{"tp", r.tp}, {"pp", r.pp}, {"ep", r.ep}}; }

std::string rank_text(const RankCoord& r) {
    return "tp" + std::to_string(r.tp) + " pp" + std::to_string(r.pp) + " ep" + std::to_string(r.ep);
}

template <typename T>
std::string list_text(const std::vector<T>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

}  // namespace

uint64_t PlannedTensor::byte_size() const {
    uint64_t n = 1;
    for (auto d : shape) n *= d;
    auto b = bytes_for(dtype, n);
    return b ? *b : 0;
}

uint64_t ConversionPlan::total_bytes() const {
    uint64_t n = 0;
    for (const auto& t : tensors) n += t.byte_size();
    return n;
}

uint64_t ConversionPlan::largest_tensor_bytes() const {
    uint64_t n = 0;
    for (const auto& t : tensors) n = std::max(n, t.byte_size());
    return n;
}

std::string describe_layout(const LayoutOptions& o) {
    std::string s = layout_kind_name(o.kind);
    if (o.kind != LayoutKind::Megatron) return s;
    const auto& p = o.plan;
    s += " tp" + std::to_string(p.tp) + " pp" + std::to_string(p.pp) + (p.vpp > 1 ? " vpp" + std::to_string(p.vpp) : "") +
         " ep" + std::to_string(p.ep) + " etp" +
         std::to_string(p.expert_tp()) + " (" + expert_layout_name(o.experts) + " experts, " +
         norm_layout_name(o.norms) + " norms)";
    return s;
}

Result<ConversionPlan> plan_conversion(const CanonicalView& source, const Layout& target, const PlanOptions& options) {
    const Layout& sl = source.layout();
    ConversionPlan plan;
    plan.source_path = source.checkpoint().path.string();
    plan.source_layout = describe_layout(sl.options);
    if (source.checkpoint().metadata.value("torch_dist_view", false))  // global tensors: no sharding to show
        plan.source_layout = "torch_dist (global tensors, as " + plan.source_layout + ")";
    plan.target_layout = describe_layout(target.options);
    plan.target = target.options;
    for (const auto& c : target.canonical) plan.canonical.push_back(c.name);
    if (target.canonical.size() != sl.canonical.size())
        return Status::internal("source and target layouts describe different models");

    std::map<uint32_t, uint32_t> source_index;  // checkpoint tensor -> plan source
    auto source_of = [&](uint32_t layout_tensor) {
        const uint32_t ck = source.binding()[layout_tensor];
        auto [it, fresh] = source_index.emplace(ck, static_cast<uint32_t>(plan.sources.size()));
        if (fresh) {
            const TensorInfo& info = source.checkpoint().tensors[ck];
            plan.sources.push_back({ck, info.name, info.rank, info.dtype});
        }
        return it->second;
    };

    for (const auto& f : target.files) plan.files.push_back({f.path, f.rank, {}});
    plan.tensors.reserve(target.tensors.size());
    for (const auto& t : target.tensors) {
        PlannedTensor pt{t.name, t.rank, t.file, t.dtype, t.shape, {}, false};
        if (options.dtype && dtype_is_float(t.dtype)) pt.dtype = *options.dtype;
        plan.files[t.file].tensors.push_back(static_cast<uint32_t>(plan.tensors.size()));
        plan.tensors.push_back(std::move(pt));
    }
    std::vector<uint64_t> covered(plan.tensors.size(), 0);
    // Source canonical index by name (a linear find per piece is quadratic at 10^5 tensors).
    std::unordered_map<std::string_view, uint32_t> canonical_index;
    canonical_index.reserve(sl.canonical.size());
    for (uint32_t i = 0; i < sl.canonical.size(); ++i) canonical_index.emplace(sl.canonical[i].name, i);
    for (const Piece& tp : target.pieces) {
        const auto& entry = target.canonical[tp.canonical];
        const auto found = canonical_index.find(entry.name);
        if (found == canonical_index.end() || sl.canonical[found->second].shape != entry.shape)
            return Status::internal("source has no matching canonical tensor").in_tensor(entry.name);
        const uint32_t sc = found->second;
        uint64_t got = 0;
        for (uint32_t sp_index : source.primary_pieces()[sc]) {
            const Piece& sp = sl.pieces[sp_index];
            auto inter = intersect(sp.box, tp.box);
            if (!inter) continue;
            CopyOp op;
            op.source = source_of(sp.tensor);
            op.src_offset = sp.offset;
            op.dst_offset = tp.offset;
            for (size_t d = 0; d < inter->start.size(); ++d) {
                op.src_offset += (inter->start[d] - sp.box.start[d]) * static_cast<uint64_t>(sp.strides[d]);
                op.dst_offset += (inter->start[d] - tp.box.start[d]) * static_cast<uint64_t>(tp.strides[d]);
            }
            op.src_strides = sp.strides;
            op.dst_strides = tp.strides;
            op.extent = inter->extent;
            op.add = tp.add - sp.add;
            op.canonical = tp.canonical;
            op.box = *inter;
            got += inter->numel();
            plan.tensors[tp.tensor].ops.push_back(std::move(op));
        }
        if (got != tp.box.numel())
            return Status::not_found("the source covers " + std::to_string(got) + " of the " +
                                     std::to_string(tp.box.numel()) + " elements of box " + box_to_string(tp.box) +
                                     " the target needs")
                .in_tensor(entry.name);
        covered[tp.tensor] += got;
    }
    for (size_t i = 0; i < plan.tensors.size(); ++i) {
        uint64_t n = 1;
        for (auto d : plan.tensors[i].shape) n *= d;
        plan.tensors[i].zero_fill = covered[i] < n;
    }
    return plan;
}

std::string plan_to_text(const ConversionPlan& plan, size_t max_tensors) {
    std::ostringstream os;
    size_t ops = 0;
    for (const auto& t : plan.tensors) ops += t.ops.size();
    os << "plan: " << plan.source_layout << " -> " << plan.target_layout << "\n";
    os << "  " << plan.files.size() << " files, " << plan.tensors.size() << " tensors, " << plan.total_bytes()
       << " bytes, " << ops << " copy ops, " << plan.sources.size() << " source tensors\n";
    size_t shown = 0;
    for (const auto& f : plan.files) {
        os << "file " << (f.path.empty() ? std::string("(safetensors folder)") : f.path) << "\n";
        for (uint32_t ti : f.tensors) {
            if (max_tensors && shown >= max_tensors) break;
            ++shown;
            const auto& t = plan.tensors[ti];
            os << "  " << t.name << " " << dtype_name(t.dtype) << " " << shape_to_string(t.shape)
               << (t.zero_fill ? " (zero padded)" : "") << "\n";
            for (const auto& op : t.ops) {
                const auto& s = plan.sources[op.source];
                os << "    <- " << plan.canonical[op.canonical] << box_to_string(op.box) << " from '" << s.name << "'";
                if (s.rank != RankCoord{}) os << " (" << rank_text(s.rank) << ")";
                os << " at " << op.src_offset << " step " << list_text(op.src_strides) << " -> at " << op.dst_offset
                   << " step " << list_text(op.dst_strides);
                if (op.add != 0.0f) os << " add " << op.add;
                os << "\n";
            }
        }
    }
    if (max_tensors && shown < plan.tensors.size())
        os << "... " << (plan.tensors.size() - shown) << " more tensors (use --json for all)\n";
    return os.str();
}

nlohmann::json plan_to_json(const ConversionPlan& plan) {
    using nlohmann::json;
    json j;
    j["source"] = plan.source_path;
    j["source_layout"] = plan.source_layout;
    j["target_layout"] = plan.target_layout;
    j["total_bytes"] = plan.total_bytes();
    j["tensor_count"] = plan.tensors.size();
    j["files"] = json::array();
    for (const auto& f : plan.files) {
        json jf{{"path", f.path}, {"rank", rank_json(f.rank)}, {"tensors", json::array()}};
        for (uint32_t ti : f.tensors) {
            const auto& t = plan.tensors[ti];
            json jt{{"name", t.name},
                    {"dtype", std::string(dtype_name(t.dtype))},
                    {"shape", t.shape},
                    {"zero_fill", t.zero_fill},
                    {"ops", json::array()}};
            for (const auto& op : t.ops) {
                const auto& s = plan.sources[op.source];
                jt["ops"].push_back({{"canonical", plan.canonical[op.canonical]},
                                     {"box", {{"start", op.box.start}, {"extent", op.box.extent}}},
                                     {"source", s.name},
                                     {"source_rank", rank_json(s.rank)},
                                     {"src_offset", op.src_offset},
                                     {"src_strides", op.src_strides},
                                     {"dst_offset", op.dst_offset},
                                     {"dst_strides", op.dst_strides},
                                     {"add", op.add}});
            }
            jf["tensors"].push_back(std::move(jt));
        }
        j["files"].push_back(std::move(jf));
    }
    return j;
}

}  // namespace strata
