// LayoutDiff: two layouts of one model side by side, what `strata diff --layout` prints and
// the Studio's Shard diff tab draws: each side's ranks × layers grid, the reshard transfer
// matrix between them (reshard_transfer.h), and, for two checkpoints stored alike, the
// rank-file × layer change grid (change_grid.h). A side is named by one string:
//   PATH                   a checkpoint's own layout
//   PRESET                 a synth preset's HF (unsharded) layout
//   MODEL@tp=2,pp=2,ep=4   a checkpoint's or preset's model under that Megatron plan
//   tp=1,pp=4,ep=2         the other side's model under that plan
// Usage: STRATA_TRY(auto d, diff_layouts("ckpt", "tp=1,pp=4,ep=2", progress, cancel));
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "strata/formats/checkpoint.h"
#include "strata/mapping/canonical_view.h"
#include "strata/parallel/change_grid.h"
#include "strata/parallel/reshard_transfer.h"
#include "strata/parallel/shard_layout.h"
#include "strata/progress.h"

namespace strata {

// "tp=1,pp=4,ep=2,etp=1" -> a plan; keys tp, pp, ep, etp; an unknown key or value is an error naming it.
Result<ParallelPlan> parse_plan_spec(std::string_view spec);

struct LayoutSide {
    std::string name;         // the string it was resolved from
    std::string description;  // "megatron tp2 pp2 ep4 etp2 (grouped experts, te norms)"
    ShardLayout shards;       // the layout and its per-rank-file sums
    // A checkpoint's own layout keeps the checkpoint open (the change grid reads it).
    std::shared_ptr<const Checkpoint> checkpoint;
    std::shared_ptr<const CanonicalView> view;
};

// Resolves one side; `other` is the side a bare plan takes its model from (null: none).
Result<LayoutSide> resolve_layout_side(const std::string& spec, const LayoutSide* other);

struct LayoutDiff {
    LayoutSide a, b;
    ReshardTransfer transfer;           // A's rank files -> B's
    std::optional<ChangeGrid> changes;  // both sides checkpoints stored alike
    std::string changes_note;           // why there is no change grid, when there is none
};

// Either side may be a bare plan (it takes the other side's model); both bare is an error.
Result<LayoutDiff> diff_layouts(const std::string& a, const std::string& b, ProgressSink& progress,
                                const CancelToken& cancel);

std::string layout_diff_text(const LayoutDiff& diff);
// {"a": side, "b": side, "transfer": ..., "changes": ... | null}; a side is {"name", "layout",
// "grid": {"rows", "columns", "bytes": [[...]]}}; `slices` adds the transfer cells' slices.
nlohmann::json layout_diff_json(const LayoutDiff& diff, bool slices = false);

}  // namespace strata
