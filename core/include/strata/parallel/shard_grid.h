// ShardGrid: a ShardLayout folded into ranks × layers, for drawing which rank file holds
// how much of each decoder layer (the Studio's Parallel tab; `strata plan` could print it).
// Columns are "embed" (tensors before the first layer: embeddings), one per decoder layer, and
// "head" (final norm, lm_head, MTP). A cell holds the stored tensors of that rank whose
// canonical tensors belong to that column, so each row sums to the rank's bytes exactly.
// Usage: ShardGrid g = shard_grid(layout); g.cells[rank][column].bytes;
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/parallel/shard_layout.h"

namespace strata {

// The decoder layer of a canonical HF name: "model.layers.12.mlp.gate.weight" -> 12,
// "model.language_model.layers.3.x" -> 3; -1 for embeddings, norms, lm_head and "mtp.*".
int canonical_layer(std::string_view name);

struct ShardGridCell {
    uint64_t bytes = 0;             // stored bytes (padding included), as ShardLayout counts them
    std::vector<uint32_t> tensors;  // stored tensors (indices into layout.tensors), file order
    std::vector<uint32_t> slices;   // indices into RankShard::slices whose tensor is here
};

struct ShardGrid {
    std::vector<std::string> columns;               // "embed", "0", "1", ..., "head"
    std::vector<int> column_layer;                  // decoder layer of each column, -1 for embed / head
    std::vector<std::vector<ShardGridCell>> cells;  // [rank (ShardLayout::ranks order)][column]
    uint64_t max_cell_bytes = 0;
};

ShardGrid shard_grid(const ShardLayout& layout);

}  // namespace strata
