#include "strata/tensor_info.h"

namespace strata {

Result<uint64_t> numel(const Shape& shape) {
    uint64_t n = 1;
    for (uint64_t d : shape) {
        if (d != 0 && n > UINT64_MAX / d) return Status::corrupt("shape " + shape_to_string(shape) + " overflows");
        n *= d;
    }
    return n;
}

std::string shape_to_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

uint64_t TensorInfo::element_count() const {
    auto n = numel(shape);
    return n.is_ok() ? *n : 0;
}

}  // namespace strata
