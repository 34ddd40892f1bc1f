#include "strata/parallel/shard_grid.h"

#include <algorithm>
#include <cctype>

namespace strata {

int canonical_layer(std::string_view name) {
    if (name.starts_with("mtp.")) return -1;  // MTP blocks are not decoder layers
    const auto p = name.find("layers.");
    if (p == std::string_view::npos || (p > 0 && name[p - 1] != '.')) return -1;
    size_t i = p + 7;
    int v = -1;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])))
        v = (v < 0 ? 0 : v * 10) + (name[i++] - '0');
    return i < name.size() && name[i] == '.' ? v : -1;
}

ShardGrid shard_grid(const ShardLayout& sl) {
    const Layout& l = sl.layout;
    ShardGrid g;
    // Non-layer tensors before the first layer (in state-dict order) are "embed", after it "head".
    size_t first_layered = l.canonical.size();
    for (size_t i = 0; i < l.canonical.size(); ++i)
        if (canonical_layer(l.canonical[i].name) >= 0) {
            first_layered = i;
            break;
        }
    // One column per HF decoder layer, counted from the canonical names: spec.layers counts
    // Megatron layers for a hybrid (two per HF layer), which would leave half the columns empty.
    int layers = 0;
    for (const TensorEntry& e : l.canonical) layers = std::max(layers, canonical_layer(e.name) + 1);
    g.columns.push_back("embed");
    g.column_layer.push_back(-1);
    for (int i = 0; i < layers; ++i) {
        g.columns.push_back(std::to_string(i));
        g.column_layer.push_back(i);
    }
    g.columns.push_back("head");
    g.column_layer.push_back(-1);
    auto column_of = [&](uint32_t canonical) -> size_t {
        const int layer = canonical_layer(l.canonical[canonical].name);
        if (layer >= 0 && layer < layers) return size_t(layer) + 1;
        return canonical < first_layered ? 0 : g.columns.size() - 1;
    };
    g.cells.assign(sl.ranks.size(), std::vector<ShardGridCell>(g.columns.size()));
    // A stored tensor's pieces all come from one module of one layer, so its first piece
    // decides its column (pieces are grouped by tensor, in tensor order).
    std::vector<size_t> tensor_column(l.tensors.size(), 0);
    std::vector<bool> seen(l.tensors.size(), false);
    for (const Piece& p : l.pieces)
        if (!seen[p.tensor]) {
            seen[p.tensor] = true;
            tensor_column[p.tensor] = column_of(p.canonical);
        }
    for (uint32_t t = 0; t < l.tensors.size(); ++t) {
        const LayoutTensor& lt = l.tensors[t];
        uint64_t n = 1;
        for (auto d : lt.shape) n *= d;
        ShardGridCell& cell = g.cells[lt.file][tensor_column[t]];
        cell.bytes += n * std::max<uint64_t>(1, dtype_size(lt.dtype));
        cell.tensors.push_back(t);
    }
    for (size_t r = 0; r < sl.ranks.size(); ++r) {
        const auto& slices = sl.ranks[r].slices;
        for (uint32_t s = 0; s < slices.size(); ++s) g.cells[r][tensor_column[slices[s].tensor]].slices.push_back(s);
        for (const auto& cell : g.cells[r]) g.max_cell_bytes = std::max(g.max_cell_bytes, cell.bytes);
    }
    return g;
}

}  // namespace strata
