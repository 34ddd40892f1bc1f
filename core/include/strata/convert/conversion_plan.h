// ConversionPlan: pure data saying how to build every output tensor of a target
// layout from a source checkpoint: for each output tensor, the strided box copies
// (source tensor, element offset and strides, destination offset and strides,
// extent, optional +constant and cast) that fill it. It is made by composing the
// target layout's pieces with the source view's pieces of the same canonical
// tensors, so A -> B never materialises the canonical model. Printable as text
// (--dry-run) and JSON; the Executor runs it.
// Usage: STRATA_TRY(auto plan, plan_conversion(view, target_layout, {})); std::cout << plan_to_text(plan, 20);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/mapping/box_copy.h"  // CopyOp
#include "strata/mapping/canonical_view.h"
#include "strata/mapping/layout.h"
#include "strata/status.h"

namespace strata {

struct PlanSource {
    uint32_t tensor = 0;  // index into the source Checkpoint::tensors
    std::string name;
    RankCoord rank;
    DType dtype = DType::BF16;
};

struct PlannedTensor {
    std::string name;
    RankCoord rank;
    uint32_t file = 0;  // index into ConversionPlan::files
    DType dtype = DType::BF16;
    Shape shape;
    std::vector<CopyOp> ops;
    bool zero_fill = false;  // ops do not cover it all (vocab padding rows stay zero)
    uint64_t byte_size() const;
};

struct PlannedFile {
    std::string path;  // relative to the output folder; "" = the HF safetensors folder
    RankCoord rank;
    std::vector<uint32_t> tensors;  // indices into ConversionPlan::tensors, in write order
};

struct ConversionPlan {
    std::string source_path;
    std::string source_layout;  // "megatron tp2 pp2 ep4 etp2" ...
    std::string target_layout;
    LayoutOptions target;
    std::vector<std::string> canonical;  // canonical tensor names
    std::vector<PlanSource> sources;
    std::vector<PlannedFile> files;
    std::vector<PlannedTensor> tensors;
    uint64_t total_bytes() const;
    uint64_t largest_tensor_bytes() const;
};

struct PlanOptions {
    std::optional<DType> dtype;  // cast every floating tensor to this dtype
};

// Composes the target layout with the source view. Fails with the canonical tensor
// name when the source does not tile a box the target needs.
Result<ConversionPlan> plan_conversion(const CanonicalView& source, const Layout& target,
                                       const PlanOptions& options = {});

// A readable listing: one line per output file and tensor, one indented line per op.
// `max_tensors` limits the tensors listed (0 = all); totals are always printed.
std::string plan_to_text(const ConversionPlan& plan, size_t max_tensors = 0);
nlohmann::json plan_to_json(const ConversionPlan& plan);

// "megatron tp2 pp2 ep4 etp1 (grouped experts, te norms)" / "hf-fused"
std::string describe_layout(const LayoutOptions& options);

}  // namespace strata
