// ChangeGrid: stored tensors of two same-layout checkpoints compared, summed per grid cell.
#include "strata/parallel/change_grid.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "strata/convert/conversion_plan.h"  // describe_layout
#include "strata/element_codec.h"
#include "strata/parallel/reshard_transfer.h"  // rank_file_label
#include "strata/parallel/shard_grid.h"

namespace strata {
namespace {

// The dtypes load_element decodes exactly; others are compared byte for byte.
bool float_like(DType d) { return d == DType::F32 || d == DType::F64 || d == DType::BF16 || d == DType::F16; }

Status same_layout(const Layout& a, const Layout& b) {
    auto differ = [&](const std::string& why) {
        return Status::invalid_argument("the two checkpoints are not stored alike (" + describe_layout(a.options) +
                                        " vs " + describe_layout(b.options) + "): " + why +
                                        "; a rank-file change grid needs one layout");
    };
    const ParallelPlan &pa = a.options.plan, &pb = b.options.plan;
    if (a.options.kind != b.options.kind || pa.tp != pb.tp || pa.pp != pb.pp || pa.ep != pb.ep ||
        pa.expert_tp() != pb.expert_tp())
        return differ("other layout or plan");
    if (a.tensors.size() != b.tensors.size())
        return differ(std::to_string(a.tensors.size()) + " vs " + std::to_string(b.tensors.size()) + " stored tensors");
    for (size_t t = 0; t < a.tensors.size(); ++t) {
        const LayoutTensor &x = a.tensors[t], &y = b.tensors[t];
        if (x.name != y.name || x.file != y.file || x.shape != y.shape)
            return differ("tensor '" + x.name + "' " + shape_to_string(x.shape) + " of " + a.files[x.file].path +
                          " vs '" + y.name + "' " + shape_to_string(y.shape) + " of " + b.files[y.file].path);
    }
    return Status::ok();
}

void compare(const std::vector<std::byte>& a, DType da, const std::vector<std::byte>& b, DType db, uint64_t n,
             ChangeCell& cell) {
    cell.elements += n;
    const uint64_t ea = dtype_size(da), eb = dtype_size(db);
    if (!float_like(da) || !float_like(db) || ea == 0 || eb == 0) {
        if (da != db || ea == 0) {  // packed or mixed non-float: compared as a whole
            if (a != b) cell.changed += n;
            return;
        }
        for (uint64_t i = 0; i < n; ++i)
            if (std::memcmp(a.data() + i * ea, b.data() + i * eb, ea) != 0) ++cell.changed;
        return;
    }
    for (uint64_t i = 0; i < n; ++i) {
        const double x = load_element(a.data() + i * ea, da), y = load_element(b.data() + i * eb, db);
        if (std::isnan(x) || std::isnan(y)) {
            if (std::isnan(x) != std::isnan(y)) ++cell.changed;
            continue;
        }
        if (x != y) ++cell.changed;
        cell.diff_squared += (x - y) * (x - y);
        cell.a_squared += x * x;
    }
}

}  // namespace

double ChangeCell::relative_l2() const {
    if (a_squared > 0) return std::sqrt(diff_squared / a_squared);
    return changed ? 1.0 : 0.0;
}

Result<ChangeGrid> change_grid(const CanonicalView& a, const CanonicalView& b, ProgressSink& progress,
                               const CancelToken& cancel) {
    STRATA_RETURN_IF_ERROR(same_layout(a.layout(), b.layout()));
    const ShardLayout shards = shard_layout_of(a.layout());
    const ShardGrid grid = shard_grid(shards);
    ChangeGrid out;
    for (const auto& f : a.layout().files) out.rows.push_back(rank_file_label(f));
    out.columns = grid.columns;
    out.cells.assign(out.rows.size(), std::vector<ChangeCell>(out.columns.size()));
    out.tensors = a.layout().tensors.size();
    progress.begin("compare rank files", out.tensors);
    for (size_t r = 0; r < grid.cells.size(); ++r)
        for (size_t c = 0; c < grid.cells[r].size(); ++c)
            for (uint32_t t : grid.cells[r][c].tensors) {
                if (cancel.is_cancelled()) return Status::cancelled();
                const TensorInfo& ia = a.checkpoint().tensors[a.binding()[t]];
                const TensorInfo& ib = b.checkpoint().tensors[b.binding()[t]];
                STRATA_TRY(auto bytes_a, a.checkpoint().read(ia));
                STRATA_TRY(auto bytes_b, b.checkpoint().read(ib));
                ChangeCell& cell = out.cells[r][c];
                const uint64_t before = cell.changed;
                uint64_t n = 1;
                for (auto d : a.layout().tensors[t].shape) n *= d;
                compare(bytes_a, ia.dtype, bytes_b, ib.dtype, n, cell);
                if (cell.changed != before) ++out.changed_tensors;
                progress.advance(1);
            }
    for (const auto& row : out.cells)
        for (const auto& cell : row) out.max_relative_l2 = std::max(out.max_relative_l2, cell.relative_l2());
    return out;
}

std::string change_grid_text(const ChangeGrid& g) {
    std::ostringstream os;
    char buf[64];
    size_t label_width = 10;
    for (const auto& r : g.rows) label_width = std::max(label_width, r.size());
    os << "relative L2 change ||A-B||/||A|| per rank file (rows) and layer (columns); '-' = unchanged\n";
    os << std::string(label_width, ' ');
    for (const auto& c : g.columns) {
        std::snprintf(buf, sizeof buf, "%9s", c.c_str());
        os << buf;
    }
    os << "\n";
    for (size_t r = 0; r < g.rows.size(); ++r) {
        os << g.rows[r] << std::string(label_width - g.rows[r].size(), ' ');
        for (const auto& cell : g.cells[r]) {
            if (cell.changed == 0)
                std::snprintf(buf, sizeof buf, "%9s", "-");
            else
                std::snprintf(buf, sizeof buf, "%9.2e", cell.relative_l2());
            os << buf;
        }
        os << "\n";
    }
    std::snprintf(buf, sizeof buf, "%.3e", g.max_relative_l2);
    os << "\n"
       << g.changed_tensors << " of " << g.tensors << " stored tensors changed; largest cell change " << buf << "\n";
    return os.str();
}

nlohmann::json change_grid_json(const ChangeGrid& g) {
    using nlohmann::json;
    json cells = json::array();
    for (const auto& row : g.cells) {
        json r = json::array();
        for (const auto& c : row)
            r.push_back({{"elements", c.elements},
                         {"changed", c.changed},
                         {"relative_l2", c.relative_l2()},
                         {"changed_fraction", c.changed_fraction()}});
        cells.push_back(std::move(r));
    }
    return {{"rows", g.rows},
            {"columns", g.columns},
            {"cells", cells},
            {"max_relative_l2", g.max_relative_l2},
            {"changed_tensors", g.changed_tensors},
            {"tensors", g.tensors}};
}

}  // namespace strata
