// Canonical-view diff: tensors compared one at a time per worker (bounded memory).
#include "strata/diff/diff.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "strata/element_codec.h"
#include "strata/kernels/scalar_types.h"

namespace strata {
namespace {

bool float_like(DType d) { return d == DType::F32 || d == DType::F64 || d == DType::BF16 || d == DType::F16; }


void compare_values(const std::vector<std::byte>& a, const std::vector<std::byte>& b, TensorDiff& d, double tol) {
    if (d.dtype_a == d.dtype_b && a == b) return;
    if (!float_like(d.dtype_a) || !float_like(d.dtype_b)) {
        // Integers and packed types: element-wise byte comparison.
        const uint64_t es = dtype_size(d.dtype_a);
        if (es == 0 || d.dtype_a != d.dtype_b) {
            d.differing = d.numel;
            return;
        }
        for (uint64_t i = 0; i < d.numel; ++i)
            if (std::memcmp(a.data() + i * es, b.data() + i * es, es) != 0) ++d.differing;
        return;
    }
    const uint64_t ea = dtype_size(d.dtype_a), eb = dtype_size(d.dtype_b);
    for (uint64_t i = 0; i < d.numel; ++i) {
        const double x = load_element(a.data() + i * ea, d.dtype_a), y = load_element(b.data() + i * eb, d.dtype_b);
        if (std::isnan(x) || std::isnan(y)) {
            if (std::isnan(x) != std::isnan(y)) ++d.differing;
            continue;
        }
        const double diff = std::fabs(x - y);
        if (diff > tol) ++d.differing;
        d.max_abs = std::max(d.max_abs, diff);
        const double scale = std::max(std::fabs(x), std::fabs(y));
        if (scale > 0) d.max_rel = std::max(d.max_rel, diff / scale);
    }
}

}  // namespace

const char* diff_kind_name(DiffKind kind) {
    switch (kind) {
        case DiffKind::Equal:
            return "equal";
        case DiffKind::Missing:
            return "missing";
        case DiffKind::Extra:
            return "extra";
        case DiffKind::Shape:
            return "shape";
        case DiffKind::DType:
            return "dtype";
        case DiffKind::Value:
            return "value";
    }
    return "?";
}

size_t DiffReport::count(DiffKind kind) const {
    return static_cast<size_t>(std::count_if(tensors.begin(), tensors.end(), [&](auto& t) { return t.kind == kind; }));
}

bool DiffReport::equal() const { return count(DiffKind::Equal) == tensors.size(); }

namespace {

// A canonical view as a diff source.
struct ViewSource {
    const CanonicalView& view;
    const std::vector<TensorEntry>& tensors() const { return view.tensors(); }
    const TensorEntry* find(std::string_view name) const { return view.find(name); }
    Status read(std::string_view name, std::span<std::byte> out) const { return view.read_canonical(name, out); }
};

// A checkpoint's stored tensors, by stored name, as a diff source.
struct StoredSource {
    const Checkpoint& ckpt;
    std::vector<TensorEntry> entries;
    std::unordered_map<std::string, size_t> index;
    explicit StoredSource(const Checkpoint& c) : ckpt(c) {
        for (const auto& t : c.tensors) {
            index.emplace(t.name, entries.size());
            entries.push_back({t.name, t.dtype, t.shape});
        }
    }
    const std::vector<TensorEntry>& tensors() const { return entries; }
    const TensorEntry* find(std::string_view name) const {
        auto it = index.find(std::string(name));
        return it == index.end() ? nullptr : &entries[it->second];
    }
    Status read(std::string_view name, std::span<std::byte> out) const { return ckpt.read(*ckpt.find(name), out); }
};

// The diff engine over two tensor sources: anything with tensors(), find(name) and
// read(name, out) (a canonical view, or a checkpoint's stored tensors).
template <class Source>
Result<DiffReport> diff_sources(const Source& a, const Source& b, DiffReport report, const DiffOptions& options,
                                const std::unordered_set<std::string>& settled, ProgressSink& progress,
                                const CancelToken& cancel) {
    report.tolerance = options.tolerance;
    std::vector<std::pair<size_t, const TensorEntry*>> jobs;  // report index, B entry
    uint64_t total = 0;
    for (const auto& ea : a.tensors()) {
        TensorDiff d;
        d.name = ea.name;
        d.dtype_a = ea.dtype;
        d.shape_a = ea.shape;
        const TensorEntry* eb = b.find(ea.name);
        if (!eb) {
            d.kind = DiffKind::Missing;
        } else {
            d.dtype_b = eb->dtype;
            d.shape_b = eb->shape;
            ++report.compared;
            if (eb->shape != ea.shape) {
                d.kind = DiffKind::Shape;
            } else if (eb->dtype == ea.dtype && settled.count(ea.name)) {
                d.numel = *numel(ea.shape);
                ++report.settled_by_manifests;
            } else {
                d.numel = *numel(ea.shape);
                jobs.emplace_back(report.tensors.size(), eb);
                total += ea.byte_size() + eb->byte_size();
            }
        }
        report.tensors.push_back(std::move(d));
    }
    for (const auto& eb : b.tensors()) {
        if (a.find(eb.name)) continue;
        TensorDiff d;
        d.name = eb.name;
        d.kind = DiffKind::Extra;
        d.dtype_b = eb.dtype;
        d.shape_b = eb.shape;
        report.tensors.push_back(std::move(d));
    }
    progress.begin("diff", total);
    std::atomic<size_t> next{0};
    std::mutex mutex;
    Status error;
    auto worker = [&] {
        std::vector<std::byte> ba, bb;
        for (size_t j; (j = next.fetch_add(1)) < jobs.size();) {
            {
                std::lock_guard lock(mutex);
                if (!error.is_ok()) return;
            }
            if (cancel.is_cancelled()) {
                std::lock_guard lock(mutex);
                error = Status::cancelled();
                return;
            }
            TensorDiff& d = report.tensors[jobs[j].first];
            const TensorEntry* eb = jobs[j].second;
            ba.resize(a.find(d.name)->byte_size());
            bb.resize(eb->byte_size());
            Status st = a.read(d.name, ba);
            if (st) st = b.read(d.name, bb);
            if (!st) {
                std::lock_guard lock(mutex);
                if (error.is_ok()) error = st;
                return;
            }
            compare_values(ba, bb, d, options.tolerance);
            d.kind = d.differing ? DiffKind::Value : d.dtype_a != d.dtype_b ? DiffKind::DType : DiffKind::Equal;
            progress.advance(ba.size() + bb.size());
        }
    };
    const int threads = options.threads > 0
                            ? options.threads
                            : static_cast<int>(std::min(8u, std::max(1u, std::thread::hardware_concurrency())));
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (!error.is_ok()) return error;
    return report;
}

}  // namespace

namespace {

bool same_layout(const Layout& a, const Layout& b) {
    if (a.tensors.size() != b.tensors.size() || a.pieces.size() != b.pieces.size() ||
        a.canonical.size() != b.canonical.size() || a.padded_vocab != b.padded_vocab)
        return false;
    for (size_t i = 0; i < a.canonical.size(); ++i)
        if (a.canonical[i].name != b.canonical[i].name || a.canonical[i].shape != b.canonical[i].shape) return false;
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        const LayoutTensor &x = a.tensors[i], &y = b.tensors[i];
        if (x.name != y.name || !(x.rank == y.rank) || x.shape != y.shape || x.dtype != y.dtype) return false;
    }
    for (size_t i = 0; i < a.pieces.size(); ++i) {
        const Piece &x = a.pieces[i], &y = b.pieces[i];
        if (x.canonical != y.canonical || !(x.box == y.box) || x.tensor != y.tensor || x.offset != y.offset ||
            x.strides != y.strides || x.add != y.add)
            return false;
    }
    return true;
}

// Canonical tensors every stored piece of which both manifests hash alike, the two views
// being the same layout (so the same stored bytes make the same canonical values).
std::unordered_set<std::string> settled_views(const CanonicalView& a, const CanonicalView& b) {
    const auto ha = fresh_manifest_hashes(a.checkpoint()), hb = fresh_manifest_hashes(b.checkpoint());
    if (!ha || !hb || !same_layout(a.layout(), b.layout())) return {};
    auto hash_of = [](const CanonicalView& v, const ManifestHashes& h, uint32_t layout_tensor) -> std::optional<uint64_t> {
        const TensorInfo& info = v.checkpoint().tensors[v.binding()[layout_tensor]];
        auto it = h.find(manifest_key(v.checkpoint(), info));
        if (it == h.end()) return std::nullopt;
        return it->second;
    };
    std::unordered_set<std::string> out;
    const auto pieces = a.layout().pieces_by_canonical();
    for (size_t c = 0; c < pieces.size(); ++c) {
        bool equal = !pieces[c].empty();
        for (uint32_t p : pieces[c]) {
            const uint32_t t = a.layout().pieces[p].tensor;
            const auto x = hash_of(a, *ha, t), y = hash_of(b, *hb, t);
            if (!x || !y || *x != *y) {
                equal = false;
                break;
            }
        }
        if (equal) out.insert(a.layout().canonical[c].name);
    }
    return out;
}

std::unordered_set<std::string> settled_stored(const Checkpoint& a, const Checkpoint& b) {
    const auto ha = fresh_manifest_hashes(a), hb = fresh_manifest_hashes(b);
    std::unordered_set<std::string> out;
    if (!ha || !hb) return out;
    for (const auto& t : a.tensors) {
        const TensorInfo* u = b.find(t.name);
        if (!u) continue;
        auto x = ha->find(manifest_key(a, t)), y = hb->find(manifest_key(b, *u));
        if (x != ha->end() && y != hb->end() && x->second == y->second) out.insert(t.name);
    }
    return out;
}

}  // namespace

Result<DiffReport> diff_views(const CanonicalView& a, const CanonicalView& b, const DiffOptions& options,
                              ProgressSink& progress, const CancelToken& cancel) {
    DiffReport report;
    report.layout_a = layout_kind_name(a.layout().options.kind);
    report.layout_b = layout_kind_name(b.layout().options.kind);
    const auto settled = options.use_manifests ? settled_views(a, b) : std::unordered_set<std::string>{};
    return diff_sources(ViewSource{a}, ViewSource{b}, std::move(report), options, settled, progress, cancel);
}

Result<DiffReport> diff_checkpoints(const Checkpoint& a, const Checkpoint& b, const DiffOptions& options,
                                    ProgressSink& progress, const CancelToken& cancel) {
    for (const Checkpoint* c : {&a, &b})
        for (const auto& t : c->tensors)
            if (!(t.rank == RankCoord{}))
                return Status::invalid_argument(
                           "a stored-name diff compares unsharded checkpoints; this one stores tensors per rank "
                           "(compare it through its canonical view: diff without --stored-names)")
                    .in_tensor(t.name)
                    .in_file(c->path.string());
    DiffReport report;
    report.layout_a = "stored names (" + a.format + ")";
    report.layout_b = "stored names (" + b.format + ")";
    const auto settled = options.use_manifests ? settled_stored(a, b) : std::unordered_set<std::string>{};
    return diff_sources(StoredSource(a), StoredSource(b), std::move(report), options, settled, progress, cancel);
}

nlohmann::json diff_to_json(const DiffReport& r, bool all) {
    using nlohmann::json;
    json j{{"equal", r.equal()},     {"layout_a", r.layout_a},   {"layout_b", r.layout_b},  {"tolerance", r.tolerance},
           {"compared", r.compared}, {"counts", json::object()}, {"tensors", json::array()},
           {"settled_by_manifests", r.settled_by_manifests}};
    for (auto k :
         {DiffKind::Equal, DiffKind::Missing, DiffKind::Extra, DiffKind::Shape, DiffKind::DType, DiffKind::Value})
        j["counts"][diff_kind_name(k)] = r.count(k);
    for (const auto& t : r.tensors) {
        if (t.kind == DiffKind::Equal && !all) continue;
        json jt{{"name", t.name}, {"kind", diff_kind_name(t.kind)}};
        if (t.kind != DiffKind::Extra) {
            jt["dtype_a"] = std::string(dtype_name(t.dtype_a));
            jt["shape_a"] = t.shape_a;
        }
        if (t.kind != DiffKind::Missing) {
            jt["dtype_b"] = std::string(dtype_name(t.dtype_b));
            jt["shape_b"] = t.shape_b;
        }
        if (t.kind == DiffKind::Value || t.kind == DiffKind::DType || t.kind == DiffKind::Equal) {
            jt["numel"] = t.numel;
            jt["differing"] = t.differing;
            jt["max_abs"] = t.max_abs;
            jt["max_rel"] = t.max_rel;
        }
        j["tensors"].push_back(std::move(jt));
    }
    return j;
}

std::string diff_to_text(const DiffReport& r) {
    std::ostringstream os;
    for (const auto& t : r.tensors) {
        switch (t.kind) {
            case DiffKind::Equal:
                continue;
            case DiffKind::Missing:
                os << "missing  " << t.name << " (only in A)\n";
                break;
            case DiffKind::Extra:
                os << "extra    " << t.name << " (only in B)\n";
                break;
            case DiffKind::Shape:
                os << "shape    " << t.name << " " << shape_to_string(t.shape_a) << " vs " << shape_to_string(t.shape_b)
                   << "\n";
                break;
            case DiffKind::DType:
                os << "dtype    " << t.name << " " << dtype_name(t.dtype_a) << " vs " << dtype_name(t.dtype_b)
                   << " (values equal)\n";
                break;
            case DiffKind::Value:
                os << "value    " << t.name << ": " << t.differing << " of " << t.numel << " elements differ, max abs "
                   << t.max_abs << ", max rel " << t.max_rel << "\n";
                break;
        }
    }
    os << r.compared << " tensors compared (" << r.layout_a << " vs " << r.layout_b << "): " << r.count(DiffKind::Equal)
       << " equal, " << r.count(DiffKind::Value) << " value, " << r.count(DiffKind::DType) << " dtype, "
       << r.count(DiffKind::Shape) << " shape, " << r.count(DiffKind::Missing) << " missing, "
       << r.count(DiffKind::Extra) << " extra\n";
    if (r.settled_by_manifests)
        os << r.settled_by_manifests << " of them equal by both Strata manifests' xxh3-64 hashes, not read "
           << "(--no-manifests reads them)\n";
    return os.str();
}

}  // namespace strata
