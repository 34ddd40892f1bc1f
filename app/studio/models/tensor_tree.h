// TensorTree: the immutable snapshot behind the Studio's tensor tree. Built off
// the GUI thread from a Checkpoint and a filter: dotted names become a module tree
// ("model" > "layers.3" > "mlp" > "experts.7" > "up_proj" > "weight"; a numeric
// segment joins the one before it so each layer or expert is one collapsible group),
// with per-group totals. Plain C++ (no Qt) so it is cheap to build and test.
// Usage: auto tree = build_tensor_tree(ckpt, "*.experts.*", cancel);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/formats/checkpoint.h"
#include "strata/progress.h"
#include "strata/status.h"

namespace strata::studio {

struct TreeNode {
    std::string label;        // segment shown in the tree
    int32_t parent = -1;      // -1 for the root (node 0)
    std::vector<int32_t> children;
    int32_t tensor = -1;      // index into Checkpoint::tensors for a leaf
    uint64_t parameters = 0;  // totals over the subtree
    uint64_t bytes = 0;
    uint32_t tensor_count = 0;
    int32_t dtype = -1;       // DType of every tensor below, -2 when mixed
    int32_t file = -1;        // file index of every tensor below, -2 when mixed
};

struct TensorTree {
    std::vector<TreeNode> nodes;  // nodes[0] is the invisible root
    uint32_t matched = 0;         // tensors that passed the filter
};

// A filter with no glob characters matches as a case-insensitive substring;
// otherwise it is a glob over the full name (glob_match from checkpoint_summary.h).
bool tensor_filter_matches(const std::string& filter, const std::string& name);

// Children: groups first, then natural order ("layers.2" before "layers.10").
Result<std::shared_ptr<TensorTree>> build_tensor_tree(const Checkpoint& ckpt, const std::string& filter,
                                                      const CancelToken& cancel);

// Natural "version" order: digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace strata::studio
