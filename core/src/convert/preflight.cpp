#include "strata/convert/preflight.h"

#include "strata/convert/conversion_plan.h"

namespace strata {

std::vector<PlannedOutputFile> planned_output_files(const ConversionPlan& plan) {
    std::vector<PlannedOutputFile> out;
    out.reserve(plan.files.size());
    for (const PlannedFile& f : plan.files) {
        PlannedOutputFile o{f.path, 0};
        for (uint32_t t : f.tensors) o.bytes += plan.tensors[t].byte_size();
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace strata
