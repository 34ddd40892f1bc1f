// ReshardTransfer: the bytes a reshard from layout A to layout B moves, as a matrix of
// source rank file × target rank file, with the canonical slices behind every cell. It is
// the two layouts' pieces intersected per canonical tensor (what plan_conversion composes),
// summed instead of executed, so it needs no tensor data: two plans, a checkpoint and a
// plan, or two checkpoints. Every target element comes from exactly one source copy.
// Usage: STRATA_TRY(auto t, reshard_transfer(a.layout, b.layout)); t.cells[s][t].bytes;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/mapping/layout.h"
#include "strata/status.h"

namespace strata {

// One box a source stored tensor sends to a target stored tensor.
struct TransferSlice {
    uint32_t canonical = 0;      // index into the target layout's canonical tensors
    Box box;                     // in the canonical tensor's coordinates
    uint32_t source_tensor = 0;  // index into the source layout's tensors
    uint32_t target_tensor = 0;  // index into the target layout's tensors
};

struct TransferCell {
    uint64_t elements = 0;
    uint64_t bytes = 0;  // elements in the source dtype: what the source file sends
    std::vector<TransferSlice> slices;
};

struct ReshardTransfer {
    // cells[source file][target file], files in each layout's file order.
    std::vector<std::vector<TransferCell>> cells;
    std::vector<uint64_t> source_bytes;  // stored bytes of each source rank file (padding included)
    std::vector<uint64_t> target_bytes;  // stored bytes of each target rank file
    // Bytes of each source file that no target needs (replicas beyond the copies the target
    // keeps, vocab padding rows, canonical tensors the target lacks).
    std::vector<uint64_t> unsent;
    // Bytes of each target file no source fills (vocab padding rows, written as zeros).
    std::vector<uint64_t> zero_fill;

    uint64_t sent(size_t source) const;      // row sum
    uint64_t received(size_t target) const;  // column sum
    uint64_t total() const;                  // all cells
    uint64_t max_cell_bytes() const;
};

// For each canonical tensor (matched by name; shapes must agree), every box the target
// stores is filled from the source pieces that overlap it. Where either side holds copies
// (TP-replicated norms, dense weights on every EP rank), the target's k-th copy of a box
// reads the source's (k mod n)-th copy in file order, so copies spread over the source
// files and target EP rank k reads source EP rank k when both hold the tensor there.
// Fails naming the canonical tensor when the source lacks it or has another shape.
Result<ReshardTransfer> reshard_transfer(const Layout& source, const Layout& target);

// A rank file as a row or column label: "mp_rank_01_000_002" (the folder), or "hf" for an
// unsharded layout's single file.
std::string rank_file_label(const LayoutFile& file);

// The matrix with row and column totals, the unsent / zero-fill bytes, and the grand total.
std::string reshard_transfer_text(const ReshardTransfer& transfer, const Layout& source, const Layout& target);
// {"source_files", "target_files", "cells": [[bytes]], "sent", "received", "unsent", "zero_fill",
//  "total"}; with `slices`, also the nonzero cells' slices (canonical name, start, extent, stored names).
nlohmann::json reshard_transfer_json(const ReshardTransfer& transfer, const Layout& source, const Layout& target,
                                     bool slices = false);

}  // namespace strata
