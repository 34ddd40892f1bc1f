// Checkpoint diff through canonical views: A and B may be in different layouts
// (a TP4 Megatron checkpoint against its HF source); each canonical tensor is
// read from both and compared: missing (only in A), extra (only in B), shape,
// dtype, and values (max |a-b|, max |a-b|/max(|a|,|b|), count of elements with
// |a-b| > tolerance). Values of different float dtypes are compared as doubles.
// Usage: STRATA_TRY(auto report, diff_views(view_a, view_b, {.tolerance = 0}, progress, cancel));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/diff/manifest_hashes.h"
#include "strata/mapping/canonical_view.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata {

enum class DiffKind { Equal, Missing, Extra, Shape, DType, Value };
const char* diff_kind_name(DiffKind kind);  // "equal", "missing", "extra", "shape", "dtype", "value"

struct TensorDiff {
    std::string name;
    DiffKind kind = DiffKind::Equal;
    DType dtype_a = DType::F32, dtype_b = DType::F32;
    Shape shape_a, shape_b;
    uint64_t numel = 0;
    uint64_t differing = 0;  // elements with |a-b| > tolerance (NaN vs number counts)
    double max_abs = 0.0;
    double max_rel = 0.0;
};

struct DiffOptions {
    double tolerance = 0.0;  // absolute; 0 = any difference counts
    int threads = 0;         // 0 = cores, at most 8
    // Tensors whose stored bytes both sides' fresh Strata manifests hash alike, in the same
    // layout, are equal without being read (manifest_hashes.h).
    bool use_manifests = true;
};

struct DiffReport {
    std::string layout_a, layout_b;
    double tolerance = 0.0;
    size_t compared = 0;              // tensors present in both
    size_t settled_by_manifests = 0;  // of those, equal by the manifests' hashes, not read
    std::vector<TensorDiff> tensors;  // every tensor of A then the extras of B, in canonical order
    size_t count(DiffKind kind) const;
    bool equal() const;  // no tensor differs
};

Result<DiffReport> diff_views(const CanonicalView& a, const CanonicalView& b, const DiffOptions& options,
                              ProgressSink& progress, const CancelToken& cancel);

// Stored-name diff, for checkpoints no canonical view reads (no config beside them, or a
// layout without mapping rules yet, such as torch_dist's stacked keys): tensors are matched
// by their stored names. Both must be unsharded (no per-rank tensors).
Result<DiffReport> diff_checkpoints(const Checkpoint& a, const Checkpoint& b, const DiffOptions& options,
                                    ProgressSink& progress, const CancelToken& cancel);

// The differing tensors and the counts; `all` lists equal tensors too.
nlohmann::json diff_to_json(const DiffReport& report, bool all = false);
std::string diff_to_text(const DiffReport& report);

}  // namespace strata
