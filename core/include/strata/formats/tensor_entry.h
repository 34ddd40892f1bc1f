// TensorEntry: what a writer must know about a tensor before any bytes exist
// (name, dtype, shape), so it can plan the whole file layout up front and let
// workers fill tensors in any order.
// Usage: std::vector<TensorEntry> entries{{"w", DType::BF16, {4, 8}}};
#pragma once

#include <string>
#include <vector>

#include "strata/tensor_info.h"

namespace strata {

struct TensorEntry {
    std::string name;
    DType dtype = DType::F32;
    Shape shape;

    uint64_t byte_size() const;  // packed bytes; entries are validated by the writer's plan step
};

}  // namespace strata
