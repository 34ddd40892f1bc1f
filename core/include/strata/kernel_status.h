// The kernels library reports KStatus (it cannot depend on the core); callers in the core
// turn it into a Status with this one mapping, prefixed by what they were doing.
// Usage: STRATA_RETURN_IF_ERROR(to_status(be.cast(...), "convert: cast"));
#pragma once

#include <string>
#include <string_view>

#include "strata/kernels/kstatus.h"
#include "strata/status.h"

namespace strata {

inline Status to_status(const kernels::KStatus& s, std::string_view context) {
    if (s.ok()) return Status::ok();
    const std::string m = std::string(context) + ": " + s.message();
    switch (s.code()) {
        case kernels::KCode::InvalidArgument:
            return Status::invalid_argument(m);
        case kernels::KCode::NotFound:
            return Status::not_found(m);
        case kernels::KCode::Unsupported:
            return Status::unsupported(m);
        case kernels::KCode::OutOfMemory:
            return Status::io(m + " (out of device memory)");
        default:
            return Status::internal(m);
    }
}

}  // namespace strata
